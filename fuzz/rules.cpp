// The rule engine on a parsed definition, as `portico validate` runs it on
// a definition file (check_definition), and on a project held in memory:
// a file list, api.yaml and the definition (check_entries, check_project,
// check_api_yaml). Input: [FILES "\n#@@\n" [API_YAML "\n#@@\n"]] DEFINITION,
// FILES one relative path per line.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "doc/document.hpp"
#include "fuzz_input.hpp"
#include "project/api_yaml.hpp"
#include "project/layout.hpp"
#include "rules/validate.hpp"
#include "util/text.hpp"

using namespace portico;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parts = fuzz::split_parts(fuzz::as_view(data, size), 3);
  auto definition = std::make_shared<doc::Document>(doc::parse("Definitions/swagger.yaml", parts.back()));
  if (parts.size() == 1) {
    (void)rules::check_definition(*definition);
    return 0;
  }
  auto api_doc = std::make_shared<doc::Document>(doc::parse("api.yaml", parts[parts.size() - 2]));
  project::ApiYaml meta = project::read_api_yaml(api_doc);
  (void)rules::check_definition(*definition, &meta);
  (void)rules::check_api_yaml(meta, definition.get());
  if (parts.size() == 3) {
    std::vector<std::string> files;
    for (auto f : text::split(parts[0], '\n'))
      if (!f.empty() && files.size() < 1000) files.emplace_back(f);
    project::Layout layout;
    layout.dir = "/nonexistent/fuzz-project";
    auto entries = project::check_entries(files, "fuzz-project");
    for (const auto& f : files)
      if (project::is_archivable(f)) layout.files.push_back(f);
    layout.api_file = entries.api_file;
    layout.definition = entries.definition;
    layout.stray = entries.stray;
    (void)rules::check_project(layout, "fuzz-project/", &meta, definition.get());
    (void)project::archive_layout(files);
  }
  return 0;
}
