// Internal to rules/: what every check needs: the document, the optional
// project metadata, the effective endpoints, and a place to put findings.
#pragma once

#include <string>
#include <vector>

#include "diag/finding.hpp"
#include "doc/document.hpp"
#include "endpoints/resolve.hpp"
#include "project/api_yaml.hpp"

namespace portico::rules {

struct Context {
  const doc::Document& doc;
  const project::ApiYaml* meta;  // null for a bare definition
  const endpoints::Resolution& resolved;
  std::vector<Finding>& out;

  const doc::Node* root() const { return doc.root; }
  bool websocket() const { return meta && meta->websocket(); }

  void emit(std::string_view rule, const doc::Node* at, const std::string& pointer,
            std::string message, std::string hint = {}, const doc::Document* in = nullptr) const;
  void emit_as(std::string_view rule, Severity sev, const doc::Node* at, const std::string& pointer,
               std::string message, std::string hint = {}, const doc::Document* in = nullptr) const;
};

// A value's position: an implicit empty value (`key:` and nothing) has no
// text of its own, so findings about it point at its key.
const doc::Node* value_pos(const doc::Node* key, const doc::Node* value);

// The checks, one file each.
void check_document(const Context& c);    // not-openapi, info-missing, paths-key-invalid
void check_extensions(const Context& c);  // extension-misplaced, extension-unknown
void check_endpoints(const Context& c);   // endpoint blocks and their URLs
void check_api(const Context& c);         // base path, name, version, no-endpoints...
void check_routing(const Context& c);     // lists the gateway model says are dropped

// URL checks, shared with project checks (api.yaml endpointConfig).
void check_url(const Context& c, const doc::Node* url, const std::string& pointer,
               const doc::Document& in);

}  // namespace portico::rules
