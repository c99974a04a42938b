#include "model/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace gemma {
namespace {

// Weights whose dot products read Q8_0 activations (Q4_0, Q8_0) or Q8_K
// activations (K-quants); the others read x itself.
bool IsQuantized(DType t) { return t == DType::kQ4_0 || t == DType::kQ8_0; }

// Runs fn(t) for every token, in parallel when there is more than one (one
// token's element-wise work is too small to be worth waking the pool).
template <class F>
void ForEachToken(ThreadPool& pool, size_t n, const F& fn) {
  if (n == 1) {
    fn(size_t{0});
    return;
  }
  pool.ParallelFor(n, [&](size_t t, size_t) { fn(t); });
}

}  // namespace

StatusOr<std::unique_ptr<ForwardPass>> ForwardPass::Create(const ModelConfig& c,
                                                           const ModelWeights& w, size_t max_batch,
                                                           size_t num_threads, size_t max_context) {
  std::unique_ptr<ForwardPass> fp(new ForwardPass(c, w));
  fp->max_batch_ = max_batch;
  fp->num_threads_ = std::max<size_t>(1, num_threads);
  fp->max_context_ = max_context;
  const size_t B = max_batch, d = c.d_model, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.ffn_dim;
  const size_t hd2 = c.head_dim / 2;
  const size_t max_cols = std::max({d, qd, ff});
  // Q8_0 rows, then Q8_K rows (a layer may mix Q4_0/Q8_0 and K-quant weights).
  fp->q8k_offset_ = Arena::RoundUp(B * kernels::PreparedRowBytes(DType::kQ8_0, max_cols));
  const size_t prep_bytes =
      std::max(B * kernels::PreparedRowBytes(DType::kF32, max_cols),
               fp->q8k_offset_ + B * kernels::PreparedRowBytes(DType::kQ8_K, max_cols));
  auto f = [](size_t n) { return Arena::RoundUp(n * sizeof(float)); };
  const size_t bytes = f(B * d) * 3 + f(B * qd) * 2 + f(B * kvd) * 2 + f(B * ff) * 2 +
                       Arena::RoundUp(prep_bytes) + f(B * hd2) * 4 +
                       f(fp->num_threads_ * max_context) + Arena::RoundUp(B * sizeof(int32_t));
  if (!fp->arena_.Reserve(bytes)) {
    return ResourceExhausted("cannot allocate " + std::to_string(bytes >> 20) +
                             " MiB for activations (lower max_batch_tokens)");
  }
  Arena& a = fp->arena_;
  fp->x_ = a.Take<float>(B * d);
  fp->xn_ = a.Take<float>(B * d);
  fp->o_ = a.Take<float>(B * d);
  fp->q_ = a.Take<float>(B * qd);
  fp->att_ = a.Take<float>(B * qd);
  fp->k_ = a.Take<float>(B * kvd);
  fp->v_ = a.Take<float>(B * kvd);
  fp->gate_ = a.Take<float>(B * ff);
  fp->up_ = a.Take<float>(B * ff);
  fp->prepared_ = a.Take<uint8_t>(prep_bytes);
  fp->cos_local_ = a.Take<float>(B * hd2);
  fp->sin_local_ = a.Take<float>(B * hd2);
  fp->cos_global_ = a.Take<float>(B * hd2);
  fp->sin_global_ = a.Take<float>(B * hd2);
  fp->scores_ = a.Take<float>(fp->num_threads_ * max_context);
  fp->out_rows_ = a.Take<int32_t>(B);
  if (fp->out_rows_ == nullptr) return Internal("activation arena sized too small");

  // inv_freq[i] = base^(-2i / head_dim), divided by the linear scale factor
  // (linear RoPE scaling divides positions). Kept in double: angles at
  // positions in the 100k range lose digits in float.
  fp->inv_freq_local_.resize(hd2);
  fp->inv_freq_global_.resize(hd2);
  for (size_t i = 0; i < hd2; ++i) {
    const double e = -2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim);
    fp->inv_freq_local_[i] = std::pow(static_cast<double>(c.rope_base_local), e);
    fp->inv_freq_global_[i] = std::pow(static_cast<double>(c.rope_base_global), e) /
                              static_cast<double>(c.rope_linear_scale);
  }
  return fp;
}

void ForwardPass::ComputeRope(std::span<const BatchToken> batch) {
  const size_t hd2 = c_.head_dim / 2;
  const bool has_local = c_.sliding_window != 0;
  for (size_t t = 0; t < batch.size(); ++t) {
    const double pos = batch[t].pos;
    for (size_t i = 0; i < hd2; ++i) {
      const double g = pos * inv_freq_global_[i];
      cos_global_[t * hd2 + i] = static_cast<float>(std::cos(g));
      sin_global_[t * hd2 + i] = static_cast<float>(std::sin(g));
      if (has_local) {
        const double l = pos * inv_freq_local_[i];
        cos_local_[t * hd2 + i] = static_cast<float>(std::cos(l));
        sin_local_[t * hd2 + i] = static_cast<float>(std::sin(l));
      }
    }
  }
}

