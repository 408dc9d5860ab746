// Test support: JSON Schema validation with valijson (draft-07), and the
// conversion of portico's own document tree (doc::Node) to nlohmann::json so
// that YAML files can be checked against a schema. Header-only.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "doc/document.hpp"

namespace portico::test {

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One parsed schema, to validate many documents against it.
class JsonSchema {
 public:
  explicit JsonSchema(const std::string& schema_file)
      : schema_json_(nlohmann::json::parse(read_text_file(schema_file))), schema_(std::make_unique<valijson::Schema>()) {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema_json_);
    parser.populateSchema(adapter, *schema_);
  }

  // "" when `doc` is valid, else one line per error ("<context>: <description>").
  std::string errors(const nlohmann::json& doc) const {
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (validator.validate(*schema_, target, &results)) return "";
    std::string out;
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
      for (const auto& c : e.context) out += c;
      out += ": " + e.description + "\n";
    }
    return out.empty() ? "invalid\n" : out;
  }

 private:
  nlohmann::json schema_json_;
  std::unique_ptr<valijson::Schema> schema_;
};

// doc::Node -> JSON: Map -> object (keys by their text; a later duplicate key
// wins, as in the gateway), Seq -> array, String -> string, Int/Float ->
// number, Bool -> bool, Null -> null. A number that JSON cannot hold (.inf,
// .nan) or that does not parse stays a string.
inline nlohmann::json node_to_json(const doc::Node* n) {
  using nlohmann::json;
  if (!n) return nullptr;
  switch (n->kind) {
    case doc::Kind::Null: return nullptr;
    case doc::Kind::Bool: {
      std::string t = n->text;
      for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return t == "true";
    }
    case doc::Kind::Int: {
      std::string t = n->text;
      bool neg = false;
      std::size_t i = 0;
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
      int base = 10;
      if (t.size() > i + 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X')) base = 16, i += 2;
      else if (t.size() > i + 2 && t[i] == '0' && (t[i + 1] == 'o' || t[i + 1] == 'O')) base = 8, i += 2;
      long long v = 0;
      auto [p, ec] = std::from_chars(t.data() + i, t.data() + t.size(), v, base);
      if (ec == std::errc() && p == t.data() + t.size()) return neg ? -v : v;
      double d = std::strtod(n->text.c_str(), nullptr);
      return std::isfinite(d) ? json(d) : json(n->text);
    }
    case doc::Kind::Float: {
      char* end = nullptr;
      double d = std::strtod(n->text.c_str(), &end);
      if (end && *end == '\0' && std::isfinite(d) && !n->text.empty()) return d;
      return n->text;
    }
    case doc::Kind::String: return n->text;
    case doc::Kind::Seq: {
      json a = json::array();
      for (const doc::Node* k : n->kids) a.push_back(node_to_json(k));
      return a;
    }
    case doc::Kind::Map: {
      json o = json::object();
      for (std::size_t i = 0; i < n->size(); ++i) o[n->key(i)->text] = node_to_json(n->value(i));
      return o;
    }
  }
  return nullptr;
}

// Parses a YAML/JSON file with portico's own parser. Throws with the parser's
// findings when it cannot be parsed.
inline nlohmann::json yaml_file_to_json(const std::string& path) {
  doc::Document d = doc::parse(path, read_text_file(path));
  if (!d.root) {
    std::string why;
    for (const auto& f : d.findings) why += f.rule + " " + std::to_string(f.line) + ":" + std::to_string(f.column) + " " + f.message + "; ";
    throw std::runtime_error("cannot parse " + path + ": " + why);
  }
  return node_to_json(d.root);
}

}  // namespace portico::test
