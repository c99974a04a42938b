// Counts global operator new calls made by this test binary (the replacement
// operators live in alloc_counter.cc), so tests can assert that a code path
// does not allocate.
#pragma once

#include <cstddef>

namespace gemma::testing {

// Number of operator new / new[] calls since the program started (all threads).
size_t AllocationCount();

}  // namespace gemma::testing
