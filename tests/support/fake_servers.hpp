// Test support: small hostile or recording HTTP servers on 127.0.0.1, for the
// client commands' end-to-end tests (tests/e2e/test_client.cpp).
//
// - FakeHttpServer: plain HTTP/1.1 on 127.0.0.1 with a free port. Every
//   connection gets its own thread and carries one request (the answer says
//   "Connection: close"). A hook sees the request head first and may answer
//   at once: reset the connection (SO_LINGER 0, an RST) without reading the
//   body, or never answer at all (the connection is held open until the
//   server is destroyed). Otherwise the body is read (Content-Length or
//   chunked; "Expect: 100-continue" is honoured) and the handler answers.
//   Hostile answers for fault injection (FakeReply kinds): raw bytes instead
//   of HTTP, a head and then silence, a head and then a body streamed without
//   end (bytes_sent() counts them), a reset after part of the request body.
// - FakeAdapter: a FakeHttpServer that imitates the Choreo Connect adapter's
//   REST API (adapter.md section 1) just enough for portico's client commands,
//   records every request, and can misbehave on the first matching request
//   (503 once, or a connection reset mid-upload once).
// - multipart parsing and query decoding helpers, for contract checks.
//
// Header-only (no CMake change). Every wait is bounded: a request must arrive
// within 10 s, and destruction stops every thread within about 200 ms.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "loopback.hpp"
#include "strings.hpp"

namespace portico::test {

// A query-string component decoded: '+' is a space, then %XX escapes.
inline std::string query_decode(std::string s) {
  std::replace(s.begin(), s.end(), '+', ' ');
  return percent_decode(s);
}

// key=value pairs of a query string, in order, decoded (duplicates kept).
inline std::vector<std::pair<std::string, std::string>> parse_query(const std::string& q) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t p = 0;
  while (p <= q.size() && !q.empty()) {
    auto amp = q.find('&', p);
    std::string kv = q.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
    if (!kv.empty()) {
      auto eq = kv.find('=');
      out.emplace_back(query_decode(kv.substr(0, eq)), eq == std::string::npos ? "" : query_decode(kv.substr(eq + 1)));
    }
    if (amp == std::string::npos) break;
    p = amp + 1;
  }
  return out;
}

struct SeenRequest {
  std::string method, target, path, query;  // target = path[?query]; query without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  bool body_read = false;  // false when the hook answered from the head alone
  int index = 0;           // 0-based arrival order on this server

  std::string header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return "";
  }
  bool has_header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return true;
    return false;
  }
  std::vector<std::pair<std::string, std::string>> params() const { return parse_query(query); }
  std::optional<std::string> param(const std::string& name) const {
    for (const auto& [k, v] : params())
      if (k == name) return v;
    return std::nullopt;
  }
};

struct FakeReply {
  // Respond: an HTTP answer. Reset: RST at once. Silent: never answer.
  // Raw: `body` as is (no status line or headers added), then close.
  // StallAfterHead: `body` (an answer's head) then silence until the client leaves.
  // Flood: `body` (a head announcing a huge body, or chunked), then zeros
  //   (as chunks when the head says chunked) until the client leaves or
  //   `flood_bytes` are sent.
  // ResetMidBody: read `reset_after` bytes of the request body, then RST
  //   (from the head hook only).
  enum class Kind { Respond, Reset, Silent, Raw, StallAfterHead, Flood, ResetMidBody };
  Kind kind = Kind::Respond;
  int status = 200;
  std::string content_type;
  std::string body;
  std::uint64_t flood_bytes = 0;
  std::size_t reset_after = 0;

