#include "tokenizer/json_reader.h"

#include <charconv>
#include <cstring>
#include <system_error>
#include <vector>

namespace gemma::tok {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

const char* JsonReader::KindName(Kind k) {
  switch (k) {
    case Kind::kObject:
      return "an object";
    case Kind::kArray:
      return "an array";
    case Kind::kString:
      return "a string";
    case Kind::kNumber:
      return "a number";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNull:
      return "null";
    case Kind::kEnd:
      return "the end of the file";
    case Kind::kInvalid:
      break;
  }
  return "an invalid character";
}

bool JsonReader::Fail(std::string_view what) {
  if (failed_) return false;
  failed_ = true;
  size_t line = 1, col = 1;
  const size_t end = pos_ < text_.size() ? pos_ : text_.size();
  for (size_t i = 0; i < end; ++i) {
    if (text_[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  error_ = "line " + std::to_string(line) + ", column " + std::to_string(col) + ": ";
  error_.append(what);
  return false;
}

JsonReader::Kind JsonReader::Peek() {
  SkipWs();
  if (pos_ >= text_.size()) return Kind::kEnd;
  switch (text_[pos_]) {
    case '{':
      return Kind::kObject;
    case '[':
      return Kind::kArray;
    case '"':
      return Kind::kString;
    case 't':
    case 'f':
      return Kind::kBool;
    case 'n':
      return Kind::kNull;
    case '-':
      return Kind::kNumber;
    default:
      break;
  }
  return (text_[pos_] >= '0' && text_[pos_] <= '9') ? Kind::kNumber : Kind::kInvalid;
}

bool JsonReader::Expect(Kind want) {
  if (failed_) return false;
  const Kind got = Peek();
  if (got == want) return true;
  return Fail(std::string("expected ") + KindName(want) + ", found " + KindName(got));
}

bool JsonReader::ParseString(std::string_view* out, std::string* scratch) {
  // At the opening quote.
  ++pos_;
  const size_t start = pos_;
  const char* p = text_.data();
  const size_t n = text_.size();
  size_t i = start;
  while (i < n) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '"') {
      *out = text_.substr(start, i - start);
      pos_ = i + 1;
      return true;
    }
    if (c == '\\') break;
    if (c < 0x20) {
      pos_ = i;
      return Fail("control character inside a string");
    }
    ++i;
  }
  if (i >= n) {
    pos_ = n;
    return Fail("unterminated string");
  }
  // Escapes: decode into scratch.
  scratch->assign(p + start, i - start);
  while (i < n) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '"') {
      *out = *scratch;
      pos_ = i + 1;
      return true;
    }
    if (c < 0x20) {
      pos_ = i;
      return Fail("control character inside a string");
    }
    if (c != '\\') {
      scratch->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (i + 1 >= n) break;
    const char e = p[i + 1];
    i += 2;
    switch (e) {
      case '"':
        scratch->push_back('"');
        break;
      case '\\':
        scratch->push_back('\\');
        break;
      case '/':
        scratch->push_back('/');
        break;
      case 'b':
        scratch->push_back('\b');
        break;
      case 'f':
        scratch->push_back('\f');
        break;
      case 'n':
        scratch->push_back('\n');
        break;
      case 'r':
        scratch->push_back('\r');
        break;
      case 't':
        scratch->push_back('\t');
        break;
      case 'u': {
        auto hex4 = [&](size_t at, uint32_t* v) {
          if (at + 4 > n) return false;
          uint32_t r = 0;
          for (size_t k = 0; k < 4; ++k) {
            const int h = HexValue(p[at + k]);
            if (h < 0) return false;
            r = r * 16 + static_cast<uint32_t>(h);
          }
          *v = r;
          return true;
        };
        uint32_t cp;
        if (!hex4(i, &cp)) {
          pos_ = i;
          return Fail("bad \\u escape");
        }
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (i + 6 > n || p[i] != '\\' || p[i + 1] != 'u' || !hex4(i + 2, &lo) || lo < 0xDC00 ||
              lo > 0xDFFF) {
            pos_ = i;
            return Fail("lone UTF-16 surrogate in a \\u escape");
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          pos_ = i;
          return Fail("lone UTF-16 surrogate in a \\u escape");
        }
        AppendUtf8(cp, scratch);
        break;
      }
      default:
        pos_ = i - 1;
        return Fail("bad escape in a string");
    }
  }
  pos_ = n;
  return Fail("unterminated string");
}

bool JsonReader::String(std::string_view* out, std::string* scratch) {
  if (!Expect(Kind::kString)) return false;
  return ParseString(out, scratch);
}

bool JsonReader::String(std::string* out) {
  std::string_view v;
  if (!String(&v, out)) return false;
  if (v.data() != out->data()) out->assign(v);
  return true;
}

bool JsonReader::StringOrNull(std::string* out, bool* is_null) {
  if (failed_) return false;
  if (Peek() == Kind::kNull) {
    *is_null = true;
    out->clear();
    return Literal("null");
  }
  *is_null = false;
  return String(out);
}

bool JsonReader::SkipNumber() {
  const size_t start = pos_;
  if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
  auto digits = [&] {
    size_t d = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_, ++d;
    return d;
  };
  const size_t int_start = pos_;
  if (digits() == 0) return Fail("bad number");
  if (text_[int_start] == '0' && pos_ - int_start > 1) {
    pos_ = start;
    return Fail("number with a leading zero");
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) return Fail("bad number");
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (digits() == 0) return Fail("bad number");
  }
  return true;
}

