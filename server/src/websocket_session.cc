#include "websocket_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>

#include "router.h"

namespace gemma::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

std::shared_ptr<ResponseSink> WebSocketSession::MakeSink() {
  using Sink = StrandSink<WebSocketSession, websocket::stream<beast::tcp_stream>::executor_type>;
  return std::make_shared<Sink>(shared_from_this(), ws_.get_executor(), seq_);
}

WebSocketSession::WebSocketSession(beast::tcp_stream&& stream, AppState& app, ConnectionSlot slot,
                                   std::string rate_key, Headers handshake_headers)
    : ws_(std::move(stream)),
      app_(app),
      slot_(std::move(slot)),
      rate_key_(std::move(rate_key)),
      handshake_headers_(std::move(handshake_headers)) {}

WebSocketSession::~WebSocketSession() = default;

void WebSocketSession::Run(http::request<http::string_body> request) {
  slot_.Attach(weak_from_this());
  beast::get_lowest_layer(ws_).expires_never();  // the websocket has its own timeouts
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(app_.config().timeout_seconds);
  t.idle_timeout = std::chrono::seconds(app_.config().timeout_seconds);
  t.keep_alive_pings = true;  // an idle but live client answers pings and stays
  ws_.set_option(t);
  ws_.read_message_max(app_.config().max_body_bytes);
  ws_.set_option(
      websocket::stream_base::decorator([h = handshake_headers_](websocket::response_type& res) {
        res.set(http::field::server, "gemma-server");
        for (const auto& [k, v] : h) res.set(k, v);
      }));
  ws_.async_accept(request,
                   beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
}

void WebSocketSession::RequestShutdown() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->shutdown_requested_ = true;
    self->MaybeCloseForShutdown();
  });
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  if (ec) return Close();
  if (shutdown_requested_ || app_.draining()) {
    shutdown_requested_ = true;
    MaybeCloseForShutdown();
  }
  DoRead();
}

void WebSocketSession::DoRead() {
  if (closed_) return;
  ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
}

void WebSocketSession::OnRead(beast::error_code ec, size_t) {
  if (closed_) return;
  if (ec) return Close();  // client closed, went away, or stopped answering pings
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (!ws_.got_text()) {
    Send(Dump(BadRequest("Send requests as text messages", "", "binary_message").ToJson()));
  } else {
    HandleMessage(text);
  }
  DoRead();
}

void WebSocketSession::HandleMessage(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.value("type", "") == "cancel") {
    if (job_) job_->Cancel();  // the stream then ends with finish_reason "cancelled"
    return;
  }
  if (job_active_) {
    Send(Dump(BadRequest("A request is already running on this connection; send "
                         "{\"type\":\"cancel\"} or wait for [DONE]",
                         "", "request_in_progress")
                  .ToJson()));
    return;
  }
  ++seq_;
  WsStart start = StartWebSocketRequest(app_, text, rate_key_, MakeSink());
  if (start.error) {
    app_.metrics().CountRequest("/v1/ws", start.error->status);
    Send(Dump(start.error->ToJson()));
    return;
  }
  app_.metrics().CountRequest("/v1/ws", 200);
  job_ = std::move(start.job);
  job_active_ = true;
}

void WebSocketSession::SinkReply(uint64_t seq, HttpReply reply) {
  if (seq != seq_ || closed_ || !job_active_) return;
  Send(std::move(reply.body));
  EndJob();
}

void WebSocketSession::SinkEvent(uint64_t seq, std::string json) {
  if (seq != seq_ || closed_ || !job_active_) return;
  Send(std::move(json));
}

void WebSocketSession::SinkEnd(uint64_t seq) {
  if (seq != seq_ || closed_ || !job_active_) return;
  Send("[DONE]");
  EndJob();
}

void WebSocketSession::EndJob() {
  job_.reset();
  job_active_ = false;
  MaybeCloseForShutdown();
}

void WebSocketSession::Send(std::string message) {
  if (closed_ || closing_) return;
  pending_bytes_ += message.size();
  if (pending_bytes_ > app_.config().max_pending_stream_bytes) {
    std::fprintf(stderr, "gemma-server: WebSocket client too slow (%zu bytes unsent); closing\n",
                 pending_bytes_);
    return Close();
  }
  queue_.push_back(std::move(message));
  WriteNext();
}

void WebSocketSession::WriteNext() {
  if (closed_ || writing_ || closing_) return;
  if (queue_.empty()) return MaybeCloseForShutdown();
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front()),
                  beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
}

void WebSocketSession::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  if (closed_) return;
  if (ec) return Close();
  pending_bytes_ -= std::min(pending_bytes_, queue_.front().size());
  queue_.pop_front();
  WriteNext();
}

void WebSocketSession::MaybeCloseForShutdown() {
  if (!shutdown_requested_ || job_active_ || writing_ || !queue_.empty() || closing_ || closed_) {
    return;
  }
  closing_ = true;
  ws_.async_close(websocket::close_code::going_away,
                  [self = shared_from_this()](beast::error_code) { self->Close(); });
}

void WebSocketSession::Close() {
  if (closed_) return;
  closed_ = true;
  if (job_) {
    job_->Cancel();
    job_.reset();
  }
  job_active_ = false;
  queue_.clear();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws_).close();
}

}  // namespace gemma::server