  static FakeReply json(int status, const std::string& body) {
    FakeReply r;
    r.status = status;
    r.content_type = "application/json";
    r.body = body;
    return r;
  }
  static FakeReply empty(int status) {
    FakeReply r;
    r.status = status;
    return r;
  }
  static FakeReply reset() {
    FakeReply r;
    r.kind = Kind::Reset;
    return r;
  }
  static FakeReply silent() {
    FakeReply r;
    r.kind = Kind::Silent;
    return r;
  }
  static FakeReply raw(const std::string& bytes) {
    FakeReply r;
    r.kind = Kind::Raw;
    r.body = bytes;
    return r;
  }
  static FakeReply stall_after_head(const std::string& head) {
    FakeReply r;
    r.kind = Kind::StallAfterHead;
    r.body = head;
    return r;
  }
  static FakeReply flood(const std::string& head, std::uint64_t max_bytes) {
    FakeReply r;
    r.kind = Kind::Flood;
    r.body = head;
    r.flood_bytes = max_bytes;
    return r;
  }
  static FakeReply reset_mid_body(std::size_t after) {
    FakeReply r;
    r.kind = Kind::ResetMidBody;
    r.reset_after = after;
    return r;
  }
};

class FakeHttpServer {
 public:
  using HeadHook = std::function<std::optional<FakeReply>(const SeenRequest&)>;
  using Handler = std::function<FakeReply(const SeenRequest&)>;

