// Server-sent events framing for streamed completions, and HTTP/1.1 chunked
// transfer framing of those bytes.
#pragma once

#include <string>
#include <string_view>

namespace gemma::server {

// "data: {json}\n\n"
std::string SseEvent(std::string_view json);
// "data: [DONE]\n\n"
std::string SseDone();
// One chunk of a chunked body: "<hex size>\r\n<data>\r\n" (empty data -> "").
std::string HttpChunk(std::string_view data);
// The last chunk: "0\r\n\r\n".
std::string HttpLastChunk();

}  // namespace gemma::server
