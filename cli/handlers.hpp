// One function per command; each wires parsed flags to the library.
#pragma once

#include <string>
#include <string_view>

#include "commands.hpp"

namespace portico::cli {
int run_validate(const Invocation& inv);
int run_explain(const Invocation& inv);
int run_version(const Invocation& inv);
int run_gateway(const Invocation& inv);
int run_init(const Invocation& inv);
int run_deploy(const Invocation& inv);
int run_list(const Invocation& inv);
int run_undeploy(const Invocation& inv);
int run_env_add(const Invocation& inv);
int run_env_list(const Invocation& inv);
int run_env_remove(const Invocation& inv);
int run_env_import_apictl(const Invocation& inv);
int run_login(const Invocation& inv);
int run_logout(const Invocation& inv);
int run_endpoints(const Invocation& inv);
int run_probe(const Invocation& inv);
int run_completion(const Invocation& inv);
int run_complete(const Invocation& inv);
int run_man(const Invocation& inv);
std::string completion_script(const std::string& shell);
std::string text_lower(std::string_view s);

}  // namespace portico::cli
