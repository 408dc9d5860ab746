// One function per command; each wires parsed flags to the library.
#pragma once

#include "commands.hpp"

namespace portico::cli {
int run_validate(const Invocation& inv);
int run_version(const Invocation& inv);
int run_gateway(const Invocation& inv);
int run_init(const Invocation& inv);
int run_deploy(const Invocation& inv);
int run_list(const Invocation& inv);
int run_undeploy(const Invocation& inv);
int run_env_add(const Invocation& inv);
int run_env_list(const Invocation& inv);
int run_env_remove(const Invocation& inv);
int run_login(const Invocation& inv);
int run_logout(const Invocation& inv);
int run_endpoints(const Invocation& inv);
int run_probe(const Invocation& inv);

}  // namespace portico::cli