  explicit FakeHttpServer(Handler handler, HeadHook on_head = {})
      : handler_(std::move(handler)), on_head_(std::move(on_head)) {
    listen_fd_ = listen_loopback(port_);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~FakeHttpServer() {
    stop_ = true;
    if (accept_thread_.joinable()) accept_thread_.join();
    std::list<std::thread> threads;
    {
      std::lock_guard lk(mu_);
      threads.swap(conn_threads_);
    }
    for (auto& t : threads)
      if (t.joinable()) t.join();
    close(listen_fd_);
  }

  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<SeenRequest> requests() const {
    std::lock_guard lk(mu_);
    return seen_;
  }
  int connections() const { return connections_.load(); }
  // Bytes of the answers' bodies sent by Flood replies, all connections.
  std::uint64_t bytes_sent() const { return flood_sent_.load(); }

 private:
  static constexpr auto kRequestDeadline = std::chrono::seconds(10);

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      int r = poll(&p, 1, 50);
      if (r <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard lk(mu_);
      conn_threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Reads more bytes into buf; false on EOF, error, stop or deadline.
  bool read_more(int fd, std::string& buf, std::chrono::steady_clock::time_point deadline) {
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 50);
      if (r < 0) return false;
      if (r == 0) continue;
      char tmp[65536];
      ssize_t n = recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  }

  static std::string reason(int status) {
    switch (status) {
      case 100: return "Continue";
      case 200: return "OK";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 404: return "Not Found";
      case 409: return "Conflict";
      case 422: return "Unprocessable Entity";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return "Status";
    }
  }

  void record(const SeenRequest& r) {
    std::lock_guard lk(mu_);
    seen_.push_back(r);
  }

  void hold_silently(int fd) {
    // Accepts the TCP connection and never answers; drains what arrives.
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char tmp[4096];
        if (recv(fd, tmp, sizeof tmp, 0) <= 0) break;
      }
    }
    close(fd);
  }

  // Sends what a hostile or ordinary reply says, then closes.
  void deliver(int fd, const FakeReply& r) {
    switch (r.kind) {
      case FakeReply::Kind::Reset:
      case FakeReply::Kind::ResetMidBody: return reset_connection(fd);
      case FakeReply::Kind::Silent: return hold_silently(fd);
      case FakeReply::Kind::Raw:
        send_all(fd, r.body);
        shutdown(fd, SHUT_WR);
        return linger_then_close(fd);
      case FakeReply::Kind::StallAfterHead:
        send_all(fd, r.body);
        return hold_silently(fd);
      case FakeReply::Kind::Flood: return flood(fd, r);
      case FakeReply::Kind::Respond: return respond(fd, r);
    }
  }

  void flood(int fd, const FakeReply& r) {
    bool chunked = lower(r.body).find("transfer-encoding: chunked") != std::string::npos;
    if (!send_all(fd, r.body)) return (void)close(fd);
    const std::string zeros(1 << 16, '\0');
    std::string chunk = chunked ? "10000\r\n" + zeros + "\r\n" : zeros;
    std::uint64_t sent = 0;
    while (!stop_ && sent < r.flood_bytes) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      if (p.revents & (POLLERR | POLLHUP)) break;
      ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) break;
      if (static_cast<std::size_t>(n) < chunk.size() && !send_all(fd, chunk.substr(static_cast<std::size_t>(n)))) {
        sent += static_cast<std::uint64_t>(n);
        flood_sent_ += static_cast<std::uint64_t>(n);
        break;
      }
      sent += chunk.size();
      flood_sent_ += chunk.size();
    }
    close(fd);
  }

  static void reset_connection(int fd) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);  // RST
  }

  void serve(int fd) {
    auto deadline = std::chrono::steady_clock::now() + kRequestDeadline;
    std::string buf;
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > (1 << 20) || !read_more(fd, buf, deadline)) {
        close(fd);
        return;
      }
    }
    SeenRequest req;
    {
      std::lock_guard lk(mu_);
      req.index = next_index_++;
    }
    std::string head = buf.substr(0, head_end);
    std::string rest = buf.substr(head_end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    auto sp1 = first.find(' ');
    auto sp2 = first.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) {
      close(fd);
      return;
    }
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto e = head.find("\r\n", pos);
      std::string line = head.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
        req.headers.emplace_back(lower(line.substr(0, colon)), v);
      }
      if (e == std::string::npos) break;
      pos = e + 2;
    }

    if (on_head_) {
      if (auto early = on_head_(req)) {
        if (early->kind == FakeReply::Kind::ResetMidBody) {
          // Part of the body, as an upload in flight, then RST.
          if (lower(req.header("expect")) == "100-continue") send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
          while (rest.size() < early->reset_after && read_more(fd, rest, deadline)) {
          }
          req.body = rest;
        }
        record(req);
        return deliver(fd, *early);
      }
    }

    if (lower(req.header("expect")) == "100-continue") send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");

    bool ok = true;
    if (lower(req.header("transfer-encoding")).find("chunked") != std::string::npos) {
      std::string body;
      std::string data = rest;
      std::size_t p = 0;
      for (;;) {
        std::size_t le;
        while ((le = data.find("\r\n", p)) == std::string::npos)
          if (!read_more(fd, data, deadline)) {
            ok = false;
            break;
          }
        if (!ok) break;
        std::size_t size = std::stoul(data.substr(p, le - p), nullptr, 16);
        p = le + 2;
        while (data.size() < p + size + 2)
          if (!read_more(fd, data, deadline)) {
            ok = false;
            break;
          }
        if (!ok) break;
        body.append(data, p, size);
        p += size + 2;
        if (size == 0) break;
      }
      req.body = body;
    } else {
      std::size_t want = 0;
      if (req.has_header("content-length")) want = std::stoul(req.header("content-length"));
      while (rest.size() < want)
        if (!read_more(fd, rest, deadline)) {
          ok = false;
          break;
        }
      req.body = rest.substr(0, want);
    }
    req.body_read = ok;
    if (!ok) {
      record(req);
      close(fd);
      return;
    }
    FakeReply reply = handler_(req);
    record(req);
    deliver(fd, reply);
  }

  void respond(int fd, const FakeReply& r) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
    if (!r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body;
    send_all(fd, out);
    shutdown(fd, SHUT_WR);
    linger_then_close(fd);
  }

  // Lets the client read the answer and close first (bounded), then closes.
  void linger_then_close(int fd) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char tmp[4096];
        if (recv(fd, tmp, sizeof tmp, 0) <= 0) break;
      }
    }
    close(fd);
  }

  Handler handler_;
  HeadHook on_head_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<std::uint64_t> flood_sent_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::list<std::thread> conn_threads_;
  std::vector<SeenRequest> seen_;
  int next_index_ = 0;
};

// ------------------------------------------------------------ multipart

struct MultipartPartSeen {
  std::string name, filename, content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string data;
};