void ForwardPass::MatMuls(ThreadPool& pool, const float* x, size_t n,
                          std::initializer_list<MatJob> jobs) {
  const size_t cols = jobs.begin()->w->cols;
  // Quantized weights read Q8_0 activations, prepared once for all jobs;
  // float weights read x itself (its prepared form is the same bytes).
  bool any_quantized = false, any_k = false;
  for (const MatJob& j : jobs)
    any_quantized |= IsQuantized(j.w->type), any_k |= IsKQuant(j.w->type);
  const size_t q8_row = kernels::PreparedRowBytes(DType::kQ8_0, cols);
  const size_t q8k_row = kernels::PreparedRowBytes(DType::kQ8_K, cols);
  uint8_t* const prepared_k = prepared_ + q8k_offset_;
  if (any_quantized || any_k) {
    ForEachToken(pool, n, [&](size_t t) {
      if (any_quantized) {
        kernels::PrepareActivations(DType::kQ8_0, x + t * cols, 1, cols, cols,
                                    prepared_ + t * q8_row);
      }
      if (any_k) {
        kernels::PrepareActivations(DType::kQ8_K, x + t * cols, 1, cols, cols,
                                    prepared_k + t * q8k_row);
      }
    });
  }
  // Row chunks: decode streams 64 rows per task (small enough to balance the
  // memory-bound GEMV across threads). Prefill kernels re-arrange the
  // activations once per call, so they get about four chunks per thread
  // (multiples of 32 rows) to amortise that over more rows.
  const MatJob* job_list = jobs.begin();
  const size_t n_jobs = jobs.size();
  size_t chunk[3] = {64, 64, 64};
  size_t first_task[4] = {0, 0, 0, 0};
  for (size_t j = 0; j < n_jobs; ++j) {
    if (n > 1) {
      const size_t rows = job_list[j].w->rows;
      const size_t target = (rows / (4 * num_threads_) + 31) / 32 * 32;
      chunk[j] = std::clamp<size_t>(target, 32, 512);
    }
    first_task[j + 1] = first_task[j] + (job_list[j].w->rows + chunk[j] - 1) / chunk[j];
  }
  pool.ParallelFor(first_task[n_jobs], [&](size_t task, size_t) {
    size_t j = 0;
    while (task >= first_task[j + 1]) ++j;
    const kernels::MatView& w = *job_list[j].w;
    const size_t r0 = (task - first_task[j]) * chunk[j];
    const size_t r1 = std::min(w.rows, r0 + chunk[j]);
    const uint8_t* xin = IsQuantized(w.type) ? prepared_
                         : IsKQuant(w.type)  ? prepared_k
                                             : reinterpret_cast<const uint8_t*>(x);
    kernels::MatMul(w, xin, n, r0, r1, job_list[j].y, w.rows);
  });
}

void ForwardPass::Attention(size_t il, std::span<const BatchToken> batch, KvCache& kv,
                            ThreadPool& pool) {
  const LayerWeights& L = w_.layers[il];
  const size_t n = batch.size(), hd = c_.head_dim, hd2 = hd / 2, nh = c_.n_heads,
               nkv = c_.n_kv_heads;
  const size_t qd = c_.q_dim(), kvd = c_.kv_dim(), group = nh / nkv;
  const bool local = c_.IsLocalLayer(il);
  const float* cos_tab = local ? cos_local_ : cos_global_;
  const float* sin_tab = local ? sin_local_ : sin_global_;
  const bool f16 = kv.is_f16();

  // q, k: per-head norm (Gemma 3), RoPE; q scaled. k, v stored in the cache.
  ForEachToken(pool, n, [&](size_t t) {
    const float* cs = cos_tab + t * hd2;
    const float* sn = sin_tab + t * hd2;
    for (size_t h = 0; h < nh; ++h) {
      float* qh = q_ + t * qd + h * hd;
      if (c_.qk_norm) kernels::RMSNorm(qh, L.attn_q_norm, hd, c_.rms_eps, qh);
      kernels::RopeNeox(qh, hd, cs, sn);
      kernels::Scale(qh, hd, c_.query_scale);
    }
    for (size_t h = 0; h < nkv; ++h) {
      float* kh = k_ + t * kvd + h * hd;
      if (c_.qk_norm) kernels::RMSNorm(kh, L.attn_k_norm, hd, c_.rms_eps, kh);
      kernels::RopeNeox(kh, hd, cs, sn);
    }
    const BatchToken& b = batch[t];
    void* krow = kv.K(il, b.seq, b.pos);
    void* vrow = kv.V(il, b.seq, b.pos);
    if (f16) {
      kernels::F32ToF16Row(k_ + t * kvd, static_cast<uint16_t*>(krow), kvd);
      kernels::F32ToF16Row(v_ + t * kvd, static_cast<uint16_t*>(vrow), kvd);
    } else {
      std::memcpy(krow, k_ + t * kvd, kvd * sizeof(float));
      std::memcpy(vrow, v_ + t * kvd, kvd * sizeof(float));
    }
  });

  // Softmax(q.k) v per (token, head), over the positions the token sees.
  const int32_t window = static_cast<int32_t>(c_.sliding_window);
  pool.ParallelFor(n * nh, [&](size_t task, size_t thread) {
    const size_t t = task / nh, h = task % nh, kvh = h / group;
    const BatchToken& b = batch[t];
    const int32_t lo = local ? std::max(0, b.pos - window + 1) : 0;
    const size_t count = static_cast<size_t>(b.pos - lo) + 1;
    float* s = scores_ + thread * max_context_;
    const float* qh = q_ + t * qd + h * hd;
    for (size_t i = 0; i < count; ++i) {
      const void* krow = kv.K(il, b.seq, static_cast<size_t>(lo) + i);
      s[i] = f16 ? kernels::DotF16(qh, static_cast<const uint16_t*>(krow) + kvh * hd, hd)
                 : kernels::Dot(qh, static_cast<const float*>(krow) + kvh * hd, hd);
    }
    if (c_.attn_softcap > 0.0f) kernels::SoftCap(s, count, c_.attn_softcap);
    kernels::Softmax(s, count);
    float* out = att_ + t * qd + h * hd;
    std::memset(out, 0, hd * sizeof(float));
    for (size_t i = 0; i < count; ++i) {
      const void* vrow = kv.V(il, b.seq, static_cast<size_t>(lo) + i);
      if (f16) {
        kernels::AxpyF16(s[i], static_cast<const uint16_t*>(vrow) + kvh * hd, out, hd);
      } else {
        kernels::Axpy(s[i], static_cast<const float*>(vrow) + kvh * hd, out, hd);
      }
    }
  });
}

