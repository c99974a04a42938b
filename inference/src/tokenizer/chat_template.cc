// Gemma chat formatting (the official Gemma 1/2/3 Jinja templates, with
// Gemma 3's system-message folding applied to every version):
//   <start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n
//   <start_of_turn>model\n{model}<end_of_turn>\n ... [<start_of_turn>model\n]
// Turn contents are trimmed like Jinja's `trim` (Python str.strip(): Unicode
// whitespace); the system message is not (Gemma 3's template uses
// `messages[0]['content'] + '\n\n'` as is). "assistant" is written "model".
#include <string>
#include <string_view>

#include "gemma/tokenizer.h"

namespace gemma {
namespace {

// Decodes the code point starting at s[i] (valid UTF-8 assumed; an invalid
// byte is returned as itself with length 1, which is never whitespace).
char32_t DecodeAt(std::string_view s, size_t i, size_t* len) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  auto cont = [&](size_t k) {
    return static_cast<char32_t>(static_cast<uint8_t>(s[i + k]) & 0x3F);
  };
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && i + 1 < s.size()) {
    *len = 2;
    return ((b0 & 0x1Fu) << 6) | cont(1);
  }
  if ((b0 & 0xF0) == 0xE0 && i + 2 < s.size()) {
    *len = 3;
    return ((b0 & 0x0Fu) << 12) | (cont(1) << 6) | cont(2);
  }
  if ((b0 & 0xF8) == 0xF0 && i + 3 < s.size()) {
    *len = 4;
    return ((b0 & 0x07u) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
  }
  *len = 1;
  return 0xFFFFFFFF;
}

// Python's str.isspace().
bool IsPySpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string_view Trim(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t len;
    if (!IsPySpace(DecodeAt(s, begin, &len))) break;
    begin += len;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = end - 1;  // step back to the lead byte
    while (start > begin && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80 && end - start < 4) {
      --start;
    }
    size_t len;
    char32_t c = DecodeAt(s, start, &len);
    if (start + len != end || !IsPySpace(c)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

}  // namespace

StatusOr<std::string> RenderChat(std::span<const ChatMessage> messages,
                                 bool add_generation_prompt) {
  std::string out;
  std::string_view system;
  bool has_system = false;
  size_t first = 0;
  if (!messages.empty() && messages[0].role == "system") {
    has_system = true;
    system = messages[0].content;  // not trimmed, as in Gemma 3's template
    first = 1;
    if (messages.size() == 1) {
      // The official template would silently drop it; refuse instead.
      return InvalidArgument("chat: a system message must be followed by a user message");
    }
  }
  size_t reserve = 64;
  for (const ChatMessage& m : messages) reserve += m.content.size() + 40;
  out.reserve(reserve);

  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const bool expect_user = (i - first) % 2 == 0;
    std::string_view role;
    if (m.role == "user") {
      role = "user";
    } else if (m.role == "assistant" || m.role == "model") {
      role = "model";
    } else if (m.role == "system") {
      return InvalidArgument("chat: message " + std::to_string(i) +
                             ": a system message is only allowed first");
    } else {
      return InvalidArgument("chat: message " + std::to_string(i) + ": unknown role '" + m.role +
                             "' (expected system, user, assistant or model)");
    }
    if ((role == "user") != expect_user) {
      return InvalidArgument("chat: message " + std::to_string(i) + " has role '" + m.role +
                             "'; roles must alternate user/assistant starting with user");
    }
    out.append("<start_of_turn>").append(role).push_back('\n');
    if (has_system && i == first) out.append(system).append("\n\n");
    out.append(Trim(m.content)).append("<end_of_turn>\n");
  }
  if (add_generation_prompt) out.append("<start_of_turn>model\n");
  return out;
}

}  // namespace gemma
