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

Admit admit(std::size_t idle_here, std::size_t idle_elsewhere, std::size_t open, std::size_t pending,
            std::size_t max_connections, std::size_t max_pending) {
  if (idle_here > 0) return Admit::Reuse;
  if (max_connections == 0 || open < max_connections) return Admit::Open;
  // At the limit: an idle connection to another upstream of the group gives
  // its place (Envoy never leaves a host without a way to get a connection).
  if (idle_elsewhere > 0) return Admit::Evict;
  if (pending < max_pending) return Admit::Queue;
  return Admit::Overflow;
}

}  // namespace portico::serve
