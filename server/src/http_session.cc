#include "http_session.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cerrno>
#include <cstdio>
#include <random>

#include "router.h"
#include "sse.h"
#include "websocket_session.h"

namespace gemma::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;

std::string NewRequestId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[24];
  std::snprintf(buf, sizeof(buf), "req_%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

// Routes' answers reach the connection through this: every call is posted to
// the connection's strand and tagged with the request it belongs to.
std::shared_ptr<ResponseSink> HttpSession::MakeSink() {
  using Sink = StrandSink<HttpSession, beast::tcp_stream::executor_type>;
  return std::make_shared<Sink>(shared_from_this(), stream_.get_executor(), seq_);
}

HttpSession::HttpSession(tcp::socket&& socket, AppState& app, ConnectionSlot slot)
    : stream_(std::move(socket)),
      buffer_(kHeaderLimit + app.config().max_body_bytes + 4096),
      app_(app),
      slot_(std::move(slot)) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  client_ip_ = ec ? "unknown" : ep.address().to_string();
}

HttpSession::~HttpSession() = default;

void HttpSession::Start() {
  slot_->Attach(weak_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
}

void HttpSession::RequestShutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->shutdown_requested_ = true;
    if (self->state_ == State::kReading) self->Close();
  });
}

void HttpSession::DoRead() {
  if (state_ == State::kClosed) return;
  if (shutdown_requested_ || app_.draining()) return Close();
  state_ = State::kReading;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(app_.config().max_body_bytes);
  stream_.expires_after(std::chrono::seconds(app_.config().timeout_seconds));
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
}

void HttpSession::OnHeader(beast::error_code ec, size_t) {
  if (state_ == State::kClosed) return;
  route_ = "other";
  keep_alive_ = false;
  version_ = 11;
  if (parser_->is_header_done()) {
    version_ = parser_->get().version();
    method_ = std::string(parser_->get().method_string());
    target_ = std::string(parser_->get().target());
    route_ = RouteLabel(target_);
  }
  if (ec == http::error::body_limit) {  // Content-Length beyond the limit
    return ReplyNow(PayloadTooLarge(app_.config().max_body_bytes).ToReply());
  }
  if (ec == http::error::header_limit) {
    return ReplyNow(ApiError{
        431, "Request headers too large", "invalid_request_error", "", "headers_too_large", {}}
                        .ToReply());
  }
  if (ec && IsHttpParseError(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return ReplyNow(
        BadRequest("Malformed HTTP request: " + ec.message(), "", "bad_http").ToReply());
  }
  if (ec) return Close();  // end of stream, timeout (slow or idle client), reset
  const auto& req = parser_->get();
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  method_ = std::string(req.method_string());
  target_ = std::string(req.target());
  route_ = RouteLabel(target_);
  const size_t limit = app_.config().max_body_bytes;
  if (auto len = parser_->content_length(); len && *len > limit) {
    keep_alive_ = false;
    return ReplyNow(PayloadTooLarge(limit).ToReply());
  }
  auto expect = req[http::field::expect];
  if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(stream_, net::buffer(kContinue),
                     [self = shared_from_this()](beast::error_code ec2, size_t) {
                       if (ec2) return self->Close();
                       self->ReadBody();
                     });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  if (parser_->is_done()) return Handle();
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnBody, shared_from_this()));
}

void HttpSession::OnBody(beast::error_code ec, size_t) {
  if (state_ == State::kClosed) return;
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    keep_alive_ = false;
    return ReplyNow(PayloadTooLarge(app_.config().max_body_bytes).ToReply());
  }
  if (ec && IsHttpParseError(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    keep_alive_ = false;
    return ReplyNow(
        BadRequest("Malformed HTTP request body: " + ec.message(), "", "bad_http").ToReply());
  }
  if (ec) return Close();
  Handle();
}

