// One WebSocket connection on /v1/ws. A text message with a completions or
// chat request JSON starts a generation; every chunk object is sent as one
// text message, then "[DONE]" (exactly the SSE payloads). {"type":"cancel"}
// cancels the running generation (it ends with finish_reason "cancelled").
// Errors are OpenAI error objects. One generation at a time per connection.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "app_state.h"
#include "response_sink.h"

namespace gemma::server {

class WebSocketSession : public TrackedConnection,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(boost::beast::tcp_stream&& stream, AppState& app, ConnectionSlot slot,
                   std::string rate_key, Headers handshake_headers);
  ~WebSocketSession() override;
  void Run(boost::beast::http::request<boost::beast::http::string_body> request);
  void RequestShutdown() override;

 private:
  template <class, class>
  friend class StrandSink;
  // The sink of the current request (seq_), posting to this session's strand.
  std::shared_ptr<ResponseSink> MakeSink();

  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleMessage(const std::string& text);
  void Send(std::string message);
  void WriteNext();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void SinkReply(uint64_t seq, HttpReply reply);
  void SinkEvent(uint64_t seq, std::string json);
  void SinkEnd(uint64_t seq);
  void EndJob();
  void MaybeCloseForShutdown();
  void Close();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  AppState& app_;
  ConnectionSlot slot_;
  std::string rate_key_;
  Headers handshake_headers_;
  std::shared_ptr<Cancellable> job_;
  uint64_t seq_ = 0;
  bool job_active_ = false;
  std::deque<std::string> queue_;
  size_t pending_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool shutdown_requested_ = false;
};

}  // namespace gemma::server
