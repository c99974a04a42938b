// Force-included (-include) into every C++ translation unit of the wasm
// build. Emscripten 3.1.6 ships libc++ 13, which lacks a few C++17/20 library
// features the engine uses: floating-point std::to_chars / std::from_chars
// and std::bit_cast. They are provided here for that libc++ only, so the
// library sources stay standard C++ and unchanged; a newer libc++ (14+)
// brings its own and this header adds nothing.
#pragma once

#if defined(__cplusplus) && defined(__EMSCRIPTEN__)
#include <version>

#if defined(_LIBCPP_VERSION) && _LIBCPP_VERSION < 14000
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <type_traits>

_LIBCPP_BEGIN_NAMESPACE_STD

#if !defined(__cpp_lib_bit_cast)
template <class To, class From>
requires(sizeof(To) == sizeof(From) && is_trivially_copyable_v<To> &&
         is_trivially_copyable_v<From>) constexpr To bit_cast(const From& from) noexcept {
  return __builtin_bit_cast(To, from);
}
#endif

namespace gemma_compat {
// The shortest "%.*g" text that reads back as the same value (what to_chars
// without a precision produces, up to the choice of notation).
template <class F>
inline to_chars_result ShortestToChars(char* first, char* last, F value) {
  char buf[64];
  int n = 0;
  for (int precision = 1; precision <= 17; ++precision) {
    n = snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(value));
    if (static_cast<F>(strtod(buf, nullptr)) == value || value != value) break;
  }
  if (n < 0 || n > last - first) return {last, errc::value_too_large};
  memcpy(first, buf, static_cast<size_t>(n));
  return {first + n, errc()};
}

template <class F>
inline from_chars_result FloatFromChars(const char* first, const char* last, F& value) {
  // The same grammar as from_chars (no leading '+' or spaces, no "0x").
  if (first == last || *first == '+' || *first == ' ' || *first == '\t' || *first == '\n') {
    return {first, errc::invalid_argument};
  }
  const string text(first, last);
  const char* begin = text.c_str();
  const char* digits = begin + (*begin == '-' ? 1 : 0);
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    return {first + (digits - begin) + 1, errc()};
  char* end = nullptr;
  errno = 0;
  const double d = strtod(begin, &end);
  if (end == begin) return {first, errc::invalid_argument};
  const from_chars_result r{first + (end - begin), errc()};
  const F f = static_cast<F>(d);
  if (errno == ERANGE || (std::isinf(f) && !std::isinf(d)))
    return {r.ptr, errc::result_out_of_range};
  value = f;
  return r;
}
}  // namespace gemma_compat

inline to_chars_result to_chars(char* first, char* last, float value) {
  return gemma_compat::ShortestToChars(first, last, value);
}
inline to_chars_result to_chars(char* first, char* last, double value) {
  return gemma_compat::ShortestToChars(first, last, value);
}
inline from_chars_result from_chars(const char* first, const char* last, float& value,
                                    chars_format = chars_format::general) {
  return gemma_compat::FloatFromChars(first, last, value);
}
inline from_chars_result from_chars(const char* first, const char* last, double& value,
                                    chars_format = chars_format::general) {
  return gemma_compat::FloatFromChars(first, last, value);
}

_LIBCPP_END_NAMESPACE_STD

#endif  // libc++ < 14
#endif  // C++ under Emscripten
