// Writing a ModelSource as GGUF or .gcore: `gemma convert` and
// `gemma quantize`. Tensors stream one at a time from the source's maps,
// converted (F32/F16/BF16/Q8_0/Q4_0 -> any of them) when a type is asked for.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gemma/status.h"
#include "kernels/types.h"
#include "model/source.h"

namespace gemma {

struct ExportOptions {
  // Every matrix (2-D tensor, the embedding included, as llama-quantize
  // --pure) becomes this type; nullopt keeps each tensor's type. Norm
  // vectors stay F32 (.gcore widens F16/BF16 ones to F32).
  std::optional<DType> matrix_type;
  // When set, the type of each matrix (a K-quant mixture, quant/kquant_mix.h);
  // overrides matrix_type. file_type then gives general.file_type.
  std::function<DType(const SourceTensor&)> matrix_type_of;
  std::optional<uint32_t> file_type;
  std::function<void(float)> progress;
};

Status WriteGguf(const ModelSource& src, const std::string& path, const ExportOptions& options);
Status WriteGcore(const ModelSource& src, const std::string& path, const ExportOptions& options);

// The type tensor `t` is written as.
DType ExportType(const SourceTensor& t, const ExportOptions& options, bool widen_norms);
// Tensor `t` as `type`: its own bytes when the type is unchanged, else
// dequantized row by row and re-encoded into *scratch.
StatusOr<std::span<const uint8_t>> ConvertTensor(const SourceTensor& t, DType type,
                                                 std::vector<uint8_t>* scratch);

}  // namespace gemma