void HttpSession::Handle() {
  state_ = State::kHandling;
  started_ = std::chrono::steady_clock::now();
  request_id_ = NewRequestId();
  ++seq_;
  stream_.expires_never();
  auto& req = parser_->get();
  RequestInfo info;
  info.method = method_;
  info.target = target_;
  info.authorization = std::string(req[http::field::authorization]);
  info.origin = std::string(req[http::field::origin]);
  info.body = std::move(req.body());
  info.client_ip = client_ip_;
  info.websocket_upgrade = beast::websocket::is_upgrade(req);
  RouteResult r = Route(app_, info, MakeSink());
  route_ = r.route;
  extra_headers_ = std::move(r.headers);
  if (r.upgrade) {
    CountAndLog(101);
    state_ = State::kClosed;
    auto ws = std::make_shared<WebSocketSession>(std::move(stream_), app_, std::move(*slot_),
                                                 r.rate_key, extra_headers_);
    slot_.reset();
    ws->Run(parser_->release());
    return;
  }
  if (r.reply) return ReplyNow(std::move(*r.reply));
  job_ = std::move(r.job);
  WatchDisconnect();
}

void HttpSession::ReplyNow(HttpReply reply) {
  state_ = State::kHandling;
  if (request_id_.empty()) request_id_ = NewRequestId();
  auto res = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(reply.status), version_ == 10 ? 10 : 11);
  res->set(http::field::server, "gemma-server");
  if (!reply.content_type.empty()) res->set(http::field::content_type, reply.content_type);
  res->set("x-request-id", request_id_);
  for (const auto& [k, v] : extra_headers_) res->set(k, v);
  for (const auto& [k, v] : reply.headers) res->set(k, v);
  const bool close = !keep_alive_ || shutdown_requested_ || app_.draining();
  res->keep_alive(!close);
  res->body() = std::move(reply.body);
  res->prepare_payload();
  CountAndLog(reply.status);
  reply_ = res;
  stream_.expires_after(std::chrono::seconds(app_.config().timeout_seconds));
  http::async_write(
      stream_, *reply_,
      beast::bind_front_handler(&HttpSession::OnReplyWritten, shared_from_this(), close));
}

void HttpSession::OnReplyWritten(bool close, beast::error_code ec, size_t) {
  reply_.reset();
  if (state_ == State::kClosed) return;
  if (ec) return Close();
  FinishRequest(close);
}

void HttpSession::SinkReply(uint64_t seq, HttpReply reply) {
  if (seq != seq_ || state_ != State::kHandling || streaming_ || reply_) return;
  job_.reset();
  ReplyNow(std::move(reply));
}

void HttpSession::SinkEvent(uint64_t seq, const std::string& json) {
  if (seq != seq_ || state_ != State::kHandling || stream_done_) return;
  if (!streaming_) {
    streaming_ = true;
    chunked_ = version_ != 10;
    if (shutdown_requested_ || app_.draining()) keep_alive_ = false;
    if (!chunked_) keep_alive_ = false;
    std::string h = version_ == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
    h += "Server: gemma-server\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
    h += "X-Accel-Buffering: no\r\nx-request-id: " + request_id_ + "\r\n";
    for (const auto& [k, v] : extra_headers_) h += k + ": " + v + "\r\n";
    if (chunked_) h += "Transfer-Encoding: chunked\r\n";
    h += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    CountAndLog(200);
    QueueStreamBytes(std::move(h));
  }
  const std::string event = SseEvent(json);
  QueueStreamBytes(chunked_ ? HttpChunk(event) : event);
}

void HttpSession::SinkEnd(uint64_t seq) {
  if (seq != seq_ || state_ != State::kHandling || stream_done_) return;
  if (!streaming_) return SinkReply(seq, InternalError("stream ended before it began").ToReply());
  job_.reset();
  QueueStreamBytes(chunked_ ? HttpChunk(SseDone()) + HttpLastChunk() : SseDone());
  stream_done_ = true;
  WriteNext();
}

