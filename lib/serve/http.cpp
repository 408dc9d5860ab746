#include "serve/http.hpp"

#include "util/text.hpp"

namespace portico::serve {

std::string Request::header(std::string_view name) const {
  for (const auto& h : headers)
    if (text::to_lower(h.name) == text::to_lower(name)) return h.value;
  return "";
}

std::string Request::path() const { return target.substr(0, target.find('?')); }

std::string Request::query() const {
  auto q = target.find('?');
  return q == std::string::npos ? "" : target.substr(q + 1);
}

void Response::set(std::string name, std::string value) {
  for (auto& h : headers)
    if (text::to_lower(h.name) == text::to_lower(name)) {
      h.value = std::move(value);
      return;
    }
  headers.push_back({std::move(name), std::move(value)});
}

}  // namespace portico::serve
