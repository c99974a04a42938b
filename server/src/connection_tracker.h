// The set of open connections: counts them (max_connections, the open
// connections gauge) and asks them all to close at shutdown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace gemma::server {

class TrackedConnection {
 public:
  virtual ~TrackedConnection() = default;
  // Thread-safe: close when idle now, or after the response in progress.
  virtual void RequestShutdown() = 0;
};

class ConnectionTracker;

// One open connection's place in the tracker; freed when destroyed. Moves
// from the HTTP session to the WebSocket session on upgrade.
class ConnectionSlot {
 public:
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot();
  void Attach(std::weak_ptr<TrackedConnection> connection);

 private:
  friend class ConnectionTracker;
  ConnectionSlot(ConnectionTracker* tracker, uint64_t id) : tracker_(tracker), id_(id) {}
  ConnectionTracker* tracker_;
  uint64_t id_;
};

class ConnectionTracker {
 public:
  // A slot for a new connection, or nullopt when max_connections are open.
  std::optional<ConnectionSlot> TryOpen(size_t max_connections);
  size_t count() const;
  void ShutdownAll();

 private:
  friend class ConnectionSlot;
  void Attach(uint64_t id, std::weak_ptr<TrackedConnection> connection);
  void Remove(uint64_t id);

  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<TrackedConnection>> connections_;
};

}  // namespace gemma::server
