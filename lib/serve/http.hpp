// A generic, event-driven HTTP serving layer: the types the application
// logic sees, and the interface of the event loop it runs on. Nothing here
// knows about Choreo Connect; the implementation (Boost.Asio/Beast, in
// serve/asio_loop.cpp) lives in the network plugin, and tests can drive the
// application logic with a fake Loop.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portico::serve {

struct Header {
  std::string name, value;
};

class BodyStream;

struct Request {
  std::string method;
  std::string target;  // path and query, as sent
  std::vector<Header> headers;
  std::string body;
  // A streamed body (see ListenerConfig::stream_after): the body is `body`
  // followed by what body_stream delivers; body_length is the whole body's
  // declared length, or -1 (chunked). Null: `body` is the whole body.
  std::shared_ptr<BodyStream> body_stream;
  long long body_length = -1;
  bool loopback = false;  // the client connected from 127.0.0.0/8 or ::1
  bool tls = false;

  // The first value of a header (name compared ignoring case), or "".
  std::string header(std::string_view name) const;
  std::string path() const;   // target without the query
  std::string query() const;  // after '?', or ""
};

// A body that arrives piece by piece (a backend's response, a client's
// large request body).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Delivers the next piece (valid until the next call): last = the body is
  // complete; ok = false: the source failed (the client connection is then
  // cut, since the head is already sent). Not called again after either.
  virtual void next(std::function<void(std::string_view data, bool last, bool ok)> done) = 0;
  // A piece is there without waiting: a response's head is then sent
  // together with it, else on its own at once.
  virtual bool buffered() const { return true; }
};

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // When set, the body comes from here instead (with Content-Length when
  // stream_length >= 0, else chunked).
  std::shared_ptr<BodyStream> stream;
  long long stream_length = -1;
  void set(std::string name, std::string value);
};

// Called exactly once per request, on the loop's thread.
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Respond)>;

// A request to a backend, on a kept-alive connection when one is idle (see
// PoolConfig): connections are pooled per group, scheme, host, port and TLS
// trust.
struct UpstreamRequest {
  std::string scheme = "http";  // http or https
  std::string host;
  int port = 80;
  std::string ca_pem;  // https: trust only these certificates; "" = the system store
  std::string method, target;
  std::vector<Header> headers;
  std::string body;
  // A streamed body: `body`, then what body_stream delivers, with
  // Content-Length body_length (or chunked when -1). The request is then
  // never sent twice once a piece was taken, and timeout_ms counts from the
  // body's last byte (as Envoy's route timeout does).
  std::shared_ptr<BodyStream> body_stream;
  long long body_length = -1;
  int connect_timeout_ms = 20000;
  int timeout_ms = 60000;  // the whole exchange
  std::size_t max_response = 64u << 20;  // for a buffered response
  // Return after the response head, with the body as Response::stream.
  bool stream = false;
  // The connection group (a cluster): its limits count the connections open
  // to all of its upstreams, busy, idle or connecting. max_connections 0: no
  // limit; at the limit a request waits for a connection of its upstream
  // (or takes the place of an idle one to another upstream of the group),
  // and once max_pending requests wait, the next fails at once (Overflow).
  std::string group;
  std::size_t max_connections = 0;
  std::size_t max_pending = 1024;
};

enum class UpstreamError { None, Connect, Timeout, Reset, Tls, TooLarge, Overflow };

// The keep-alive pool of upstream connections (per Runtime).
struct PoolConfig {
  long idle_timeout_ms = 30000;     // an idle connection is closed after this
  std::size_t max_idle = 128;       // idle connections kept per upstream; more are closed
};

// What the pool does with a request (pure; serve/http.cpp).
enum class Admit { Reuse, Open, Evict, Queue, Overflow };
// idle_here: idle connections to the request's upstream; idle_elsewhere:
// idle ones to other upstreams of its group; open: the group's open
// connections; pending: its requests already waiting.
Admit admit(std::size_t idle_here, std::size_t idle_elsewhere, std::size_t open, std::size_t pending,
            std::size_t max_connections, std::size_t max_pending);

struct UpstreamResult {
  UpstreamError error = UpstreamError::None;
  std::string detail;  // what went wrong, for logs and error descriptions
  Response response;
};

// The event loop the application logic runs on. Everything it calls back
// runs on the loop's one thread; only post() may be called from elsewhere.
class Loop {
 public:
  virtual ~Loop() = default;
  virtual void post(std::function<void()> fn) = 0;
  // Runs fn after ms milliseconds (on the loop thread).
  virtual void after(long ms, std::function<void()> fn) = 0;
  virtual void fetch(UpstreamRequest req, std::function<void(UpstreamResult)> done) = 0;
  // A TCP connect (IPv4) within timeout_ms; ok=false with the reason otherwise.
  virtual void tcp_check(std::string host, int port, long timeout_ms,
                         std::function<void(bool ok, std::string why)> done) = 0;
  virtual long long now_ms() = 0;  // a monotonic clock
  // Open upstream connections of a group (busy, idle or connecting).
  virtual std::size_t open_connections(const std::string& group) { (void)group; return 0; }
};

struct ListenerConfig {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see Server::port)
  bool tls = false;
  std::string cert_pem, key_pem;
  std::size_t max_connections = 10000;
  long header_timeout_ms = 10000;  // request head (and TLS handshake) within this, also between requests
  long body_timeout_ms = 30000;    // request body within this after its head
  long write_timeout_ms = 60000;
  std::size_t max_header = 64u << 10;
  std::size_t max_body = 8u << 20;
  // 0: a request body is read whole (at most max_body) before the handler
  // runs. Else a body of up to this size is still read whole, and a larger
  // one (by its Content-Length, or once this much of a chunked body has
  // come) is handed to the handler as Request::body_stream, read only as
  // the handler asks for it, with no size limit (max_body does not apply);
  // body_timeout_ms then bounds the wait for each piece. An answer sent
  // before the streamed body was read to its end closes the connection.
  std::size_t stream_after = 0;
  // Called on the loop thread once a request's head has arrived, before its
  // body is read (the request's body is then empty). A response returned
  // here is sent at once, the body is never read, and the connection closes
  // after the answer: authentication or admission decided from the headers.
  std::function<std::optional<Response>(const Request& head)> on_head;
  // The answer to a body over max_body (the connection is then closed).
  Response too_large{413, {{"Content-Type", "application/json"}},
                     R"({"code":"413","message":"Payload Too Large","description":"The request body is larger than the limit."})",
                     nullptr, -1};
};

// One listener on a Loop with its handler. Created by make_runtime().
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual Loop& loop() = 0;
  // Binds (throws portico::Error(Input) "address already in use" when taken);
  // returns the port.
  virtual int listen(const ListenerConfig& config, Handler handler) = 0;
  // Runs the loop on the calling thread until stop().
  virtual void run() = 0;
  // Any thread: closes the listeners, lets requests in flight finish for at
  // most grace_ms, then ends run().
  virtual void stop(long grace_ms = 1500) = 0;
  // Before run(): the upstream pool's limits.
  virtual void set_pool(const PoolConfig& config) { (void)config; }
};

std::unique_ptr<Runtime> make_runtime();  // in the network plugin

}  // namespace portico::serve