// Parses a multipart/form-data body; nullopt when it is malformed.
inline std::optional<std::vector<MultipartPartSeen>> parse_multipart(const std::string& content_type,
                                                                      const std::string& body) {
  auto b = lower(content_type).find("boundary=");
  if (b == std::string::npos) return std::nullopt;
  std::string boundary = content_type.substr(b + 9);
  auto semi = boundary.find(';');
  if (semi != std::string::npos) boundary = boundary.substr(0, semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delim = "--" + boundary;
  std::vector<MultipartPartSeen> parts;
  std::size_t p = body.find(delim);
  if (p == std::string::npos) return std::nullopt;
  for (;;) {
    p += delim.size();
    if (body.compare(p, 2, "--") == 0) break;  // closing delimiter
    if (body.compare(p, 2, "\r\n") != 0) return std::nullopt;
    p += 2;
    auto head_end = body.find("\r\n\r\n", p);
    if (head_end == std::string::npos) return std::nullopt;
    MultipartPartSeen part;
    std::string head = body.substr(p, head_end - p);
    std::size_t hp = 0;
    while (hp <= head.size()) {
      auto e = head.find("\r\n", hp);
      std::string line = head.substr(hp, e == std::string::npos ? std::string::npos : e - hp);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        part.headers.emplace_back(lower(line.substr(0, colon)), v);
      }
      if (e == std::string::npos) break;
      hp = e + 2;
    }
    for (const auto& [k, v] : part.headers) {
      if (k == "content-type") part.content_type = v;
      if (k != "content-disposition") continue;
      auto field = [&](const std::string& key) -> std::string {
        auto at = v.find("; " + key + "=\"");
        if (at == std::string::npos) at = v.find(";" + key + "=\"");
        if (at == std::string::npos) return "";
        at = v.find('"', at) + 1;
        return v.substr(at, v.find('"', at) - at);
      };
      part.name = field("name");
      part.filename = field("filename");
    }
    std::size_t data_start = head_end + 4;
    auto next = body.find("\r\n" + delim, data_start);
    if (next == std::string::npos) return std::nullopt;
    part.data = body.substr(data_start, next - data_start);
    parts.push_back(std::move(part));
    p = next + 2;
  }
  return parts;
}

// ------------------------------------------------------------ fake adapter

struct FakeApi {
  std::string name, version, context, type = "HTTP";
  std::vector<std::string> envs = {"Default"};
  std::string vhost = "localhost";
};

// Imitates the adapter's REST API under /api/mgw/adapter/0.1 over plain HTTP.
// POST /apis "deploys" `api` (the zip is not read: the test says which API
// its project defines); GET /apis lists what is deployed (plus `preloaded`).
class FakeAdapter {
 public:
  static constexpr const char* kBase = "/api/mgw/adapter/0.1";

  // Status503: 503 with a JSON body; Status500Empty: 500 with no body (the
  // real adapter's answer to a rejected project); Reset: RST after reading
  // the request head, before the body; Silent: never answer; ResetAfterDeploy:
  // handle the request in full (deploying the API), then RST instead of
  // answering (an ambiguous failure).
  // Custom: answer `custom_reply` (from the request head alone).
  enum class Hostile { None, Status503, Status500Empty, Reset, Silent, ResetAfterDeploy, Custom };

  struct Options {
    FakeApi api;                           // what a POST /apis deploys
    std::vector<FakeApi> preloaded;        // listed from the start
    std::string user = "admin", password = "admin";
    Hostile hostile = Hostile::None;       // applied to the first `hostile_count` matching requests
    int hostile_count = 1;
    std::string hostile_method = "POST";   // "" = any method
    std::string hostile_path = "/apis";    // suffix after kBase; "" = any path
    bool list_after_deploy = true;         // false: POST answers 200 but nothing gets listed
    std::set<std::string> extra_tokens;    // bearer tokens accepted besides the ones issued
    FakeReply custom_reply;                // for Hostile::Custom
  };

  explicit FakeAdapter(Options o)
      : opt_(std::move(o)),
        apis_(opt_.preloaded),
        server_([this](const SeenRequest& r) { return handle(r); },
                [this](const SeenRequest& r) { return on_head(r); }) {}

