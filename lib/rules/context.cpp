#include "rules/context.hpp"

#include "rules/catalog.hpp"

namespace portico::rules {

void Context::emit(std::string_view rule, const doc::Node* at, const std::string& pointer,
                   std::string message, std::string hint, const doc::Document* in) const {
  const RuleInfo* info = find_rule(rule);
  emit_as(rule, info ? info->severity : Severity::Error, at, pointer, std::move(message),
          std::move(hint), in);
}

void Context::emit_as(std::string_view rule, Severity sev, const doc::Node* at,
                      const std::string& pointer, std::string message, std::string hint,
                      const doc::Document* in) const {
  Finding f;
  f.rule = std::string(rule);
  f.severity = sev;
  f.message = std::move(message);
  f.hint = std::move(hint);
  f.file = (in ? in : &doc)->file;
  f.line = at ? at->line : 1;
  f.column = at ? at->column : 1;
  f.pointer = at ? pointer : "";
  out.push_back(std::move(f));
}

const doc::Node* value_pos(const doc::Node* key, const doc::Node* value) {
  if (value && value->is_null() && value->text.empty() && !value->quoted) return key;
  return value ? value : key;
}

}  // namespace portico::rules
