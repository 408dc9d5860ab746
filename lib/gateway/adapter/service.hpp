// The adapter's REST API as plain request -> response logic, with no
// sockets: the server (server.cpp) translates HTTP to and from these types,
// and unit tests drive it directly.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/adapter/store.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace portico::gateway::adapter {

inline constexpr std::string_view kBasePath = "/api/mgw/adapter/0.1";

struct ServiceConfig {
  std::map<std::string, std::string> users{{"admin", "admin"}};  // name -> password
  std::vector<std::string> environments{"Default"};               // known gateway environments
  long long token_lifetime = 3600;                                 // seconds
  project::AcceptLimits accept;                                    // the per-acceptance budget
};

struct Request {
  std::string method;
  std::string path;  // below the base path: /oauth2/token, /apis
  std::multimap<std::string, std::string> params;
  std::string authorization;
  std::string body;
  bool multipart = false;
  bool has_file = false;
  std::string_view file;  // the multipart part named "file" (not owned)
};

struct Response {
  int status = 200;
  std::string body;  // JSON, or empty
};

class Service {
 public:
  Service(ServiceConfig config, Store& store, EVP_PKEY* token_key, std::function<long long()> clock);
  Response handle(const Request& req);
  // Empty when the Authorization header value admits a caller to /apis,
  // else the 401 to send: what handle() decides, available from the request
  // head alone (before an upload is read).
  std::optional<Response> authorise(const std::string& authorization) const;

 private:
  Response token(const Request& req);
  Response deploy(const Request& req);
  Response list(const Request& req);
  Response undeploy(const Request& req);

  ServiceConfig config_;
  Store& store_;
  EVP_PKEY* key_;
  std::function<long long()> clock_;
  std::mutex deploy_mu_;  // check-then-write of deploy and undeploy
};

// {"code": code, "message": message}
Response error_response(int status, std::string message, int code = 0);

}  // namespace portico::gateway::adapter