  std::string url() const { return server_.url(); }
  int port() const { return server_.port(); }
  std::vector<SeenRequest> requests() const { return server_.requests(); }
  std::vector<std::string> issued_tokens() const {
    std::lock_guard lk(mu_);
    return {issued_.begin(), issued_.end()};
  }
  int hostile_done() const { return hostile_done_.load(); }
  // Body bytes sent by Flood replies.
  std::uint64_t server_bytes_sent() const { return server_.bytes_sent(); }
  bool deployed() const {
    std::lock_guard lk(mu_);
    return find(opt_.api.name, opt_.api.version) >= 0;
  }

  // An unsigned JWT-shaped token (header.payload.signature) with exp.
  static std::string make_token(long long exp, const std::string& user) {
    auto b64url = [](const std::string& s) {
      static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      std::string out;
      unsigned v = 0;
      int bits = 0;
      for (unsigned char c : s) {
        v = v << 8 | c;
        bits += 8;
        while (bits >= 6) {
          bits -= 6;
          out += t[v >> bits & 63];
        }
      }
      if (bits) out += t[v << (6 - bits) & 63];
      return out;
    };
    nlohmann::json payload = {{"username", user}, {"scope", "admin"}, {"exp", exp}, {"iss", "fake-adapter"}};
    return b64url(R"({"alg":"RS256","typ":"JWT"})") + "." + b64url(payload.dump()) + "." +
           b64url("fake-signature-" + std::to_string(exp));
  }

 private:
  bool hostile_match(const SeenRequest& r) const {
    return (opt_.hostile_method.empty() || r.method == opt_.hostile_method) &&
           (opt_.hostile_path.empty() || r.path == std::string(kBase) + opt_.hostile_path);
  }

  std::optional<FakeReply> on_head(const SeenRequest& r) {
    if (opt_.hostile == Hostile::None || opt_.hostile == Hostile::ResetAfterDeploy) return std::nullopt;
    if (!hostile_match(r)) return std::nullopt;
    if (hostile_done_.fetch_add(1) >= opt_.hostile_count) return std::nullopt;
    switch (opt_.hostile) {
      case Hostile::Status503:
        return FakeReply::json(503, R"({"code":503,"message":"try again later"})");
      case Hostile::Status500Empty:
        return FakeReply::empty(500);
      case Hostile::Reset:
        return FakeReply::reset();
      case Hostile::Silent:
        return FakeReply::silent();
      case Hostile::Custom:
        return opt_.custom_reply;
      default:
        return std::nullopt;
    }
  }

  static bool matches(const std::string& v, const char* re) { return std::regex_match(v, std::regex(re)); }
  static FakeReply unprocessable(const std::string& message) {
    return FakeReply::json(422, nlohmann::json{{"code", 601}, {"message", message}}.dump());
  }

  int find(const std::string& name, const std::string& version) const {
    for (std::size_t i = 0; i < apis_.size(); ++i)
      if (apis_[i].name == name && apis_[i].version == version) return static_cast<int>(i);
    return -1;
  }

  bool authorized(const SeenRequest& r) {
    std::string auth = r.header("authorization");
    if (auth.rfind("Basic ", 0) == 0) {
      return base64_decode(auth.substr(6)) == opt_.user + ":" + opt_.password;
    }
    if (auth.rfind("Bearer ", 0) == 0) {
      std::string tok = auth.substr(7);
      std::lock_guard lk(mu_);
      return issued_.count(tok) || opt_.extra_tokens.count(tok);
    }
    return false;
  }

  FakeReply handle(const SeenRequest& r) {
    FakeReply reply = answer(r);
    if (opt_.hostile == Hostile::ResetAfterDeploy && hostile_match(r) &&
        hostile_done_.fetch_add(1) < opt_.hostile_count)
      return FakeReply::reset();
    return reply;
  }

