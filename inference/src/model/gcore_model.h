// ModelConfig <-> the .gcore CONF section, and the .gcore loader.
#pragma once

#include <vector>

#include "io/gcore.h"
#include "model/config.h"

namespace gemma {

std::vector<GcoreKv> GcoreConfigKvs(const ModelConfig& c);
StatusOr<ModelConfig> ConfigFromGcore(const GcoreFile& f);

}  // namespace gemma
