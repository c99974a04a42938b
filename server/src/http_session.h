// One HTTP/1.1 connection: reads requests (header and body limits, a timeout
// for slow clients, 100-continue), routes them, writes JSON replies or SSE
// streams (chunked, with bounded unsent bytes), notices a client that goes
// away mid-request and cancels its generation, and upgrades /v1/ws to a
// WebSocket session. All of it runs on the connection's strand.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "app_state.h"
#include "response_sink.h"

namespace gemma::server {

class HttpSession : public TrackedConnection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, AppState& app, ConnectionSlot slot);
  ~HttpSession() override;
  void Start();
  void RequestShutdown() override;

 private:
  template <class, class>
  friend class StrandSink;
  // The sink of the current request (seq_), posting to this session's strand.
  std::shared_ptr<ResponseSink> MakeSink();
  enum class State { kReading, kHandling, kClosed };

  void DoRead();
  void OnHeader(boost::beast::error_code ec, size_t bytes);
  void ReadBody();
  void OnBody(boost::beast::error_code ec, size_t bytes);
  void Handle();
  void ReplyNow(HttpReply reply);
  void OnReplyWritten(bool close, boost::beast::error_code ec, size_t bytes);
  // Sink callbacks, on the strand; `seq` identifies the request they belong to.
  void SinkReply(uint64_t seq, HttpReply reply);
  void SinkEvent(uint64_t seq, const std::string& json);
  void SinkEnd(uint64_t seq);
  void QueueStreamBytes(std::string bytes);
  void WriteNext();
  void OnStreamWritten(boost::beast::error_code ec, size_t bytes);
  void FinishRequest(bool close);
  void WatchDisconnect();
  void Close();
  void LingerClose();
  void OnLingerRead(boost::beast::error_code ec, size_t bytes);
  void CountAndLog(int status);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  AppState& app_;
  std::optional<ConnectionSlot> slot_;
  std::string client_ip_;
  State state_ = State::kReading;
  bool shutdown_requested_ = false;

  // The request being answered.
  uint64_t seq_ = 0;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::string method_, target_, route_;
  std::string request_id_;
  Headers extra_headers_;
  std::shared_ptr<Cancellable> job_;
  std::chrono::steady_clock::time_point started_;
  bool watching_ = false;

  // Replies and streams.
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> reply_;
  bool streaming_ = false, stream_done_ = false, writing_ = false, chunked_ = true;
  std::deque<std::string> queue_;
  std::string writing_buf_;
  size_t pending_bytes_ = 0;
  std::unique_ptr<std::array<char, 16384>> linger_buf_;
  size_t linger_bytes_ = 0;
};

}  // namespace gemma::server
