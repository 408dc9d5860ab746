// --http: one informational GET per URL, all at once (libcurl multi).
// The gateway never fails over on HTTP errors; this only tells the user
// whether a TCP-available backend is also answering well.
#pragma once

#include <string>
#include <vector>

namespace portico::probe {

struct HttpOutcome {
  bool answered = false;
  long status = 0;
  double ttfb_ms = 0;  // time to the first byte of the answer
  std::string error;   // when not answered
};

std::vector<HttpOutcome> http_check(const std::vector<std::string>& urls, long timeout_ms, const std::string& ca_file,
                                    int parallel);

}  // namespace portico::probe
