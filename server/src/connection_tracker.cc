#include "connection_tracker.h"

#include <vector>

namespace gemma::server {

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : tracker_(other.tracker_), id_(other.id_) {
  other.tracker_ = nullptr;
}

ConnectionSlot::~ConnectionSlot() {
  if (tracker_ != nullptr) tracker_->Remove(id_);
}

void ConnectionSlot::Attach(std::weak_ptr<TrackedConnection> connection) {
  if (tracker_ != nullptr) tracker_->Attach(id_, std::move(connection));
}

std::optional<ConnectionSlot> ConnectionTracker::TryOpen(size_t max_connections) {
  std::lock_guard<std::mutex> lock(mu_);
  if (connections_.size() >= max_connections) return std::nullopt;
  const uint64_t id = next_id_++;
  connections_.emplace(id, std::weak_ptr<TrackedConnection>());
  return ConnectionSlot(this, id);
}

void ConnectionTracker::Attach(uint64_t id, std::weak_ptr<TrackedConnection> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(id);
  if (it != connections_.end()) it->second = std::move(connection);
}

void ConnectionTracker::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(id);
}

size_t ConnectionTracker::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_.size();
}

void ConnectionTracker::ShutdownAll() {
  std::vector<std::shared_ptr<TrackedConnection>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, weak] : connections_) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) c->RequestShutdown();
}

}  // namespace gemma::server
