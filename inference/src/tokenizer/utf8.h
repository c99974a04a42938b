// UTF-8 helpers shared by the encoder (splitting text into characters) and
// the decoders (validating byte-token runs exactly as Rust's str::from_utf8,
// which is what Hugging Face tokenizers' ByteFallback decoder uses).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gemma::tok {

inline constexpr std::string_view kMetaspace = "\xE2\x96\x81";    // U+2581
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Incremental strict UTF-8 validator (rejects overlongs, surrogates and code
// points above U+10FFFF, like Rust / WHATWG). Feed bytes one at a time.
class Utf8Validator {
 public:
  enum class State { kComplete, kIncomplete, kInvalid };

  // Returns the state after consuming `b`. Once kInvalid, the prefix can never
  // become valid; the caller decides what to do (Reset() starts over).
  State Feed(uint8_t b) {
    if (invalid_) return State::kInvalid;
    if (need_ == 0) {
      if (b < 0x80) return State::kComplete;
      if (b >= 0xC2 && b <= 0xDF) {
        Expect(1, 0x80, 0xBF);
      } else if (b == 0xE0) {
        Expect(2, 0xA0, 0xBF);
      } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
        Expect(2, 0x80, 0xBF);
      } else if (b == 0xED) {
        Expect(2, 0x80, 0x9F);
      } else if (b == 0xF0) {
        Expect(3, 0x90, 0xBF);
      } else if (b >= 0xF1 && b <= 0xF3) {
        Expect(3, 0x80, 0xBF);
      } else if (b == 0xF4) {
        Expect(3, 0x80, 0x8F);
      } else {
        invalid_ = true;
        return State::kInvalid;
      }
      return State::kIncomplete;
    }
    if (b < lo_ || b > hi_) {
      invalid_ = true;
      return State::kInvalid;
    }
    --need_;
    lo_ = 0x80;
    hi_ = 0xBF;
    return need_ == 0 ? State::kComplete : State::kIncomplete;
  }
  // State of everything fed so far (kComplete for nothing fed).
  State state() const {
    if (invalid_) return State::kInvalid;
    return need_ == 0 ? State::kComplete : State::kIncomplete;
  }
  void Reset() {
    need_ = 0;
    lo_ = 0x80;
    hi_ = 0xBF;
    invalid_ = false;
  }

  // Compact state for storage in a public header (0 = fresh).
  uint32_t Pack() const {
    return static_cast<uint32_t>(need_) | (static_cast<uint32_t>(lo_ ^ 0x80) << 8) |
           (static_cast<uint32_t>(hi_ ^ 0xBF) << 16) | (invalid_ ? 1u << 24 : 0u);
  }
  static Utf8Validator Unpack(uint32_t s) {
    Utf8Validator v;
    v.need_ = static_cast<int>(s & 0xFF);
    v.lo_ = static_cast<uint8_t>(((s >> 8) & 0xFF) ^ 0x80);
    v.hi_ = static_cast<uint8_t>(((s >> 16) & 0xFF) ^ 0xBF);
    v.invalid_ = (s >> 24) & 1;
    return v;
  }

 private:
  void Expect(int n, uint8_t lo, uint8_t hi) {
    need_ = n;
    lo_ = lo;
    hi_ = hi;
  }
  int need_ = 0;
  uint8_t lo_ = 0x80, hi_ = 0xBF;
  bool invalid_ = false;
};

inline bool IsValidUtf8(std::string_view s) {
  Utf8Validator v;
  for (char c : s) {
    if (v.Feed(static_cast<uint8_t>(c)) == Utf8Validator::State::kInvalid) return false;
  }
  return v.state() == Utf8Validator::State::kComplete;
}

// Length of the valid UTF-8 character starting at s[pos], or 1 when the bytes
// there are not a valid character (an invalid byte becomes its own symbol and
// later goes to byte fallback). Requires pos < s.size().
inline size_t Utf8CharLen(std::string_view s, size_t pos) {
  Utf8Validator v;
  for (size_t i = pos; i < s.size() && i < pos + 4; ++i) {
    switch (v.Feed(static_cast<uint8_t>(s[i]))) {
      case Utf8Validator::State::kComplete:
        return i - pos + 1;
      case Utf8Validator::State::kInvalid:
        return 1;
      case Utf8Validator::State::kIncomplete:
        break;
    }
  }
  return 1;  // truncated at the end of the text
}

// Appends `piece` to *out with every U+2581 replaced by U+0020. Allocates only
// if *out lacks capacity.
inline void AppendReplacingMetaspace(std::string_view piece, std::string* out) {
  size_t start = 0;
  while (true) {
    size_t p = piece.find(kMetaspace, start);
    if (p == std::string_view::npos) {
      out->append(piece.data() + start, piece.size() - start);
      return;
    }
    out->append(piece.data() + start, p - start);
    out->push_back(' ');
    start = p + kMetaspace.size();
  }
}

inline void AppendReplacement(size_t count, std::string* out) {
  for (size_t i = 0; i < count; ++i) out->append(kReplacement);
}

}  // namespace gemma::tok
