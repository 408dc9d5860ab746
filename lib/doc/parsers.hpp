// Internal to doc/: the two front ends. Both throw detail::StopParse on a
// syntax problem; parse() turns that into a finding.
#pragma once

#include "doc/document.hpp"

namespace portico::doc::detail {

const Node* parse_yaml(Document& doc, const Limits& limits);
const Node* parse_json(Document& doc, const Limits& limits);

}  // namespace portico::doc::detail