  FakeReply answer(const SeenRequest& r) {
    const std::string base = kBase;
    if (r.path.rfind(base, 0) != 0) return FakeReply::json(404, R"({"code":404,"message":"no such path"})");
    std::string sub = r.path.substr(base.size());
    if (sub == "/oauth2/token" && r.method == "POST") {
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("username") || !j.contains("password") || !j["username"].is_string() ||
          !j["password"].is_string())
        return FakeReply::json(400, R"({"code":400,"message":"bad credentials body"})");
      for (const char* k : {"username", "password"})
        if (!matches(j[k].get<std::string>(), R"(^[a-zA-Z0-9_~.@-]{0,100}$)"))
          return unprocessable(std::string(k) + " must match ^[a-zA-Z0-9_~.@-]*$ and have at most 100 characters");
      if (j["username"] != opt_.user || j["password"] != opt_.password) return FakeReply::empty(401);
      auto now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      std::string tok = make_token(now + 3600, opt_.user);
      {
        std::lock_guard lk(mu_);
        issued_.insert(tok);
      }
      return FakeReply::json(200, nlohmann::json{{"accessToken", tok}}.dump());
    }
    if (sub != "/apis") return FakeReply::json(404, R"({"code":404,"message":"no such path"})");
    if (!authorized(r)) return FakeReply::json(401, R"({"code":401,"message":"invalid credentials"})");
    std::lock_guard lk(mu_);
    if (r.method == "POST") {
      bool override = r.param("override").value_or("") == "true";
      int at = find(opt_.api.name, opt_.api.version);
      if (at >= 0 && !override) return FakeReply::empty(409);
      if (opt_.list_after_deploy && at < 0) apis_.push_back(opt_.api);
      return FakeReply::empty(200);
    }
    if (r.method == "GET") {
      if (auto q = r.param("query"); q && !matches(*q, "^[a-zA-Z:]{0,9}$"))
        return unprocessable("query must match ^[a-zA-Z:]*$ and have at most 9 characters");
      if (auto l = r.param("limit"); l && (!matches(*l, "^[0-9]{1,9}$") || std::stoul(*l) < 1 || std::stoul(*l) > 100000000))
        return unprocessable("limit must be an integer from 1 to 100000000");
      std::size_t limit = apis_.size();
      if (auto l = r.param("limit")) limit = std::min<std::size_t>(limit, std::stoul(*l));
      std::string query = r.param("query").value_or("");
      nlohmann::json list = nlohmann::json::array();
      std::size_t total = 0;
      for (const auto& a : apis_) {
        if (query == "type:http" && a.type != "HTTP") continue;
        if (query == "type:ws" && a.type != "WS") continue;
        ++total;
        if (list.size() >= limit) continue;
        list.push_back({{"apiName", a.name},
                        {"version", a.version},
                        {"apiType", a.type},
                        {"context", a.context},
                        {"gateway-envs", a.envs},
                        {"vhost", a.vhost}});
      }
      return FakeReply::json(200, nlohmann::json{{"total", total}, {"count", list.size()}, {"list", list}}.dump());
    }
    if (r.method == "DELETE") {
      if (!matches(r.param("apiName").value_or(""), "^[a-zA-Z0-9_~.-]{3,255}$"))
        return unprocessable("apiName is required and must match ^[a-zA-Z0-9_~.-]{3,255}$");
      if (!matches(r.param("version").value_or(""), "^[a-zA-Z0-9_.-]{1,15}$"))
        return unprocessable("version is required and must match ^[a-zA-Z0-9_.-]{1,15}$");
      if (auto v = r.param("vhost"); v && !matches(*v, R"(^(\*|(\*-|\*\.)?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9])(-\*|\.\*)?)$)"))
        return unprocessable("vhost is not a valid virtual host name");
      int at = find(r.param("apiName").value_or(""), r.param("version").value_or(""));
      if (at < 0) return FakeReply::empty(404);
      apis_.erase(apis_.begin() + at);
      return FakeReply::empty(200);
    }
    return FakeReply::json(405, R"({"code":405,"message":"method not allowed"})");
  }

  Options opt_;
  mutable std::mutex mu_;
  std::vector<FakeApi> apis_;
  std::set<std::string> issued_;
  std::atomic<int> hostile_done_{0};
  FakeHttpServer server_;  // last: destroyed first, so no handler runs on a dead adapter
};

}  // namespace portico::test
