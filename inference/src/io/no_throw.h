// Runs a function that may allocate (or call code that throws) and turns an
// exception into a Status, so readers never let one escape the library.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "gemma/status.h"

namespace gemma {

template <typename T, typename F>
StatusOr<T> NoThrow(const std::string& where, F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(where + ": out of memory");
  } catch (const std::exception& e) {
    return Internal(where + ": " + e.what());
  }
}

}  // namespace gemma