void HttpSession::QueueStreamBytes(std::string bytes) {
  if (state_ == State::kClosed) return;
  pending_bytes_ += bytes.size();
  if (pending_bytes_ > app_.config().max_pending_stream_bytes) {
    // The client reads slower than we generate: drop it rather than buffer
    // without bound. Its generation is cancelled.
    std::fprintf(stderr, "gemma-server: %s: client %s too slow (%zu bytes unsent); closing\n",
                 request_id_.c_str(), client_ip_.c_str(), pending_bytes_);
    return Close();
  }
  queue_.push_back(std::move(bytes));
  WriteNext();
}

void HttpSession::WriteNext() {
  if (state_ == State::kClosed || writing_) return;
  if (queue_.empty()) {
    if (stream_done_) FinishRequest(!keep_alive_ || shutdown_requested_ || app_.draining());
    return;
  }
  writing_buf_.clear();
  for (std::string& s : queue_) writing_buf_ += s;
  queue_.clear();
  writing_ = true;
  // A client that stops reading stalls this write; the timeout closes it.
  stream_.expires_after(std::chrono::seconds(app_.config().timeout_seconds));
  net::async_write(stream_, net::buffer(writing_buf_),
                   beast::bind_front_handler(&HttpSession::OnStreamWritten, shared_from_this()));
}

void HttpSession::OnStreamWritten(beast::error_code ec, size_t bytes) {
  writing_ = false;
  if (state_ == State::kClosed) return;
  if (ec) return Close();
  pending_bytes_ -= std::min(pending_bytes_, bytes);
  stream_.expires_never();
  WriteNext();
}

void HttpSession::FinishRequest(bool close) {
  if (app_.config().log_requests && streaming_) {
    std::fprintf(
        stderr, "gemma-server: %s %s %s stream done in %.3f s\n", request_id_.c_str(),
        method_.c_str(), target_.c_str(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }
  job_.reset();
  streaming_ = stream_done_ = false;
  pending_bytes_ = 0;
  request_id_.clear();
  extra_headers_.clear();
  if (watching_) {
    watching_ = false;
    beast::error_code ec;
    stream_.socket().cancel(ec);
  }
  if (close) return LingerClose();
  DoRead();
}

void HttpSession::WatchDisconnect() {
  // While a generation runs nothing is read from the socket; wait for it to
  // become readable: EOF or an error means the client went away.
  watching_ = true;
  stream_.socket().async_wait(
      tcp::socket::wait_read, [self = shared_from_this(), seq = seq_](beast::error_code ec) {
        if (ec || self->seq_ != seq || self->state_ != State::kHandling || !self->watching_) return;
        self->watching_ = false;
        char c;
        const ssize_t n =
            ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          self->Close();  // cancels the generation; its KV slot is freed at the next step
        }
        // n > 0: the client pipelined its next request; it is read afterwards.
      });
}

void HttpSession::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (job_) {
    job_->Cancel();
    job_.reset();
  }
  queue_.clear();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

void HttpSession::LingerClose() {
  // Close after an answer: stop sending, then read and discard what the client
  // may still be sending (an oversized body) for a moment, so that it sees our
  // answer instead of a connection reset.
  state_ = State::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(2));
  linger_buf_ = std::make_unique<std::array<char, 16384>>();
  stream_.async_read_some(
      net::buffer(*linger_buf_),
      beast::bind_front_handler(&HttpSession::OnLingerRead, shared_from_this()));
}

void HttpSession::OnLingerRead(beast::error_code ec, size_t bytes) {
  linger_bytes_ += bytes;
  if (ec || linger_bytes_ > (size_t{64} << 20)) {
    stream_.close();
    return;
  }
  stream_.async_read_some(
      net::buffer(*linger_buf_),
      beast::bind_front_handler(&HttpSession::OnLingerRead, shared_from_this()));
}

void HttpSession::CountAndLog(int status) {
  app_.metrics().CountRequest(route_, status);
  if (app_.config().log_requests) {
    std::fprintf(stderr, "gemma-server: %s %s %s %s -> %d\n", request_id_.c_str(),
                 client_ip_.c_str(), method_.c_str(), target_.c_str(), status);
  }
}

}  // namespace gemma::server
