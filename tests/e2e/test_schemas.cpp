// portico's JSON output conforms to the schemas it publishes in schemas/,
// checked with a real JSON Schema validator (valijson).
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "process.hpp"

using namespace portico::test;

namespace {

std::string schema_errors(const std::string& schema_file, const nlohmann::json& doc) {
  std::ifstream in(std::string(PORTICO_SOURCE_DIR) + "/schemas/" + schema_file);
  nlohmann::json schema_json = nlohmann::json::parse(in);
  valijson::Schema schema;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_json);
  parser.populateSchema(schema_adapter, schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (validator.validate(schema, target, &results)) return "";
  std::string out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    for (const auto& c : e.context) out += c;
    out += ": " + e.description + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("schemas: validate's JSON output conforms to validate-report.schema.json") {
  TempDir t;
  write_file(t.path + "/bad.yaml",
             "openapi: 3.0.1\ninfo: {title: x, version: 1.0}\n"
             "x-wso2-production-endpoints: {urls: [http://a.example.com/v1, http://a.example.com/v1], type: Failover}\n"
             "paths: {}\n");
  write_file(t.path + "/ok.yaml",
             "openapi: 3.0.1\ninfo: {title: Pets, version: v1}\nx-wso2-basePath: /p\n"
             "x-wso2-production-endpoints: {urls: [http://a.example.com/v1]}\npaths: {}\n");
  for (const char* f : {"/bad.yaml", "/ok.yaml"}) {
    CAPTURE(f);
    auto r = run({portico_binary(), "validate", "--format", "json", t.path + f});
    auto j = nlohmann::json::parse(r.out);
    CHECK(schema_errors("validate-report.schema.json", j) == "");
  }
  // The schema is not vacuous: a report without its summary fails it.
  auto r = run({portico_binary(), "validate", "--format", "json", t.path + "/bad.yaml"});
  auto j = nlohmann::json::parse(r.out);
  j.erase("summary");
  CHECK(schema_errors("validate-report.schema.json", j) != "");
}
