// A small, strict, allocation-light JSON pull reader for tokenizer.json: the
// caller walks the document it expects (objects, arrays, strings, integers,
// booleans, null) and skips the rest. Strings without escapes are returned as
// views into the input; escaped ones are decoded into a caller's buffer.
// Nothing recurses on the input's nesting (Skip() is iterative), every error
// records "line L, column C: what was expected", and no input aborts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gemma::tok {

class JsonReader {
 public:
  enum class Kind { kObject, kArray, kString, kNumber, kBool, kNull, kEnd, kInvalid };

  explicit JsonReader(std::string_view text) : text_(text) {}

  // Kind of the next value (after whitespace); kEnd at the end of the input.
  Kind Peek();
  static const char* KindName(Kind k);

  // Each reader below returns false on error (then failed() is true and
  // error() says why). A type mismatch is an error naming both types.
  bool String(std::string_view* out, std::string* scratch);
  bool String(std::string* out);
  bool Int(int64_t* out);
  bool Number(double* out);
  bool Bool(bool* out);
  // Reads a string or null; *is_null tells which.
  bool StringOrNull(std::string* out, bool* is_null);
  bool Skip();  // any one value

  // Objects: BeginObject(), then while (NextMember(&key, &scratch)) { read
  // the value }, then check failed(). NextMember returns false at '}'.
  bool BeginObject();
  bool NextMember(std::string_view* key, std::string* scratch);
  // Arrays: BeginArray(), then while (NextElement()) { read the element }.
  bool BeginArray();
  bool NextElement();

  // Requires only whitespace after the top-level value.
  bool ExpectEnd();

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  // Records an error at the current position (first error wins).
  bool Fail(std::string_view what);

 private:
  void SkipWs() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++pos_;
    }
  }
  bool Expect(Kind want);
  bool ParseString(std::string_view* out, std::string* scratch);
  bool SkipNumber();
  bool Literal(std::string_view word);

  std::string_view text_;
  size_t pos_ = 0;
  // Per open container: whether the next member/element is the first.
  static constexpr int kMaxDepth = 256;
  bool first_[kMaxDepth] = {};
  int depth_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace gemma::tok
