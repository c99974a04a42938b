// Decoding, batch and streaming, with Hugging Face's rules (Gemma's decoder
// is Replace(U+2581 -> ' '), ByteFallback, Fuse):
//   * pieces are concatenated with U+2581 replaced by a space (a leading
//     space is kept);
//   * a maximal run of byte pieces <0xXX> is UTF-8 decoded as a whole; if the
//     run is not valid UTF-8, every byte of the run becomes U+FFFD;
//   * skip_special drops Control and Unknown pieces before decoding (as HF's
//     skip_special_tokens filters ids first), so a dropped piece does not end
//     a byte run.
// Decode() and StreamingDetokenizer are written independently; the tests
// check that they agree on random id sequences.
#include <string>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace gemma {

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  const Impl& m = *impl_;
  std::string out;
  std::string run;  // current byte run
  auto flush_run = [&] {
    if (run.empty()) return;
    if (tok::IsValidUtf8(run)) {
      out.append(run);
    } else {
      tok::AppendReplacement(run.size(), &out);
    }
    run.clear();
  };
  for (int32_t id : ids) {
    if (!IsValid(id)) continue;
    const PieceType type = m.types[id];
    if (skip_special && Impl::SkippedAsSpecial(type)) continue;
    if (m.byte_value[id] >= 0) {
      run.push_back(static_cast<char>(m.byte_value[id]));
      continue;
    }
    flush_run();
    tok::AppendReplacingMetaspace(m.pieces[id], &out);
  }
  flush_run();
  return out;
}

// Streaming: a byte run must be held until it ends, because HF turns the
// whole run into U+FFFD if any part of it is invalid: emitting a valid prefix
// early ("中" of E4 B8 AD E4) could contradict Decode() of the full sequence.
// Once the run is proven invalid (no continuation can make it valid UTF-8),
// its fate is known: its bytes so far are emitted as U+FFFD at once, and so is
// every further byte of the same run. Hence deltas never split a character
// and concatenated deltas + Flush() equal Decode() exactly.
StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_special)
    : tok_(&tokenizer), skip_special_(skip_special) {
  pending_.reserve(64);
}

void StreamingDetokenizer::Push(int32_t id, std::string* out) {
  if (!tok_->IsValid(id)) return;
  const Tokenizer::Impl& m = *tok_->impl_;
  const PieceType type = m.types[id];
  if (skip_special_ && Tokenizer::Impl::SkippedAsSpecial(type)) return;
  const int b = m.byte_value[id];
  if (b >= 0) {
    if (poisoned_) {
      out->append(tok::kReplacement);
      return;
    }
    pending_.push_back(static_cast<char>(b));
    auto v = tok::Utf8Validator::Unpack(utf8_state_);
    const auto state = v.Feed(static_cast<uint8_t>(b));
    utf8_state_ = v.Pack();
    if (state == tok::Utf8Validator::State::kInvalid) {
      tok::AppendReplacement(pending_.size(), out);
      pending_.clear();
      poisoned_ = true;
    }
    return;
  }
  EndRun(out);
  tok::AppendReplacingMetaspace(m.pieces[id], out);
}

void StreamingDetokenizer::EndRun(std::string* out) {
  if (!pending_.empty()) {
    if (tok::Utf8Validator::Unpack(utf8_state_).state() == tok::Utf8Validator::State::kComplete) {
      out->append(pending_);
    } else {
      tok::AppendReplacement(pending_.size(), out);
    }
    pending_.clear();
  }
  utf8_state_ = 0;
  poisoned_ = false;
}

void StreamingDetokenizer::Flush(std::string* out) { EndRun(out); }

void StreamingDetokenizer::Reset() {
  pending_.clear();
  utf8_state_ = 0;
  poisoned_ = false;
}

}  // namespace gemma
