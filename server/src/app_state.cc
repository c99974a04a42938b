#include "app_state.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace gemma::server {

std::string DemoModelPath() {
  std::string built_in = GEMMA_DEMO_MODEL;
  if (std::filesystem::exists(built_in)) return built_in;
  return "fixtures/models/gemma3-tiny-f32.gguf";
}

AppState::AppState(ServerConfig config, std::unique_ptr<Authenticator> auth)
    : config_(std::move(config)), auth_(std::move(auth)) {
  if (config_.rate_limit_enabled) {
    limiter_ =
        std::make_unique<RateLimiter>(config_.max_requests_per_minute, config_.rate_limit_burst);
  }
  model_path_ = config_.model_path;
  if (model_path_.empty()) {
    model_path_ = DemoModelPath();
    demo_model_ = true;
  }
  created_ = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
}

AppState::~AppState() {
  if (loader_.joinable()) loader_.join();
}

void AppState::StartLoading(std::function<void(const Status&)> done) {
  loader_ = std::thread([this, done = std::move(done)] {
    Status status;
    LoadOptions load;
    load.mmap = config_.model_mmap;
    auto model = Model::Load(model_path_, load);
    if (!model.ok()) {
      status = model.status();
    } else if (config_.model_format != "auto" && (*model)->info().format != config_.model_format) {
      status = InvalidArgument(model_path_ + ": [model] format is \"" + config_.model_format +
                               "\" but the file is " + (*model)->info().format);
    } else {
      const size_t model_ctx = (*model)->info().context_length;
      SchedulerOptions opt;
      opt.max_batch_size = config_.max_batch_size;
      opt.max_sequence_length = config_.max_sequence_length == 0
                                    ? std::min<size_t>(model_ctx, 4096)
                                    : std::min(config_.max_sequence_length, model_ctx);
      opt.max_batch_tokens = config_.max_batch_tokens;
      opt.prefill_chunk = config_.prefill_chunk;
      opt.max_queue = config_.max_queue;
      opt.num_threads = config_.threads;
      opt.kv_type = config_.kv_cache_type == "f16" ? KvCacheType::kF16 : KvCacheType::kF32;
      auto scheduler = Scheduler::Create(*model, opt);
      if (!scheduler.ok()) {
        status = scheduler.status();
      } else {
        model_ = *model;
        scheduler_ = std::move(*scheduler);
        max_sequence_length_ = opt.max_sequence_length;
        model_id_ = model_->info().name;
        if (model_id_.empty()) model_id_ = std::filesystem::path(model_path_).stem().string();
      }
    }
    phase_.store(status.ok() ? Phase::kReady : Phase::kFailed, std::memory_order_release);
    done(status);
    loader_done_.store(true, std::memory_order_release);
  });
}

bool AppState::JoinLoaderIfDone() {
  if (!loader_.joinable()) return true;
  if (!loader_done_.load(std::memory_order_acquire)) return false;
  loader_.join();
  return true;
}

bool AppState::MatchesModel(const std::string& name) const {
  if (name.empty() || name == model_id_) return true;
  const std::filesystem::path p(model_path_);
  return name == p.filename().string() || name == p.stem().string();
}

void AppState::DrainScheduler(double timeout_seconds) {
  std::lock_guard<std::mutex> lock(scheduler_mu_);
  if (ready() && scheduler_) scheduler_->Drain(timeout_seconds);
}

void AppState::DestroyScheduler() {
  std::lock_guard<std::mutex> lock(scheduler_mu_);
  if (ready()) scheduler_.reset();
}

GaugeSnapshot AppState::Gauges() const {
  GaugeSnapshot g;
  g.model_ready = ready();
  g.draining = draining();
  g.open_connections = connections_.count();
  if (g.model_ready && scheduler_) {
    const SchedulerStats s = scheduler_->stats();
    g.queue_depth = s.queue_depth;
    g.active_sequences = s.active_sequences;
    g.kv_tokens_used = s.kv_tokens_used;
    g.kv_tokens_capacity = s.kv_tokens_capacity;
    g.scheduler_steps = s.steps;
  }
  return g;
}

}  // namespace gemma::server