void ForwardPass::Run(std::span<const BatchToken> batch, KvCache& kv, ThreadPool& pool,
                      float* logits) {
  const size_t n = batch.size(), d = c_.d_model, ff = c_.ffn_dim;
  const float eps = c_.rms_eps;
  const kernels::MatView& emb = w_.token_embd;
  // Gemma scales the embedding by sqrt(d_model).
  const float emb_scale = std::sqrt(static_cast<float>(d));
  ForEachToken(pool, n, [&](size_t t) {
    kernels::DequantizeMatRow(emb, static_cast<size_t>(batch[t].token), x_ + t * d);
    kernels::Scale(x_ + t * d, d, emb_scale);
  });
  ComputeRope(batch);

  for (size_t il = 0; il < c_.n_layers; ++il) {
    const LayerWeights& L = w_.layers[il];
    ForEachToken(pool, n,
                 [&](size_t t) { kernels::RMSNorm(x_ + t * d, L.attn_norm, d, eps, xn_ + t * d); });
    MatMuls(pool, xn_, n, {{&L.attn_q, q_}, {&L.attn_k, k_}, {&L.attn_v, v_}});
    Attention(il, batch, kv, pool);
    MatMuls(pool, att_, n, {{&L.attn_output, o_}});
    ForEachToken(pool, n, [&](size_t t) {
      float* o = o_ + t * d;
      if (L.post_attention_norm) kernels::RMSNorm(o, L.post_attention_norm, d, eps, o);
      kernels::Add(x_ + t * d, o, d);
      kernels::RMSNorm(x_ + t * d, L.ffn_norm, d, eps, xn_ + t * d);
    });
    MatMuls(pool, xn_, n, {{&L.ffn_gate, gate_}, {&L.ffn_up, up_}});
    ForEachToken(pool, n,
                 [&](size_t t) { kernels::GeluTanhMul(gate_ + t * ff, up_ + t * ff, ff); });
    MatMuls(pool, gate_, n, {{&L.ffn_down, o_}});
    ForEachToken(pool, n, [&](size_t t) {
      float* o = o_ + t * d;
      if (L.post_ffw_norm) kernels::RMSNorm(o, L.post_ffw_norm, d, eps, o);
      kernels::Add(x_ + t * d, o, d);
    });
  }
  for (size_t t = 0; t < n; ++t) {
    const int32_t seq = batch[t].seq;
    kv.length_[seq] = std::max(kv.length_[seq], batch[t].pos + 1);
    kv.high_water_[seq] = std::max(kv.high_water_[seq], batch[t].pos + 1);
  }

  // Logits only for the tokens that asked: final norm, tied embedding.
  size_t n_out = 0;
  for (size_t t = 0; t < n; ++t) {
    if (batch[t].want_logits) out_rows_[n_out++] = static_cast<int32_t>(t);
  }
  if (n_out == 0) return;
  ForEachToken(pool, n_out, [&](size_t j) {
    kernels::RMSNorm(x_ + static_cast<size_t>(out_rows_[j]) * d, w_.output_norm, d, eps,
                     xn_ + j * d);
  });
  MatMuls(pool, xn_, n_out, {{&emb, logits}});
  if (c_.final_softcap > 0.0f) {
    const size_t nv = c_.n_vocab;
    ForEachToken(pool, n_out,
                 [&](size_t j) { kernels::SoftCap(logits + j * nv, nv, c_.final_softcap); });
  }
}

}  // namespace gemma
