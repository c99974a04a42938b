// A small strict JSON reader (RFC 8259) for the model formats' own JSON:
// SafeTensors headers, config.json, model.safetensors.index.json. It builds a
// DOM, never throws, bounds nesting depth, rejects duplicate object keys and
// keeps integers exact (offsets up to 2^64 - 1). Errors name the source and
// the byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gemma/status.h"

namespace gemma {

class JsonValue {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  // A number written without fraction or exponent, >= 0 and < 2^64.
  bool is_uint() const { return kind_ == Kind::kNumber && is_uint_; }

  bool bool_value() const { return bool_; }
  double number() const { return number_; }
  uint64_t uint_value() const { return uint_; }
  const std::string& str() const { return str_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
  // Object member by key; nullptr when absent or when this is not an object.
  const JsonValue* Find(std::string_view key) const;

  // "null", "a boolean", "a number", "a string", "an array", "an object".
  static const char* KindName(Kind k);

 private:
  friend class JsonParser;
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  bool is_uint_ = false;
  double number_ = 0;
  uint64_t uint_ = 0;
  std::string str_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses one JSON value; only whitespace may follow it. `name` is used in
// error messages ("<name>: invalid JSON at byte 17: ...").
StatusOr<JsonValue> ParseJson(std::string_view text, const std::string& name, int max_depth = 64);

}  // namespace gemma
