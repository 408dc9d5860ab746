// The adapter's REST API as plain request -> response logic, with no
// sockets: the server (server.cpp) translates HTTP to and from these types,
// and unit tests drive it directly.
#pragma once

#include <functional>
#include <map>
#include <mutex>
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

 private:
  Response token(const Request& req);
  Response deploy(const Request& req);
  Response list(const Request& req);
  Response undeploy(const Request& req);
  // Empty when authorised, else the 401 to send.
  std::optional<Response> authorise(const Request& req) const;

  ServiceConfig config_;
  Store& store_;
  EVP_PKEY* key_;
  std::function<long long()> clock_;
  std::mutex deploy_mu_;  // check-then-write of deploy and undeploy
};

// {"code": code, "message": message}
Response error_response(int status, std::string message, int code = 0);

}  // namespace portico::gateway::adapter
