// Where a route's answer goes: an HTTP connection (a JSON reply or an SSE
// stream) or a WebSocket (one message per chunk). Methods may be called from
// any thread (the scheduler's included); implementations post the work to
// their connection's strand and never block.
#pragma once

#include <boost/asio/post.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "api_error.h"

namespace gemma::server {

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // The whole answer (a JSON body or an error), when nothing was streamed.
  virtual void Reply(HttpReply reply) = 0;
  // One stream chunk (JSON text); the first opens the stream.
  virtual void Event(std::string json) = 0;
  // The stream is complete ("[DONE]").
  virtual void End() = 0;
};

// The ResponseSink of one request on a connection (HttpSession,
// WebSocketSession): every call is posted to the session's executor (its
// strand) as Session::SinkReply / SinkEvent / SinkEnd, tagged with `seq`, the
// request it belongs to, so a late answer to an older request is recognised.
template <class Session, class Executor>
class StrandSink : public ResponseSink {
 public:
  StrandSink(std::shared_ptr<Session> s, Executor executor, uint64_t seq)
      : s_(std::move(s)), executor_(std::move(executor)), seq_(seq) {}
  void Reply(HttpReply reply) override {
    boost::asio::post(executor_, [s = s_, seq = seq_, r = std::move(reply)]() mutable {
      s->SinkReply(seq, std::move(r));
    });
  }
  void Event(std::string json) override {
    boost::asio::post(executor_, [s = s_, seq = seq_, j = std::move(json)]() mutable {
      s->SinkEvent(seq, std::move(j));
    });
  }
  void End() override {
    boost::asio::post(executor_, [s = s_, seq = seq_] { s->SinkEnd(seq); });
  }

 private:
  std::shared_ptr<Session> s_;
  Executor executor_;
  uint64_t seq_;
};

// Work in progress that a connection can cancel (a client that went away).
class Cancellable {
 public:
  virtual ~Cancellable() = default;
  virtual void Cancel() = 0;  // thread-safe, idempotent
};

}  // namespace gemma::server
