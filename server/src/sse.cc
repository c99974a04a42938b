#include "sse.h"

#include <cstdio>

namespace gemma::server {

std::string SseEvent(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 8);
  out += "data: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string SseDone() { return "data: [DONE]\n\n"; }

std::string HttpChunk(std::string_view data) {
  if (data.empty()) return {};
  char size[20];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  std::string out = size;
  out += data;
  out += "\r\n";
  return out;
}

std::string HttpLastChunk() { return "0\r\n\r\n"; }

}  // namespace gemma::server
