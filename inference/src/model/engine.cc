// Engine: validates batches and runs the forward pass over its KV cache.
#include <algorithm>
#include <thread>

#include "kernels/kernels.h"
#include "model/forward.h"
#include "model/kv_cache.h"
#include "model/model_impl.h"
#include "runtime/thread_pool.h"

namespace gemma {

struct Engine::Impl {
  std::shared_ptr<const Model> model;
  EngineOptions options;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<KvCache> kv;
  std::unique_ptr<ForwardPass> forward;
  std::vector<int32_t> next_pos;  // per-sequence scratch for validation
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

StatusOr<std::unique_ptr<Engine>> Engine::Create(std::shared_ptr<const Model> model,
                                                 const EngineOptions& options) {
  if (!model) return InvalidArgument("Engine::Create: no model");
  const ModelConfig& c = model->impl().config;
  auto impl = std::make_unique<Impl>();
  EngineOptions& o = impl->options;
  o = options;
  if (o.num_threads == 0) o.num_threads = std::max(1u, std::thread::hardware_concurrency());
  if (o.context_length == 0) o.context_length = std::min<size_t>(c.context_length, 4096);
  if (o.context_length > c.context_length) {
    return InvalidArgument("context length " + std::to_string(o.context_length) +
                           " exceeds the model's trained context " +
                           std::to_string(c.context_length));
  }
  if (o.max_batch_tokens == 0 || o.max_batch_tokens > 8192) {
    return InvalidArgument("max_batch_tokens must be in [1, 8192]");
  }
  if (o.max_sequences == 0 || o.max_sequences > 4096)
    return InvalidArgument("max_sequences must be in [1, 4096]");
  o.max_batch_tokens = std::min(o.max_batch_tokens, o.context_length * o.max_sequences);
  GEMMA_ASSIGN_OR_RETURN(impl->kv, KvCache::Create(c, o.context_length, o.max_batch_tokens,
                                                   o.max_sequences, o.kv_type));
  GEMMA_ASSIGN_OR_RETURN(impl->forward,
                         ForwardPass::Create(c, model->impl().weights, o.max_batch_tokens,
                                             o.num_threads, o.context_length));
  impl->pool = std::make_unique<ThreadPool>(o.num_threads);
  impl->next_pos.assign(o.max_sequences, 0);
  impl->model = std::move(model);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Status Engine::Forward(std::span<const BatchToken> batch, float* logits) {
  Impl& m = *impl_;
  const size_t n_vocab = m.model->impl().config.n_vocab;
  if (batch.empty()) return InvalidArgument("Forward: empty batch");
  if (batch.size() > m.options.max_batch_tokens) {
    return InvalidArgument("Forward: batch of " + std::to_string(batch.size()) +
                           " tokens exceeds max_batch_tokens " +
                           std::to_string(m.options.max_batch_tokens));
  }
  for (size_t s = 0; s < m.next_pos.size(); ++s) m.next_pos[s] = m.kv->length(s);
  bool any_logits = false;
  for (const BatchToken& b : batch) {
    if (b.token < 0 || static_cast<size_t>(b.token) >= n_vocab) {
      return InvalidArgument("Forward: token id " + std::to_string(b.token) +
                             " outside the vocabulary");
    }
    if (b.seq < 0 || static_cast<size_t>(b.seq) >= m.next_pos.size()) {
      return InvalidArgument("Forward: sequence " + std::to_string(b.seq) + " out of range");
    }
    if (b.pos != m.next_pos[b.seq]) {
      return InvalidArgument("Forward: sequence " + std::to_string(b.seq) + " expects position " +
                             std::to_string(m.next_pos[b.seq]) + ", got " + std::to_string(b.pos));
    }
    if (static_cast<size_t>(b.pos) >= m.options.context_length) {
      return OutOfRange("context is full (" + std::to_string(m.options.context_length) +
                        " tokens)");
    }
    ++m.next_pos[b.seq];
    any_logits |= b.want_logits;
  }
  if (any_logits && logits == nullptr)
    return InvalidArgument("Forward: logits requested but no buffer");
  m.forward->Run(batch, *m.kv, *m.pool, logits);
  return Status::Ok();
}

bool Engine::Truncate(int32_t seq, int32_t pos) {
  KvCache& kv = *impl_->kv;
  if (seq < 0 || static_cast<size_t>(seq) >= kv.n_seq()) return false;
  if (!kv.CanTruncate(seq, pos)) return false;
  kv.set_length(seq, pos);
  return true;
}

void Engine::Clear(int32_t seq) {
  if (seq >= 0 && static_cast<size_t>(seq) < impl_->kv->n_seq()) impl_->kv->Reset(seq);
}

int32_t Engine::SequenceLength(int32_t seq) const {
  if (seq < 0 || static_cast<size_t>(seq) >= impl_->kv->n_seq()) return 0;
  return impl_->kv->length(seq);
}

const Model& Engine::model() const { return *impl_->model; }
const EngineOptions& Engine::options() const { return impl_->options; }
size_t Engine::kv_cache_bytes() const { return impl_->kv->bytes(); }
std::string Engine::simd_target() const { return kernels::ActiveTargetName(); }

}  // namespace gemma
