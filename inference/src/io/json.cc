// Recursive-descent JSON parser with a depth limit. Allocation failures are
// caught at the entry point and reported as ResourceExhausted.
#include "io/json.h"

#include <cerrno>
#include <cstdlib>
#include <exception>
#include <new>
#include <unordered_set>

namespace gemma {

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const char* JsonValue::KindName(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& name, int max_depth)
      : s_(text), name_(name), max_depth_(max_depth) {}

  Status Run(JsonValue* out) {
    SkipSpace();
    if (!Value(out, 0)) return error_;
    SkipSpace();
    if (pos_ != s_.size()) return Fail("unexpected data after the JSON value"), error_;
    return Status::Ok();
  }

 private:
  bool Fail(const std::string& what) {
    if (error_.ok()) {
      error_ = CorruptData(name_ + ": invalid JSON at byte " + std::to_string(pos_) + ": " + what);
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("unexpected character");
    pos_ += word.size();
    return true;
  }

  bool Value(JsonValue* v, int depth) {
    if (pos_ >= s_.size()) return Fail("unexpected end of input");
    const char c = s_[pos_];
    switch (c) {
      case '{':
        return Object(v, depth + 1);
      case '[':
        return Array(v, depth + 1);
      case '"':
        v->kind_ = JsonValue::Kind::kString;
        return String(&v->str_);
      case 't':
        v->kind_ = JsonValue::Kind::kBool;
        v->bool_ = true;
        return Literal("true");
      case 'f':
        v->kind_ = JsonValue::Kind::kBool;
        v->bool_ = false;
        return Literal("false");
      case 'n':
        v->kind_ = JsonValue::Kind::kNull;
        return Literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return Number(v);
        return Fail(std::string("unexpected character '") + (c >= 0x20 && c < 0x7f ? c : '?') +
                    "'");
    }
  }

  bool Object(JsonValue* v, int depth) {
    if (depth > max_depth_) return Fail("nesting deeper than " + std::to_string(max_depth_));
    v->kind_ = JsonValue::Kind::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    std::unordered_set<std::string> seen;  // used once the object is large
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected a string key");
      std::string key;
      const size_t key_pos = pos_;
      if (!String(&key)) return false;
      bool duplicate;
      if (v->members_.size() < 16) {
        duplicate = v->Find(key) != nullptr;
      } else {
        if (seen.empty()) {
          for (const auto& m : v->members_) seen.insert(m.first);
        }
        duplicate = !seen.insert(key).second;
      }
      if (duplicate) {
        pos_ = key_pos;
        return Fail("duplicate key \"" + key + "\"");
      }
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      SkipSpace();
      v->members_.emplace_back(std::move(key), JsonValue());
      if (!Value(&v->members_.back().second, depth)) return false;
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unexpected end of input in an object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool Array(JsonValue* v, int depth) {
    if (depth > max_depth_) return Fail("nesting deeper than " + std::to_string(max_depth_));
    v->kind_ = JsonValue::Kind::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      v->items_.emplace_back();
      if (!Value(&v->items_.back(), depth)) return false;
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unexpected end of input in an array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  bool Hex4(uint32_t* out) {
    *out = 0;
    if (s_.size() - pos_ < 4) return Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("bad hex digit in \\u escape");
      }
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  // Validates one multi-byte UTF-8 sequence starting at pos_ and copies it.
  bool Utf8Char(std::string* out) {
    const auto c = static_cast<unsigned char>(s_[pos_]);
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return Fail("invalid UTF-8 in a string");
    }
    if (s_.size() - pos_ < len) return Fail("invalid UTF-8 in a string");
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s_[pos_ + k]);
      if ((cc & 0xc0) != 0x80) return Fail("invalid UTF-8 in a string");
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return Fail("invalid UTF-8 in a string");
    }
    out->append(s_.substr(pos_, len));
    pos_ += len;
    return true;
  }

  bool String(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return Fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in a string");
      if (c >= 0x80) {
        if (!Utf8Char(out)) return false;
        continue;
      }
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) return Fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo = 0;
            if (s_.substr(pos_, 2) != "\\u") return Fail("unpaired surrogate in \\u escape");
            pos_ += 2;
            if (!Hex4(&lo)) return false;
            if (lo < 0xdc00 || lo > 0xdfff) return Fail("unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return Fail("unpaired surrogate in \\u escape");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("bad escape character");
      }
    }
  }

  bool Number(JsonValue* v) {
    v->kind_ = JsonValue::Kind::kNumber;
    const size_t start = pos_;
    bool negative = false, integral = true;
    if (s_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    auto digits = [&]() {
      const size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - b;
    };
    const size_t int_begin = pos_;
    const size_t n_int = digits();
    if (n_int == 0) return Fail("bad number");
    if (n_int > 1 && s_[int_begin] == '0') return Fail("leading zero in a number");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (digits() == 0) return Fail("bad number fraction");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Fail("bad number exponent");
    }
    const std::string text(s_.substr(start, pos_ - start));
    errno = 0;
    v->number_ = std::strtod(text.c_str(), nullptr);
    if (integral && !negative) {
      uint64_t u = 0;
      bool overflow = false;
      for (size_t i = int_begin; i < int_begin + n_int; ++i) {
        const uint64_t d = static_cast<uint64_t>(s_[i] - '0');
        if (u > (UINT64_MAX - d) / 10) {
          overflow = true;
          break;
        }
        u = u * 10 + d;
      }
      v->is_uint_ = !overflow;
      v->uint_ = u;
    }
    return true;
  }

  std::string_view s_;
  const std::string& name_;
  int max_depth_;
  size_t pos_ = 0;
  Status error_;
};

StatusOr<JsonValue> ParseJson(std::string_view text, const std::string& name, int max_depth) {
  try {
    JsonValue v;
    JsonParser p(text, name, max_depth);
    GEMMA_RETURN_IF_ERROR(p.Run(&v));
    return v;
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(name + ": out of memory parsing JSON");
  } catch (const std::exception& e) {
    return Internal(name + ": " + e.what());
  }
}

}  // namespace gemma
