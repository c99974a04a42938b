// What every connection shares: the configuration, the model and scheduler
// (loaded on a background thread so /health can answer "loading" first),
// auth, rate limits, metrics and the open connections.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth.h"
#include "config.h"
#include "connection_tracker.h"
#include "gemma/engine.h"
#include "metrics.h"
#include "rate_limit.h"
#include "scheduler.h"

namespace gemma::server {

enum class Phase { kLoading, kReady, kFailed };

class AppState {
 public:
  AppState(ServerConfig config, std::unique_ptr<Authenticator> auth);
  ~AppState();

  const ServerConfig& config() const { return config_; }

  // Loads the model and creates the scheduler on a background thread, then
  // calls `done` there with the result.
  void StartLoading(std::function<void(const Status&)> done);
  // Joins the loading thread if it has finished; false while still loading.
  bool JoinLoaderIfDone();

  Phase phase() const { return phase_.load(std::memory_order_acquire); }
  bool ready() const { return phase() == Phase::kReady; }
  // Valid only when ready().
  const Model& model() const { return *model_; }
  Scheduler& scheduler() { return *scheduler_; }
  const std::string& model_id() const { return model_id_; }
  size_t max_sequence_length() const { return max_sequence_length_; }
  const std::string& model_path() const { return model_path_; }
  bool is_demo_model() const { return demo_model_; }
  int64_t created() const { return created_; }
  // True when `name` (a request's "model") names the served model.
  bool MatchesModel(const std::string& name) const;

  bool draining() const { return draining_.load(std::memory_order_acquire); }
  void set_draining() { draining_.store(true, std::memory_order_release); }
  // Stops the scheduler: Drain(timeout), then destroys it. Idempotent.
  void DrainScheduler(double timeout_seconds);
  void DestroyScheduler();

  Metrics& metrics() { return metrics_; }
  const Authenticator& auth() const { return *auth_; }
  RateLimiter* limiter() { return limiter_.get(); }  // null when disabled
  ConnectionTracker& connections() { return connections_; }
  GaugeSnapshot Gauges() const;

 private:
  ServerConfig config_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<RateLimiter> limiter_;
  Metrics metrics_;
  ConnectionTracker connections_;

  std::string model_path_;
  bool demo_model_ = false;
  int64_t created_ = 0;
  std::thread loader_;
  std::atomic<bool> loader_done_{false};
  std::atomic<Phase> phase_{Phase::kLoading};
  std::atomic<bool> draining_{false};
  // Written by the loader before phase_ becomes kReady (release), read after.
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Scheduler> scheduler_;
  std::string model_id_;
  size_t max_sequence_length_ = 0;
  std::mutex scheduler_mu_;
};

// The bundled demo model (random weights): the compile-time path if it
// exists, else fixtures/models/gemma3-tiny-f32.gguf under the working directory.
std::string DemoModelPath();

}  // namespace gemma::server
