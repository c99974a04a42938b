// Where a route's answer goes: an HTTP connection (a JSON reply or an SSE
// stream) or a WebSocket (one message per chunk). Methods may be called from
// any thread (the scheduler's included); implementations post the work to
// their connection's strand and never block.
#pragma once

#include <string>

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

// Work in progress that a connection can cancel (a client that went away).
class Cancellable {
 public:
  virtual ~Cancellable() = default;
  virtual void Cancel() = 0;  // thread-safe, idempotent
};

}  // namespace gemma::server