bool JsonReader::Int(int64_t* out) {
  if (!Expect(Kind::kNumber)) return false;
  const size_t start = pos_;
  if (!SkipNumber()) return false;
  std::string_view num = text_.substr(start, pos_ - start);
  bool neg = !num.empty() && num[0] == '-';
  if (neg) num.remove_prefix(1);
  uint64_t v = 0;
  for (char c : num) {
    if (c < '0' || c > '9') {
      pos_ = start;
      return Fail("expected an integer");
    }
    if (v > (uint64_t{1} << 62)) {
      pos_ = start;
      return Fail("integer out of range");
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > (uint64_t{1} << 62)) {
    pos_ = start;
    return Fail("integer out of range");
  }
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

bool JsonReader::Number(double* out) {
  if (!Expect(Kind::kNumber)) return false;
  const size_t start = pos_;
  if (!SkipNumber()) return false;
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  const auto res = std::from_chars(first, last, *out);
  if (res.ec != std::errc() || res.ptr != last) {
    pos_ = start;
    return Fail("number out of range");
  }
  return true;
}

bool JsonReader::Literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return Fail("bad literal");
  pos_ += word.size();
  return true;
}

bool JsonReader::Bool(bool* out) {
  if (!Expect(Kind::kBool)) return false;
  if (text_[pos_] == 't') {
    *out = true;
    return Literal("true");
  }
  *out = false;
  return Literal("false");
}

bool JsonReader::BeginObject() {
  if (!Expect(Kind::kObject)) return false;
  if (depth_ >= kMaxDepth) return Fail("nesting too deep");
  ++pos_;
  first_[depth_++] = true;
  return true;
}

bool JsonReader::BeginArray() {
  if (!Expect(Kind::kArray)) return false;
  if (depth_ >= kMaxDepth) return Fail("nesting too deep");
  ++pos_;
  first_[depth_++] = true;
  return true;
}

bool JsonReader::NextMember(std::string_view* key, std::string* scratch) {
  if (failed_ || depth_ == 0) return false;
  SkipWs();
  if (pos_ >= text_.size()) return Fail("unterminated object");
  if (text_[pos_] == '}') {
    ++pos_;
    --depth_;
    return false;
  }
  if (!first_[depth_ - 1]) {
    if (text_[pos_] != ',') return Fail("expected ',' or '}' in an object");
    ++pos_;
    SkipWs();
  }
  first_[depth_ - 1] = false;
  if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a member name");
  if (!ParseString(key, scratch)) return false;
  SkipWs();
  if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':' after a member name");
  ++pos_;
  return true;
}

bool JsonReader::NextElement() {
  if (failed_ || depth_ == 0) return false;
  SkipWs();
  if (pos_ >= text_.size()) return Fail("unterminated array");
  if (text_[pos_] == ']') {
    ++pos_;
    --depth_;
    return false;
  }
  if (!first_[depth_ - 1]) {
    if (text_[pos_] != ',') return Fail("expected ',' or ']' in an array");
    ++pos_;
  }
  first_[depth_ - 1] = false;
  return true;
}

bool JsonReader::Skip() {
  if (failed_) return false;
  // Iterative: a stack of open containers ('{' or '['), each with a "first"
  // flag, so deep nesting cannot exhaust the call stack.
  constexpr size_t kSkipMaxDepth = 1024;
  std::vector<char> stack;
  std::vector<bool> first;
  std::string scratch;
  std::string_view sv;
  while (true) {
    // Read one value.
    switch (Peek()) {
      case Kind::kObject:
      case Kind::kArray:
        if (stack.size() >= kSkipMaxDepth) return Fail("nesting deeper than 1024 levels");
        stack.push_back(text_[pos_]);
        first.push_back(true);
        ++pos_;
        break;
      case Kind::kString:
        if (!ParseString(&sv, &scratch)) return false;
        break;
      case Kind::kNumber:
        if (!SkipNumber()) return false;
        break;
      case Kind::kBool:
        if (!Literal(text_[pos_] == 't' ? "true" : "false")) return false;
        break;
      case Kind::kNull:
        if (!Literal("null")) return false;
        break;
      case Kind::kEnd:
        return Fail("unexpected end of the file");
      case Kind::kInvalid:
        return Fail("expected a value");
    }
    // Close containers and position before the next value.
    while (!stack.empty()) {
      SkipWs();
      if (pos_ >= text_.size()) return Fail("unexpected end of the file");
      const char close = stack.back() == '{' ? '}' : ']';
      if (text_[pos_] == close) {
        ++pos_;
        stack.pop_back();
        first.pop_back();
        continue;
      }
      if (!first.back()) {
        if (text_[pos_] != ',') return Fail(std::string("expected ',' or '") + close + "'");
        ++pos_;
        SkipWs();
      }
      first.back() = false;
      if (stack.back() == '{') {
        if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a member name");
        if (!ParseString(&sv, &scratch)) return false;
        SkipWs();
        if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
        ++pos_;
      }
      break;  // read the next value
    }
    if (stack.empty()) return true;
  }
}

bool JsonReader::ExpectEnd() {
  if (failed_) return false;
  SkipWs();
  if (pos_ != text_.size()) return Fail("unexpected data after the JSON value");
  return true;
}

}  // namespace gemma::tok
