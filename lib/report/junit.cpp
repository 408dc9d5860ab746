// JUnit XML: one testsuite per file, one failing testcase per finding (of
// any severity; the exit code follows --fail-on), an empty passing suite for
// a clean file.
#include <map>

#include "report/formats.hpp"
#include "report/xml.hpp"

namespace portico::report {

namespace {

class Junit : public Reporter {
 public:
  void write(const ValidationReport& r, std::ostream& out) override {
    std::map<std::string, std::vector<const Finding*>> by_file;
    for (const auto& d : r.documents) by_file[d->file];
    for (const auto& f : r.findings) by_file[f.file].push_back(&f);
    std::size_t total = 0, failures = 0;
    for (const auto& [file, fs] : by_file) total += fs.size();
    failures = total;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuites name=\"portico validate\" tests=\"" << total << "\" failures=\"" << failures << "\">\n";
    for (const auto& [file, fs] : by_file) {
      out << "  <testsuite name=\"" << xml_escape(file) << "\" tests=\"" << fs.size() << "\" failures=\"" << fs.size()
          << "\" errors=\"0\" skipped=\"0\">\n";
      for (const Finding* f : fs) {
        std::string where = f->file + ":" + std::to_string(f->line) + ":" + std::to_string(f->column);
        out << "    <testcase classname=\"" << xml_escape(f->rule) << "\" name=\"" << xml_escape(where) << "\">\n"
            << "      <failure type=\"" << to_string(f->severity) << "\" message=\"" << xml_escape(f->message, true) << "\">"
            << xml_escape(where + ": " + std::string(to_string(f->severity)) + ": " + f->message + " [" + f->rule + "]" +
                          (f->pointer.empty() ? "" : "\npointer: " + f->pointer) +
                          (f->hint.empty() ? "" : "\nhint: " + f->hint))
            << "</failure>\n    </testcase>\n";
      }
      out << "  </testsuite>\n";
    }
    out << "</testsuites>\n";
  }
};

class Github : public Reporter {
 public:
  void write(const ValidationReport& r, std::ostream& out) override {
    for (const auto& f : r.findings) out << github_annotation(f) << "\n";
  }
};

}  // namespace

std::string github_annotation(const Finding& f) {
  // Workflow commands: % CR LF are escaped everywhere, and : , in properties too.
  auto esc = [](const std::string& s, bool property) {
    std::string o;
    for (char c : s) {
      if (c == '%') o += "%25";
      else if (c == '\r') o += "%0D";
      else if (c == '\n') o += "%0A";
      else if (property && c == ':') o += "%3A";
      else if (property && c == ',') o += "%2C";
      else o += c;
    }
    return o;
  };
  const char* cmd = f.severity == Severity::Error ? "error" : f.severity == Severity::Warning ? "warning" : "notice";
  return std::string("::") + cmd + " file=" + esc(f.file, true) + ",line=" + std::to_string(f.line) +
         ",col=" + std::to_string(f.column) + ",title=" + esc(f.rule, true) + "::" +
         esc(f.message + (f.hint.empty() ? "" : " (hint: " + f.hint + ")"), false);
}

std::unique_ptr<Reporter> make_junit_reporter() { return std::make_unique<Junit>(); }
std::unique_ptr<Reporter> make_github_reporter() { return std::make_unique<Github>(); }

}  // namespace portico::report
