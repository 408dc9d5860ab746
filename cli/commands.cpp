#include "commands.hpp"

#include "handlers.hpp"

namespace portico::cli {

const std::vector<std::string>& Invocation::all(std::string_view name) const {
  static const std::vector<std::string> none;
  auto it = values.find(name);
  return it == values.end() ? none : it->second;
}

std::string Invocation::get(std::string_view name, std::string_view fallback) const {
  const auto& v = all(name);
  return v.empty() ? std::string(fallback) : v.back();
}

bool Invocation::flag(std::string_view name) const {
  auto it = flags.find(name);
  return it != flags.end() && it->second;
}

namespace {

// Flags several commands share.
const FlagSpec kEnvironment{"environment", 'e', "ENV", "adapter: an environment name or an https:// URL",
                            ValueKind::EnvName};
const FlagSpec kCaCert{"ca-cert", 0, "FILE", "CA bundle to verify the adapter with", ValueKind::Path};
const FlagSpec kInsecure{"insecure", 0, "", "skip TLS verification (development only; always warned about)"};
const FlagSpec kTimeout{"timeout", 0, "SECONDS", "time limit of each request", ValueKind::Number, {}, false, "120"};
const FlagSpec kFormatHumanJson{"format", 0, "FORMAT", "output format", ValueKind::Choice, {"human", "json"}, false,
                                "human"};

const std::vector<CommandSpec>& table() {
  static const std::vector<CommandSpec> t{
      {"validate",
       "Check OpenAPI definitions and Choreo Connect projects against the failover rules",
       {"portico validate                      # the project in the current directory",
        "portico validate petstore/            # a project directory (api.yaml + Definitions/)",
        "portico validate openapi.yaml         # a single definition, YAML or JSON",
        "portico validate --format json -o report.json a.yaml b.json",
        "portico validate --fail-on warning --rule-off type-missing .",
        "portico validate --format human --report sarif=out.sarif --report junit=out.xml .   # gate + artefacts"},
       {{"PATH", "project directories or OpenAPI files (.yaml, .yml, .json)", ValueKind::Path, true, "."}},
       {{"format", 0, "FORMAT", "output format on stdout", ValueKind::Choice, {"human", "json", "sarif", "junit", "github"},
         false, "human"},
        {"report", 0, "FORMAT=FILE", "also write a report in FORMAT to FILE (repeatable)", ValueKind::ReportSpec,
         {"human", "json", "sarif", "junit", "github"}, true},
        {"no-annotations", 0, "", "no GitHub annotations, even when GITHUB_ACTIONS=true"},
        {"output", 'o', "FILE", "write the report to FILE instead of stdout", ValueKind::Path},
        {"fail-on", 0, "LEVEL", "exit 1 when a finding is at or above LEVEL", ValueKind::Choice,
         {"error", "warning", "info", "never"}, false, "error"},
        {"rule-off", 0, "ID", "switch a rule off (repeatable)", ValueKind::RuleId, {}, true}},
       run_validate},
      {"explain",
       "Explain a rule: what fires it, what the gateway does, a wrong and a right example, the fix",
       {"portico explain failover-basepath-mismatch        # one rule, as RULES.md has it",
        "portico explain                                   # every rule, one line each"},
       {{"RULE", "rule ids (none: list every rule)", ValueKind::RuleId, true, ""}},
       {},
       run_explain},
      {"endpoints",
       "Show the endpoint lists the gateway builds and drops, and which list serves each resource",
       {"portico endpoints petstore/                      # a project directory",
        "portico endpoints openapi.yaml --format json     # dropped lists carry a reason and a fallback"},
       {{"PATH", "project directory or OpenAPI file", ValueKind::Path, false, "."}},
       {kFormatHumanJson},
       run_endpoints},
      {"probe",
       "Test from this machine which endpoint of every group would take traffic, as the gateway decides",
       {"portico probe petstore/                          # TCP (+TLS) connect, 1000 ms x 2 attempts",
        "portico probe openapi.yaml --http                # and an informational HTTP request",
        "portico probe . --environment production --timeout 500 --format json",
        "portico probe . --watch 10                       # print transitions until Ctrl-C",
        "portico probe . --gateway http://127.0.0.1:9095  # beside what the router of 'portico gateway' does now",
        "portico probe . --gateway local                  # environment local's host, router port 9095"},
       {{"PATH", "project directory or OpenAPI file", ValueKind::Path, false, "."}},
       {{"timeout", 0, "MS", "connect (and TLS handshake) timeout per attempt", ValueKind::Number, {}, false, "1000"},
        {"attempts", 0, "N", "consecutive failures that make an endpoint unavailable", ValueKind::Number, {}, false,
         "2"},
        {"http", 0, "", "also send one HTTP request per available endpoint (informational)"},
        {"parallel", 0, "N", "connections at once", ValueKind::Number, {}, false, "64"},
        {"environment", 0, "ENV", "only these groups", ValueKind::Choice, {"production", "sandbox"}},
        {"ca-cert", 0, "FILE", "CA bundle for https endpoints, besides the system store", ValueKind::Path},
        {"watch", 0, "SECONDS", "probe again every SECONDS and print transitions, until interrupted",
         ValueKind::Number},
        {"gateway", 0, "ENV|URL",
         "also show what a 'portico gateway' router does now (its /portico/clusters view): a router URL, or an "
         "environment (its adapter's host, port 9095)",
         ValueKind::EnvName},
        {"format", 0, "FORMAT", "output format", ValueKind::Choice, {"human", "json", "junit"}, false, "human"}},
       run_probe},
      {"init",
       "Create a Choreo Connect project from an OpenAPI definition (validated first; never deletes anything)",
       {"portico init petstore --oas petstore.yaml        # project from a definition",
        "portico init petstore --oas https://example.com/openapi.yaml",
        "portico init myapi                                # a starter with API- and resource-level failover",
        "portico init petstore --oas petstore.yaml --force # regenerate the files init writes",
        "portico init pizzashack --oas pizzashack.yaml --context /pizzashack   # served at /pizzashack/VERSION"},
       {{"DIR", "the project directory to create", ValueKind::Dir}},
       {{"oas", 0, "FILE|URL", "the OpenAPI definition (a file, or an https:// URL)", ValueKind::Definition},
        {"context", 0, "PATH", "api.yaml context (default: the base path without its version, "
         "else /NAME in lower case)", ValueKind::Text},
        {"ca-cert", 0, "FILE", "CA bundle to verify an https:// --oas with, besides the system store", ValueKind::Path},
        {"force", 0, "", "write into a non-empty DIR (overwrites generated files only)"}},
       run_init},
      {"deploy",
       "Validate, archive and upload a project to an adapter, then confirm it is live",
       {"portico deploy petstore/ -e prod                 # a project directory",
        "portico deploy openapi.yaml -e https://gw.example.com:9843   # a single definition, no env add",
        "portico deploy . -e prod --override               # update an API that exists",
        "portico deploy . -e prod --dry-run                # show the plan, upload nothing",
        "portico deploy build/petstore.zip -e prod --format json",
        "portico deploy . -e prod --dry-run --keep-archive out.zip   # then: unzip -l out.zip"},
       {{"PATH", "project directory, OpenAPI file, or prebuilt .zip", ValueKind::Path, false, "."}},
       {kEnvironment,
        {"override", 0, "", "update the API when it is already deployed"},
        {"dry-run", 0, "", "do everything but the upload, and print the plan"},
        {"skip-validation", 0, "", "upload even when validation finds errors"},
        {"no-verify", 0, "", "do not confirm with GET /apis that the API is listed"},
        {"keep-archive", 0, "FILE", "also write the archive to FILE", ValueKind::Path},
        kFormatHumanJson,
        kCaCert,
        kInsecure,
        {"retries", 0, "N", "retries on connection failures and 502/503/504", ValueKind::Number, {}, false, "3"},
        kTimeout},
       run_deploy},
      {"list",
       "List the APIs deployed on an adapter",
       {"portico list -e prod", "portico list -e prod --query type:http --format json"},
       {},
       {kEnvironment,
        {"query", 0, "QUERY", "filter, e.g. type:http or type:ws", ValueKind::Text},
        {"limit", 0, "N", "at most N APIs", ValueKind::Number},
        kFormatHumanJson,
        kCaCert,
        kInsecure,
        kTimeout},
       run_list},
      {"undeploy",
       "Remove an API from an adapter",
       {"portico undeploy petstore/ -e prod               # name and version from the project",
        "portico undeploy -e prod --name SwaggerPetstore --version 1.0.5",
        "portico undeploy -e prod --name Pets --version 1 --vhost pets.example.com --gateway-env Default"},
       {{"PATH", "project directory or OpenAPI file naming the API", ValueKind::Path, false, "."}},
       {kEnvironment,
        {"name", 0, "NAME", "API name (with --version)", ValueKind::Text},
        {"version", 0, "VERSION", "API version (with --name)", ValueKind::Text},
        {"vhost", 0, "VHOST", "only from this virtual host", ValueKind::Text},
        {"gateway-env", 0, "NAME", "only from this gateway environment (repeatable)", ValueKind::Text, {}, true},
        kCaCert,
        kInsecure,
        kTimeout},
       run_undeploy},
      {"env add",
       "Add a named adapter",
       {"portico env add prod --adapter https://gw.example.com:9843 --ca-cert adapter-ca.pem",
        "portico env add local --adapter https://localhost:9843 --ca-cert ~/.local/share/portico/gateway/tls/cert.pem"},
       {{"NAME", "environment name", ValueKind::Text}},
       {{"adapter", 0, "URL", "https://host:port (the adapter base path is added)", ValueKind::Text},
        {"ca-cert", 0, "FILE", "CA bundle to verify this adapter with", ValueKind::Path},
        {"insecure", 0, "", "skip TLS verification for this environment (warned about on every use)"},
        {"force", 0, "", "replace an environment of that name"}},
       run_env_add},
      {"env list",
       "List the named adapters and their logins",
       {"portico env list", "portico env list --format json"},
       {},
       {kFormatHumanJson},
       run_env_list},
      {"env remove",
       "Remove a named adapter (and its stored login)",
       {"portico env remove staging"},
       {{"NAME", "environment name", ValueKind::EnvName}},
       {},
       run_env_remove},
      {"env import-apictl",
       "Add the Choreo Connect environments of apictl (mgw-clusters in main_config.yaml); tokens are not imported",
       {"portico env import-apictl                        # ~/.wso2apictl/main_config.yaml",
        "portico env import-apictl /path/to/main_config.yaml --force"},
       {{"FILE", "apictl's main_config.yaml", ValueKind::Path, false, "~/.wso2apictl/main_config.yaml"}},
       {{"force", 0, "", "replace environments of the same names"}},
       run_env_import_apictl},
      {"login",
       "Get a token from an adapter and keep it (the password is never stored)",
       {"portico login prod -u admin                      # asks for the password",
        "printf '%s' \"$PASS\" | portico login prod -u ci --password-stdin"},
       {{"ENV", "environment name", ValueKind::EnvName}},
       {{"username", 'u', "USER", "user name", ValueKind::Text, {}, false, "admin"},
        {"password-stdin", 0, "", "read the password from standard input"},
        kCaCert,
        kInsecure,
        kTimeout},
       run_login},
      {"logout",
       "Forget the stored token of an environment",
       {"portico logout prod"},
       {{"ENV", "environment name", ValueKind::EnvName}},
       {},
       run_logout},
      {"gateway",
       "Run a local stand-in for the Choreo Connect adapter and router (REST API, auth, acceptance, traffic)",
       {"portico gateway                                   # adapter https://127.0.0.1:9843, router :9095, admin:admin",
        "portico gateway --listen 127.0.0.1:0 --router-listen 127.0.0.1:0 --data-dir /tmp/gw   # any free ports",
        "portico gateway --health-interval 500 --no-traffic-interval 500   # fail over within about a second",
        "curl --cacert CA -u admin:admin -X POST https://localhost:9095/testkey   # a token for the router",
        "PORTICO_GATEWAY_PASSWORD=s3cret portico gateway --user ci  # password kept out of ps",
        "portico gateway --plain-http --listen 127.0.0.1:9080       # loopback-only development",
        "portico gateway --max-upload 16777216 --max-concurrent-deploys 4   # smaller uploads, more at once",
        "portico gateway --upstream-idle-timeout 4000   # backends that drop idle connections after 5 s"},
       {},
       {{"listen", 0, "HOST:PORT", "address to listen on (port 0: any free port)", ValueKind::Text, {}, false,
         "127.0.0.1:9843"},
        {"cert", 0, "FILE", "TLS certificate (PEM); default: a self-signed one in the data directory", ValueKind::Path},
        {"key", 0, "FILE", "TLS private key (PEM), with --cert", ValueKind::Path},
        {"plain-http", 0, "", "serve plain HTTP (loopback addresses only)"},
        {"user", 0, "NAME[:PASSWORD]", "a user (repeatable; default admin:admin); without :PASSWORD, "
         "the password comes from PORTICO_GATEWAY_PASSWORD", ValueKind::Text, {}, true},
        {"data-dir", 0, "DIR", "where deployed APIs, keys and certificates are kept "
         "(default $XDG_DATA_HOME/portico/gateway)", ValueKind::Dir},
        {"token-lifetime", 0, "SECONDS", "lifetime of issued tokens (1..86400)", ValueKind::Number, {}, false, "3600"},
        {"max-upload", 0, "BYTES", "largest accepted upload; larger gets 413", ValueKind::Number, {}, false,
         "67108864"},
        {"max-concurrent-deploys", 0, "N", "deploys accepted at once (1..64); more get 503 with Retry-After",
         ValueKind::Number, {}, false, "2"},
        {"environment", 0, "NAME", "a gateway environment the gateway serves (repeatable; default Default)",
         ValueKind::Text, {}, true},
        {"router-listen", 0, "HOST:PORT", "address of the router that serves the deployed APIs (port 0: any free port)",
         ValueKind::Text, {}, false, "127.0.0.1:9095"},
        {"no-router", 0, "", "serve the adapter's REST API only"},
        {"health-interval", 0, "MS", "health-check interval of lists with two or more URLs", ValueKind::Number, {},
         false, "10000"},
        {"health-timeout", 0, "MS", "health-check (TCP connect) timeout", ValueKind::Number, {}, false, "1000"},
        {"unhealthy-threshold", 0, "N", "failed checks in a row that mark a host unhealthy", ValueKind::Number, {},
         false, "2"},
        {"healthy-threshold", 0, "N", "passed checks in a row that mark a host healthy again", ValueKind::Number, {},
         false, "2"},
        {"no-traffic-interval", 0, "MS", "health-check interval of a list that has not carried traffic yet",
         ValueKind::Number, {}, false, "60000"},
        {"upstream-idle-timeout", 0, "MS", "close a kept-alive backend connection idle this long (10..3600000)",
         ValueKind::Number, {}, false, "30000"},
        {"upstream-max-idle", 0, "N", "kept-alive connections that may stay idle per backend (0: none is reused)",
         ValueKind::Number, {}, false, "128"}},
       run_gateway},
      {"completion",
       "Print the shell completion script for bash, zsh or fish",
       {"source <(portico completion bash)                # bash, this shell",
        "portico completion zsh > \"${fpath[1]}/_portico\"  # zsh",
        "portico completion fish > ~/.config/fish/completions/portico.fish"},
       {{"SHELL", "bash, zsh or fish", ValueKind::Choice, false, "", {"bash", "zsh", "fish"}}},
       {},
       run_completion},
      {"__complete",
       "Print completion candidates (used by the completion scripts)",
       {"portico __complete envs"},
       {{"WHAT", "envs", ValueKind::Text}},
       {},
       run_complete,
       true},
      {"__man",
       "Print the man page (roff), generated from the command definitions",
       {"portico __man > portico.1"},
       {},
       {},
       run_man,
       true},
      {"version",
       "Print portico's version and the versions of the libraries it was built with",
       {"portico version"},
       {},
       {},
       run_version},
  };
  return t;
}

const std::vector<FlagSpec>& globals() {
  static const std::vector<FlagSpec> g{
      {"config-dir", 0, "DIR", "configuration directory (default $XDG_CONFIG_HOME/portico)",
       ValueKind::Dir, {}, false, "", "PORTICO_CONFIG_DIR"},
      {"no-color", 0, "", "no colours, even on a terminal"},
      {"quiet", 'q', "", "print only results and errors"},
      {"verbose", 'v', "", "print more detail on stderr (credentials and tokens redacted)"},
  };
  return g;
}

}  // namespace

std::span<const CommandSpec> commands() { return table(); }
std::span<const FlagSpec> global_flags() { return globals(); }

std::string_view exit_code_table() {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  validation findings at or above --fail-on\n"
         "  2  usage error: unknown command or flag, missing argument\n"
         "  3  input error: missing or unreadable path, not a project, unsafe config, zip or --oas download past its limits\n"
         "  4  the adapter refused (409 conflict, 500 rejected project, 404 on undeploy)\n"
         "  5  authentication: no credentials, 401/403, expired token\n"
         "  6  network or TLS: cannot resolve, connect or verify the server; timeout; unreadable answer\n"
         "  7  probe: a group has failed over or lost a backup, or a load-balanced group lost a member\n"
         "  8  probe: a group has no available endpoint\n";
}

}  // namespace portico::cli
