// serve::Runtime on Boost.Asio and Beast: one io_context on one thread,
// every socket non-blocking, so idle or slow clients cost a few kilobytes
// each and never a thread. The only translation unit that includes Beast
// (it is slow to compile); built into the network plugin.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>

#include "serve/http.hpp"
#include "util/error.hpp"

namespace portico::serve {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ms = std::chrono::milliseconds;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void on_stop() = 0;
};

struct ListenerState {
  ListenerConfig config;
  Handler handler;
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<ssl::context> tls;
  std::size_t connections = 0;
  bool stopping = false;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
};

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(std::shared_ptr<ListenerState> l, Args&&... args) : l_(std::move(l)), stream_(std::forward<Args>(args)...) {
    ++l_->connections;
  }
  ~Session() override {
    --l_->connections;
    l_->sessions.erase(this);
  }

  void start() {
    l_->sessions[this] = this->shared_from_this();
    boost::system::error_code ec;
    auto remote = lowest().socket().remote_endpoint(ec);
    loopback_ = !ec && remote.address().is_loopback();
    if constexpr (kTls) {
      lowest().expires_after(ms(l_->config.header_timeout_ms));
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code e) {
        if (e) return self->close();
        self->read();
      });
    } else {
      read();
    }
  }

  void on_stop() override {
    if (!busy_) close();
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    if (l_->stopping) return close();
    parser_.emplace();
    bparser_.reset();
    ++gen_;
    upload_ = answered_ = false;
    parser_->header_limit(static_cast<std::uint32_t>(l_->config.max_header));
    if (l_->config.stream_after > 0)
      parser_->body_limit(boost::none);  // a large body is streamed, not held
    else
      parser_->body_limit(l_->config.max_body);
    lowest().expires_after(ms(l_->config.header_timeout_ms));
    http::async_read_header(stream_, buf_, *parser_,
                            [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                              if (e == http::error::body_limit) return self->too_large();
                              if (e) return self->close();
                              self->busy_ = true;
                              if (self->l_->config.on_head) {
                                if (auto early = self->l_->config.on_head(self->head())) return self->refuse(std::move(*early));
                              }
                              self->read_body();
                            });
  }

  void read_body() {
    if (parser_->is_done()) return dispatch();
    auto& h = parser_->get();
    if (beast::iequals(h[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      lowest().expires_after(ms(l_->config.write_timeout_ms));
      http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) return self->close();
        self->read_rest();
      });
      return;
    }
    read_rest();
  }

  void read_rest() {
    if (l_->config.stream_after > 0) {
      // From here the body is read piece by piece into our own buffers: a
      // string body would reserve a declared Content-Length at once.
      bparser_.emplace(std::move(*parser_));
      collected_.clear();
      auto len = bparser_->content_length();
      if (len && *len > l_->config.stream_after) return dispatch_stream();
      return collect();
    }
    lowest().expires_after(ms(l_->config.body_timeout_ms));
    http::async_read(stream_, buf_, *parser_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
      if (e == http::error::body_limit) return self->too_large();
      if (e) return self->close();
      self->dispatch();
    });
  }

  // 413, then a lingering close: the client may still be sending its body,
  // and closing with unread data would reset the connection before it reads
  // the answer.
  void too_large() { refuse(l_->config.too_large); }

  void refuse(Response res) {
    keep_alive_ = false;
    lingering_ = true;
    busy_ = true;
    write(std::move(res));
  }

  const http::request_header<>& header() const {
    if (bparser_) return bparser_->get();
    return parser_->get();
  }

  // The request as known from its head alone (no body).
  Request head() const {
    const auto& h = header();
    Request r;
    r.method = std::string(h.method_string());
    r.target = std::string(h.target());
    for (const auto& f : h) r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    r.loopback = loopback_;
    r.tls = kTls;
    return r;
  }

  void linger() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(ms(2000));
    auto sink = std::make_shared<std::array<char, 16384>>();
    lowest().async_read_some(asio::buffer(*sink), [self = this->shared_from_this(), sink](beast::error_code e, std::size_t) {
      if (e) return self->close();
      self->linger_more(sink);
    });
  }

  void linger_more(std::shared_ptr<std::array<char, 16384>> sink) {
    lowest().async_read_some(asio::buffer(*sink), [self = this->shared_from_this(), sink](beast::error_code e, std::size_t) {
      if (e) return self->close();
      self->linger_more(sink);
    });
  }

  // Reads what has come of a streaming listener's body into in_ (at most
  // kPiece bytes); got: how many; e: the failure.
  template <class F>
  void read_piece(F&& then) {
    if (!in_) in_ = std::make_unique<char[]>(kPiece);
    bparser_->get().body().data = in_.get();
    bparser_->get().body().size = kPiece;
    lowest().expires_after(ms(l_->config.body_timeout_ms));
    http::async_read_some(stream_, buf_, *bparser_, [self = this->shared_from_this(), then = std::forward<F>(then)](beast::error_code e, std::size_t) mutable {
      if (e == http::error::need_buffer) e = {};
      std::size_t got = kPiece - self->bparser_->get().body().size;
      then(e, got);
    });
  }

  // A streaming listener: the body is read whole while it stays within
  // stream_after, else handed over as a stream.
  void collect() {
    if (bparser_->is_done()) return hand_over(false);
    read_piece([self = this->shared_from_this()](beast::error_code e, std::size_t got) {
      if (e) return self->close();
      self->collected_.append(self->in_.get(), got);
      if (self->bparser_->is_done()) return self->hand_over(false);
      if (self->collected_.size() > self->l_->config.stream_after) return self->hand_over(true);
      self->collect();
    });
  }

  void dispatch_stream() { hand_over(true); }

  // The rest of a request body, read as the handler asks for it.
  struct Upload : BodyStream {
    Upload(std::shared_ptr<Session> s, std::uint64_t gen) : s_(std::move(s)), gen_(gen) {}
    void next(std::function<void(std::string_view, bool, bool)> done) override { s_->upload_next(gen_, std::move(done)); }
    bool buffered() const override { return s_->buf_.size() > 0; }
    std::shared_ptr<Session> s_;
    std::uint64_t gen_;
  };

  // To the handler: the body collected so far, and the rest as a stream.
  void hand_over(bool stream) {
    Request r = head();
    r.body = std::move(collected_);
    collected_.clear();
    keep_alive_ = bparser_->get().keep_alive();
    if (stream) {
      if (auto len = bparser_->content_length()) r.body_length = static_cast<long long>(*len);
      upload_ = true;
      r.body_stream = std::make_shared<Upload>(this->shared_from_this(), gen_);
    }
    lowest().expires_never();
    l_->handler(std::move(r), [self = this->shared_from_this()](Response res) { self->write(std::move(res)); });
  }

  void upload_next(std::uint64_t gen, std::function<void(std::string_view, bool, bool)> done) {
    if (gen != gen_ || closed_ || answered_ || reading_ || bparser_->is_done()) return done({}, false, false);
    reading_ = true;
    read_piece([self = this->shared_from_this(), done = std::move(done)](beast::error_code e, std::size_t got) {
      self->reading_ = false;
      // The answer went out first: the rest of the body is not wanted.
      if (self->answered_) return e ? self->close() : self->linger();
      if (e) {
        self->close();
        return done({}, false, false);
      }
      bool last = self->bparser_->is_done();
      if (got == 0 && !last)  // a chunk header only
        return self->upload_next(self->gen_, std::move(done));
      self->lowest().expires_never();  // the handler's own deadlines apply meanwhile
      done(std::string_view(self->in_.get(), got), last, true);
    });
  }

  // After an answer: a streamed body not read to its end is drained for a
  // moment (so the client reads the answer, not a reset), then the
  // connection closes; else the connection carries the next request.
  void answered(bool keep) {
    busy_ = false;
    if (lingering_) {
      if (reading_) {
        answered_ = true;  // the pending read lingers when it ends
        return;
      }
      return linger();
    }
    if (!keep) return close();
    read();
  }

  bool upload_unfinished() const { return upload_ && bparser_ && !bparser_->is_done(); }

  void dispatch() {
    Request r = head();
    auto req = parser_->release();
    r.body = std::move(req.body());
    keep_alive_ = req.keep_alive();
    lowest().expires_never();
    l_->handler(std::move(r), [self = this->shared_from_this()](Response res) { self->write(std::move(res)); });
  }

  void write(Response res) {
    if (closed_) return;
    if (upload_unfinished()) {
      keep_alive_ = false;
      lingering_ = true;
    }
    if (res.stream) return write_stream(std::move(res));
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(res.status));
    for (auto& h : res.headers) res_.insert(h.name, h.value);
    res_.body() = std::move(res.body);
    res_.keep_alive(keep_alive_ && !l_->stopping);
    res_.prepare_payload();
    lowest().expires_after(ms(l_->config.write_timeout_ms));
    http::async_write(stream_, res_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
      if (e) return self->close();
      self->answered(self->res_.keep_alive());
    });
  }

  // The head with the first piece, then each piece as the source delivers
  // it: the next piece is asked for only once the previous one is written
  // (back-pressure).
  void write_stream(Response res) {
    source_ = std::move(res.stream);
    sres_ = {};
    sres_.version(11);
    sres_.result(static_cast<unsigned>(res.status));
    for (auto& h : res.headers) sres_.insert(h.name, h.value);
    if (res.stream_length >= 0)
      sres_.content_length(static_cast<std::uint64_t>(res.stream_length));
    else
      sres_.chunked(true);
    sres_.keep_alive(keep_alive_ && !l_->stopping);
    sres_.body().data = nullptr;
    sres_.body().more = true;
    ssr_.emplace(sres_);
    // The head goes out with the first piece when it is already there, in
    // one write (one packet for a small answer); else on its own at once.
    if (source_->buffered()) return pump();
    lowest().expires_after(ms(l_->config.write_timeout_ms));
    http::async_write_header(stream_, *ssr_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
      if (e) return self->close();
      self->pump();
    });
  }

  void pump() {
    source_->next([self = this->shared_from_this()](std::string_view data, bool last, bool ok) {
      if (!ok || self->closed_) return self->close();
      self->piece_.assign(data.data(), data.size());
      self->sres_.body().data = self->piece_.empty() ? nullptr : self->piece_.data();
      self->sres_.body().size = self->piece_.size();
      self->sres_.body().more = !last;
      self->lowest().expires_after(ms(self->l_->config.write_timeout_ms));
      http::async_write(self->stream_, *self->ssr_, [self, last](beast::error_code e, std::size_t) {
        if (e == http::error::need_buffer) e = {};
        if (e) return self->close();
        if (!last) return self->pump();
        self->source_.reset();
        self->answered(self->sres_.keep_alive());
      });
    });
  }

  void close() {
    source_.reset();
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  std::shared_ptr<ListenerState> l_;
  Stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::buffer_body>> bparser_;  // a streaming listener's body
  static constexpr std::size_t kPiece = 16384;
  std::unique_ptr<char[]> in_;  // its pieces
  std::string collected_;       // its first stream_after bytes
  http::response<http::string_body> res_;
  http::response<http::buffer_body> sres_;
  std::optional<http::response_serializer<http::buffer_body>> ssr_;
  std::shared_ptr<BodyStream> source_;
  std::string piece_;
  std::uint64_t gen_ = 0;  // the request's number on this connection
  bool keep_alive_ = false, closed_ = false, busy_ = false, loopback_ = false, lingering_ = false;
  bool upload_ = false, reading_ = false, answered_ = false;
};

class Fetch;
class Pools;

// The connections of one group (a cluster): its limits count them all.
struct GroupState {
  std::string name;
  std::size_t open = 0;  // connecting, busy or idle
  std::size_t max_connections = 0, max_pending = 1024;
  std::deque<std::shared_ptr<Fetch>> waiting;
};

// One upstream connection, counted open in its group from its creation
// (before the connect) to its destruction (which closes it).
struct Conn {
  Conn(asio::io_context& ioc, std::shared_ptr<Pools> p, std::shared_ptr<GroupState> g, std::string k);
  ~Conn();
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::shared_ptr<Pools> pools;
  std::shared_ptr<GroupState> group;
  std::string key;  // the upstream: group, scheme, host, port, trust
  std::chrono::steady_clock::time_point idle_since;
};

// The keep-alive pool: idle connections per upstream, the groups' counts
// and waiting requests, the idle sweep. Loop thread only.
class Pools : public std::enable_shared_from_this<Pools> {
 public:
  explicit Pools(asio::io_context& ioc) : ioc_(ioc), sweep_(ioc) {}
  void configure(const PoolConfig& c) { config_ = c; }

  void request(const std::shared_ptr<Fetch>& f);
  // A connection whose exchange ended cleanly and may carry another.
  void release(std::shared_ptr<Conn> c);
  std::shared_ptr<Conn> fresh(const std::shared_ptr<GroupState>& g, const std::string& key) {
    return std::make_shared<Conn>(ioc_, shared_from_this(), g, key);
  }
  // A connection of g closed: a waiting request may now open one.
  void closed(const std::shared_ptr<GroupState>& g) {
    if (stopped_ || g->waiting.empty()) return;
    asio::post(ioc_, [self = shared_from_this(), g] { self->pump(g); });
  }
  std::size_t open(const std::string& group) const {
    auto it = groups_.find(group);
    return it == groups_.end() ? 0 : it->second->open;
  }
  void stop() {
    stopped_ = true;
    idle_.clear();
    sweep_.cancel();
  }
  void shutdown() {
    stop();
    for (auto& [k, g] : groups_) g->waiting.clear();
  }
  std::shared_ptr<GroupState> group(const std::string& name) {
    auto& g = groups_[name];
    if (!g) {
      g = std::make_shared<GroupState>();
      g->name = name;
    }
    return g;
  }

 private:
  bool usable(Conn& c, bool look = false) const {
    auto idle = std::chrono::steady_clock::now() - c.idle_since;
    if (idle >= ms(config_.idle_timeout_ms)) return false;
    auto& s = c.lowest().socket();
    if (!s.is_open()) return false;
    // Idle for less than a second: taken without a look (a syscall per
    // request); if the backend closed it meanwhile, the request goes again
    // on a new connection (Fetch::retry_fresh).
    // A streamed request body cannot go again: its connection is looked at.
    if (!look && idle < std::chrono::seconds(1)) return true;
    // The backend may have closed it (0: end of stream) or sent something
    // unasked: either way it cannot carry a request.
    char b;
    ssize_t n = ::recv(s.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  // An idle, usable connection to `key`, or null (unusable ones are closed).
  std::shared_ptr<Conn> take(const std::string& key, bool look) {
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& v = it->second;
    while (!v.empty()) {
      auto c = std::move(v.back());
      v.pop_back();
      if (usable(*c, look)) return c;
    }
    return nullptr;
  }
  // Closes one idle connection of g to another upstream than `key`.
  bool evict(const std::shared_ptr<GroupState>& g, const std::string& key) {
    for (auto& [k, v] : idle_)
      if (k != key && !v.empty() && v.front()->group == g) {
        v.erase(v.begin());
        return true;
      }
    return false;
  }
  std::size_t idle_elsewhere(const std::shared_ptr<GroupState>& g, const std::string& key) const {
    std::size_t n = 0;
    for (const auto& [k, v] : idle_)
      if (k != key && !v.empty() && v.front()->group == g) n += v.size();
    return n;
  }
  bool place(const std::shared_ptr<Fetch>& f, bool may_queue);
  void pump(const std::shared_ptr<GroupState>& g);
  void schedule_sweep();

  asio::io_context& ioc_;
  PoolConfig config_;
  std::map<std::string, std::shared_ptr<GroupState>> groups_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Conn>>> idle_;
  asio::steady_timer sweep_;
  bool sweeping_ = false, stopped_ = false;
};

Conn::Conn(asio::io_context& ioc, std::shared_ptr<Pools> p, std::shared_ptr<GroupState> g, std::string k)
    : plain(std::in_place, ioc), pools(std::move(p)), group(std::move(g)), key(std::move(k)) {
  ++group->open;
}

Conn::~Conn() {
  beast::error_code ec;
  lowest().socket().close(ec);
  --group->open;
  pools->closed(group);
}

// One request to a backend, on a pooled connection or a new one.
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(asio::io_context& ioc, std::shared_ptr<ssl::context> tls, UpstreamRequest req,
        std::function<void(UpstreamResult)> done, std::shared_ptr<Pools> pools)
      : ioc_(ioc), tls_ctx_(std::move(tls)), req_(std::move(req)), done_(std::move(done)), resolver_(ioc),
        pools_(std::move(pools)), queue_timer_(ioc) {
    deadline_ = std::chrono::steady_clock::now() + ms(req_.timeout_ms);
    key_ = req_.group + '\n' + req_.scheme + '\n' + req_.host + '\n' + std::to_string(req_.port) + '\n' + req_.ca_pem;
    group_ = pools_->group(req_.group);
    group_->max_connections = req_.max_connections;
    group_->max_pending = req_.max_pending;
    parser_.emplace();
    sparser_.emplace();
  }

  void start() { pools_->request(shared_from_this()); }

  // Called by the pool: go on `c` (reused: already connected).
  void use(std::shared_ptr<Conn> c, bool reused) {
    queue_timer_.cancel();
    conn_ = std::move(c);
    reused_ = reused;
    if (reused)
      return with_stream([this](auto& s) { send(s); });
    open_new();
  }

  // Waiting for a connection until the request's deadline.
  void wait() {
    queue_timer_.expires_after(remaining());
    queue_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (e || self->conn_) return;
      self->fail(UpstreamError::Timeout, "upstream request timeout");
    });
  }
  bool waiting() const { return done_ && !conn_; }
  void overflow() {
    asio::post(ioc_, [self = shared_from_this()] { self->fail(UpstreamError::Overflow, "upstream overflow"); });
  }

  const std::string& key() const { return key_; }
  bool streamed() const { return req_.body_stream != nullptr; }
  const std::shared_ptr<GroupState>& group() const { return group_; }

 private:
  ms remaining() const {
    auto left = std::chrono::duration_cast<ms>(deadline_ - std::chrono::steady_clock::now());
    return left.count() < 1 ? ms(1) : left;
  }
  bool expired() const { return std::chrono::steady_clock::now() >= deadline_; }

  template <class F>
  void with_stream(F&& f) {
    if (conn_->secure)
      f(*conn_->secure);
    else
      f(*conn_->plain);
  }

  void open_new() {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address_v4(req_.host, ec);
    if (!ec) return connect({tcp::endpoint(addr, static_cast<unsigned short>(req_.port))});
    resolver_.async_resolve(tcp::v4(), req_.host, std::to_string(req_.port),
                            [self = shared_from_this()](beast::error_code e, tcp::resolver::results_type r) {
                              if (e) return self->fail(UpstreamError::Connect, "cannot resolve " + self->req_.host);
                              std::vector<tcp::endpoint> eps;
                              for (const auto& x : r) eps.push_back(x.endpoint());
                              self->connect(std::move(eps));
                            });
  }

  void connect(std::vector<tcp::endpoint> eps) {
    auto limit = std::min(ms(req_.connect_timeout_ms), remaining());
    conn_->plain->expires_after(limit);
    conn_->plain->async_connect(eps, [self = shared_from_this()](beast::error_code e, const tcp::endpoint&) {
      if (e == beast::error::timeout) {
        if (self->expired()) return self->fail(UpstreamError::Timeout, "upstream request timeout");
        return self->fail(UpstreamError::Connect, "connection timeout");
      }
      if (e) return self->fail(UpstreamError::Connect, e.message());
      self->conn_->plain->socket().set_option(tcp::no_delay(true));
      if (self->req_.scheme == "https")
        self->handshake();
      else
        self->send(*self->conn_->plain);
    });
  }

  void handshake() {
    conn_->secure.emplace(std::move(*conn_->plain), *tls_ctx_);
    conn_->plain.reset();
    auto& sec = *conn_->secure;
    if (!SSL_set_tlsext_host_name(sec.native_handle(), req_.host.c_str()))
      return fail(UpstreamError::Tls, "cannot set SNI");
    sec.set_verify_mode(ssl::verify_peer);
    sec.set_verify_callback(ssl::host_name_verification(req_.host));
    beast::get_lowest_layer(sec).expires_after(remaining());
    sec.async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code e) {
      if (e == beast::error::timeout) return self->fail(UpstreamError::Timeout, "upstream request timeout");
      if (e) return self->fail(UpstreamError::Tls, "TLS error: " + e.message());
      self->send(*self->conn_->secure);
    });
  }

  // A reused connection that failed before any byte of the response came
  // back was a stale keep-alive connection, not a backend failure: the
  // request goes again, once, on a new connection.
  bool retry_fresh(beast::error_code e, std::size_t got) {
    if (!reused_ || retried_ || pulled_ || e == beast::error::timeout || got > 0 || buf_.size() > 0) return false;
    retried_ = true;
    reused_ = false;
    conn_.reset();
    parser_.emplace();
    sparser_.emplace();
    conn_ = pools_->fresh(group_, key_);
    open_new();
    return true;
  }

  template <class S>
  void send(S& s) {
    if (req_.body_stream) return send_streamed(s);
    if (!prepared_) {
      prepared_ = true;
      out_.version(11);
      out_.method_string(req_.method);
      out_.target(req_.target);
      for (const auto& h : req_.headers) out_.insert(h.name, h.value);
      bool default_port = (req_.scheme == "https" && req_.port == 443) || (req_.scheme == "http" && req_.port == 80);
      out_.set(http::field::host, default_port ? req_.host : req_.host + ":" + std::to_string(req_.port));
      out_.body() = std::move(req_.body);
      out_.prepare_payload();
      out_.keep_alive(true);
    }
    beast::get_lowest_layer(s).expires_after(remaining());
    http::async_write(s, out_, [self = shared_from_this(), &s](beast::error_code e, std::size_t) {
      if (e == beast::error::timeout) return self->fail(UpstreamError::Timeout, "upstream request timeout");
      if (e && self->retry_fresh(e, 0)) return;
      if (e) return self->fail(UpstreamError::Reset, "upstream reset: " + e.message());
      self->receive(s);
    });
  }

  // A streamed body: the head with what is already there, then each piece
  // as the source delivers it (the next one is asked for once the previous
  // one is written).
  template <class S>
  void send_streamed(S& s) {
    if (!prepared_) {
      prepared_ = true;
      sout_.version(11);
      sout_.method_string(req_.method);
      sout_.target(req_.target);
      for (const auto& h : req_.headers) {
        auto n = beast::string_view(h.name);
        if (beast::iequals(n, "content-length") || beast::iequals(n, "transfer-encoding")) continue;
        sout_.insert(h.name, h.value);
      }
      bool default_port = (req_.scheme == "https" && req_.port == 443) || (req_.scheme == "http" && req_.port == 80);
      sout_.set(http::field::host, default_port ? req_.host : req_.host + ":" + std::to_string(req_.port));
      if (req_.body_length >= 0)
        sout_.content_length(static_cast<std::uint64_t>(req_.body_length));
      else
        sout_.chunked(true);
      sout_.keep_alive(true);
    }
    sout_.body().data = req_.body.empty() ? nullptr : req_.body.data();
    sout_.body().size = req_.body.size();
    sout_.body().more = true;
    sser_.emplace(sout_);
    beast::get_lowest_layer(s).expires_after(remaining());
    http::async_write(s, *sser_, [self = shared_from_this(), &s](beast::error_code e, std::size_t) {
      if (e == http::error::need_buffer) e = {};
      if (e == beast::error::timeout) return self->fail(UpstreamError::Timeout, "upstream request timeout");
      if (e && self->retry_fresh(e, 0)) return;
      if (e) return self->fail(UpstreamError::Reset, "upstream reset: " + e.message());
      self->pull(s);
    });
  }

  template <class S>
  void pull(S& s) {
    pulled_ = true;  // from here the request cannot be sent again
    req_.body_stream->next([self = shared_from_this(), &s](std::string_view data, bool last, bool ok) {
      if (!self->done_ || !self->conn_) return;  // failed meanwhile
      if (!ok) return self->fail(UpstreamError::Reset, "the client's request body was cut short");
      auto& b = self->sout_.body();
      b.data = data.empty() ? nullptr : const_cast<char*>(data.data());
      b.size = data.size();
      b.more = !last;
      // Envoy's route timeout counts from the end of the request body; until
      // then it bounds each piece's write.
      self->deadline_ = std::chrono::steady_clock::now() + ms(self->req_.timeout_ms);
      beast::get_lowest_layer(s).expires_after(self->remaining());
      http::async_write(s, *self->sser_, [self, &s, last](beast::error_code e, std::size_t) {
        if (e == http::error::need_buffer) e = {};
        if (e == beast::error::timeout) return self->fail(UpstreamError::Timeout, "upstream request timeout");
        if (e) return self->fail(UpstreamError::Reset, "upstream reset: " + e.message());
        if (!last) return self->pull(s);
        self->req_.body_stream.reset();
        self->receive(s);
      });
    });
  }

  // Returns the connection to the pool when the exchange left it clean.
  template <class P>
  void done_with(P& parser) {
    if (conn_ && parser.keep_alive() && buf_.size() == 0)
      pools_->release(std::move(conn_));
    conn_.reset();
  }

  // Streaming: the head now, the body through next().
  template <class S>
  void receive_head(S& s) {
    sparser_->body_limit(boost::none);
    if (req_.method == "HEAD") sparser_->skip(true);
    beast::get_lowest_layer(s).expires_after(remaining());
    http::async_read_header(s, buf_, *sparser_, [self = shared_from_this(), &s](beast::error_code e, std::size_t n) {
      if (e == beast::error::timeout) return self->fail(UpstreamError::Timeout, "upstream request timeout");
      if (e && self->retry_fresh(e, n)) return;
      if (e) return self->fail(UpstreamError::Reset, "upstream connection reset: " + e.message());
      auto& m = self->sparser_->get();
      UpstreamResult r;
      r.response.status = static_cast<int>(m.result_int());
      for (const auto& f : m) r.response.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      if (self->sparser_->is_done()) {
        r.response.stream_length = -1;
        self->done_with(*self->sparser_);
        if (auto d = std::move(self->done_)) d(std::move(r));
        return;
      }
      if (auto len = self->sparser_->content_length()) r.response.stream_length = static_cast<long long>(*len);
      // Raw `this`: the Source owns the exchange; a shared_ptr here would be a cycle.
      Fetch* raw = self.get();
      self->reader_ = [raw, &s](std::function<void(std::string_view, bool, bool)> done) {
        raw->read_piece(s, std::move(done));
      };
      r.response.stream = std::make_shared<Source>(self);
      if (auto d = std::move(self->done_)) d(std::move(r));
    });
  }

  template <class S>
  void read_piece(S& s, std::function<void(std::string_view, bool, bool)> done) {
    if (expired() || !conn_) return done({}, false, false);
    sparser_->get().body().data = chunk_;
    sparser_->get().body().size = sizeof chunk_;
    beast::get_lowest_layer(s).expires_after(remaining());
    // read_some: whatever has arrived, not a full buffer (async_read would
    // wait for 64 KiB or the end).
    http::async_read_some(s, buf_, *sparser_, [self = shared_from_this(), &s, done = std::move(done)](beast::error_code e, std::size_t) {
      if (e == http::error::need_buffer) e = {};
      if (e) {
        self->conn_.reset();
        return done({}, false, false);
      }
      std::size_t got = sizeof self->chunk_ - self->sparser_->get().body().size;
      if (got == 0 && !self->sparser_->is_done()) return self->read_piece(s, done);  // a chunk header only
      bool last = self->sparser_->is_done();
      if (last) self->done_with(*self->sparser_);
      done(std::string_view(self->chunk_, got), last, true);
    });
  }

  // The body of a streamed response; holds the exchange (and its socket) open.
  struct Source : BodyStream {
    explicit Source(std::shared_ptr<Fetch> f) : f_(std::move(f)) {}
    void next(std::function<void(std::string_view, bool, bool)> done) override { f_->reader_(std::move(done)); }
    bool buffered() const override { return f_->buf_.size() > 0; }
    std::shared_ptr<Fetch> f_;
  };

  template <class S>
  void receive(S& s) {
    if (req_.stream) return receive_head(s);
    parser_->body_limit(req_.max_response);
    if (req_.method == "HEAD") parser_->skip(true);
    beast::get_lowest_layer(s).expires_after(remaining());
    http::async_read(s, buf_, *parser_, [self = shared_from_this()](beast::error_code e, std::size_t n) {
      if (e == beast::error::timeout) return self->fail(UpstreamError::Timeout, "upstream request timeout");
      if (e == http::error::body_limit) return self->fail(UpstreamError::TooLarge, "upstream response too large");
      if (e && self->retry_fresh(e, n)) return;
      if (e) return self->fail(UpstreamError::Reset, "upstream connection reset: " + e.message());
      auto& m = self->parser_->get();
      UpstreamResult r;
      r.response.status = static_cast<int>(m.result_int());
      for (const auto& f : m) r.response.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      r.response.body = std::move(m.body());
      self->done_with(*self->parser_);
      if (auto d = std::move(self->done_)) d(std::move(r));
    });
  }

 public:
  void fail(UpstreamError err, std::string why) {
    UpstreamResult r;
    r.error = err;
    r.detail = std::move(why);
    queue_timer_.cancel();
    conn_.reset();
    if (auto d = std::move(done_)) d(std::move(r));
  }

 private:
  asio::io_context& ioc_;
  std::shared_ptr<ssl::context> tls_ctx_;
  UpstreamRequest req_;
  std::function<void(UpstreamResult)> done_;
  tcp::resolver resolver_;
  std::shared_ptr<Pools> pools_;
  asio::steady_timer queue_timer_;
  std::shared_ptr<GroupState> group_;
  std::string key_;
  std::shared_ptr<Conn> conn_;
  bool reused_ = false, retried_ = false, prepared_ = false, pulled_ = false;
  http::request<http::string_body> out_;
  http::request<http::buffer_body> sout_;  // a streamed body
  std::optional<http::request_serializer<http::buffer_body>> sser_;
  beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::optional<http::response_parser<http::buffer_body>> sparser_;
  std::function<void(std::function<void(std::string_view, bool, bool)>)> reader_;
  char chunk_[65536];
  std::chrono::steady_clock::time_point deadline_;
};

// Reuse an idle connection, else open one within the group's limit (an idle
// connection to another upstream of the group gives its place), else wait
// (or overflow): serve::admit() decides.
bool Pools::place(const std::shared_ptr<Fetch>& f, bool may_queue) {
  const auto& g = f->group();
  if (auto c = take(f->key(), f->streamed())) {
    f->use(std::move(c), true);
    return true;
  }
  switch (admit(0, idle_elsewhere(g, f->key()), g->open, may_queue ? g->waiting.size() : 0, g->max_connections,
                may_queue ? g->max_pending : 0)) {
    case Admit::Evict: evict(g, f->key()); [[fallthrough]];
    case Admit::Reuse:
    case Admit::Open: f->use(fresh(g, f->key()), false); return true;
    case Admit::Queue:
      g->waiting.push_back(f);
      f->wait();
      return true;
    case Admit::Overflow:
      if (!may_queue) return false;  // pump: stays first in line
      f->overflow();
      return true;
  }
  return false;
}

void Pools::request(const std::shared_ptr<Fetch>& f) { place(f, true); }

void Pools::pump(const std::shared_ptr<GroupState>& g) {
  while (!g->waiting.empty()) {
    auto f = g->waiting.front();
    if (!f->waiting()) {  // timed out meanwhile
      g->waiting.pop_front();
      continue;
    }
    if (!place(f, false)) return;
    g->waiting.pop_front();
  }
}

void Pools::release(std::shared_ptr<Conn> c) {
  if (stopped_) return;
  auto& v = idle_[c->key];
  if (v.size() >= config_.max_idle) return;  // closed
  c->idle_since = std::chrono::steady_clock::now();
  auto g = c->group;
  v.push_back(std::move(c));
  schedule_sweep();
  if (!g->waiting.empty()) pump(g);
}

// Closes idle connections past the idle timeout or closed by the backend.
void Pools::schedule_sweep() {
  if (sweeping_ || stopped_) return;
  sweeping_ = true;
  long every = std::clamp(config_.idle_timeout_ms / 2, 50L, 1000L);
  sweep_.expires_after(ms(every));
  sweep_.async_wait([self = shared_from_this()](beast::error_code e) {
    self->sweeping_ = false;
    if (e || self->stopped_) return;
    bool any = false;
    for (auto it = self->idle_.begin(); it != self->idle_.end();) {
      auto& v = it->second;
      std::erase_if(v, [&](const std::shared_ptr<Conn>& c) { return !self->usable(*c, true); });
      any = any || !v.empty();
      it = v.empty() ? self->idle_.erase(it) : std::next(it);
    }
    if (any) self->schedule_sweep();
  });
}

class AsioRuntime final : public Runtime, public Loop {
 public:
  AsioRuntime() : ioc_(1), guard_(asio::make_work_guard(ioc_)), pools_(std::make_shared<Pools>(ioc_)) {}
  ~AsioRuntime() override { pools_->shutdown(); }

  void set_pool(const PoolConfig& config) override { pools_->configure(config); }
  std::size_t open_connections(const std::string& group) override { return pools_->open(group); }

  Loop& loop() override { return *this; }

  void post(std::function<void()> fn) override { asio::post(ioc_, std::move(fn)); }

  void after(long delay, std::function<void()> fn) override {
    auto t = std::make_shared<asio::steady_timer>(ioc_, ms(delay));
    t->async_wait([t, fn = std::move(fn)](beast::error_code e) {
      if (!e) fn();
    });
  }

  long long now_ms() override {
    return std::chrono::duration_cast<ms>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  void fetch(UpstreamRequest req, std::function<void(UpstreamResult)> done) override {
    std::shared_ptr<ssl::context> ctx;
    if (req.scheme == "https") {
      auto& slot = client_tls_[req.ca_pem];
      if (!slot) {
        try {
          auto c = std::make_shared<ssl::context>(ssl::context::tls_client);
          c->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
          if (req.ca_pem.empty())
            c->set_default_verify_paths();
          else
            c->add_certificate_authority(asio::buffer(req.ca_pem));
          slot = c;
        } catch (const std::exception& e) {
          client_tls_.erase(req.ca_pem);
          UpstreamResult r;
          r.error = UpstreamError::Tls;
          r.detail = std::string("unusable endpoint certificate: ") + e.what();
          return post([done, r] { done(r); });
        }
      }
      ctx = slot;
    }
    std::make_shared<Fetch>(ioc_, std::move(ctx), std::move(req), std::move(done), pools_)->start();
  }

  void tcp_check(std::string host, int port, long timeout, std::function<void(bool, std::string)> done) override {
    struct Check {
      beast::tcp_stream s;
      tcp::resolver r;
      std::function<void(bool, std::string)> done;
      Check(asio::io_context& io) : s(io), r(io) {}
    };
    auto c = std::make_shared<Check>(ioc_);
    c->done = std::move(done);
    auto go = [c, timeout](std::vector<tcp::endpoint> eps) {
      c->s.expires_after(ms(timeout));
      c->s.async_connect(eps, [c](beast::error_code e, const tcp::endpoint&) {
        c->s.close();
        if (e == beast::error::timeout) return c->done(false, "timeout");
        if (e) return c->done(false, e.message());
        c->done(true, "ok");
      });
    };
    boost::system::error_code ec;
    auto addr = asio::ip::make_address_v4(host, ec);
    if (!ec) return go({tcp::endpoint(addr, static_cast<unsigned short>(port))});
    c->r.async_resolve(tcp::v4(), host, std::to_string(port),
                       [c, go](beast::error_code e, tcp::resolver::results_type r) {
                         if (e) return c->done(false, "cannot resolve");
                         std::vector<tcp::endpoint> eps;
                         for (const auto& x : r) eps.push_back(x.endpoint());
                         go(std::move(eps));
                       });
  }

  int listen(const ListenerConfig& config, Handler handler) override {
    auto l = std::make_shared<ListenerState>();
    l->config = config;
    l->handler = std::move(handler);
    if (config.tls) {
      l->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
      l->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
      try {
        l->tls->use_certificate_chain(asio::buffer(config.cert_pem));
        l->tls->use_private_key(asio::buffer(config.key_pem), ssl::context::pem);
      } catch (const std::exception& e) {
        throw Error(ExitCode::Input, std::string("cannot use the TLS certificate and key: ") + e.what());
      }
    }
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(config.host, ec);
    if (ec) throw Error(ExitCode::Usage, "cannot listen on '" + config.host + "': not an IP address");
    tcp::endpoint ep(addr, static_cast<unsigned short>(config.port));
    l->acceptor.emplace(ioc_);
    l->acceptor->open(ep.protocol());
    l->acceptor->set_option(asio::socket_base::reuse_address(true));
    l->acceptor->bind(ep, ec);
    std::string where = config.host + ":" + std::to_string(config.port);
    if (ec == asio::error::address_in_use)
      throw Error(ExitCode::Input, "cannot listen on " + where + ": address already in use",
                  "stop the process that holds it, or pick another port");
    if (ec) throw Error(ExitCode::Network, "cannot listen on " + where + ": " + ec.message());
    l->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw Error(ExitCode::Network, "cannot listen on " + where + ": " + ec.message());
    listeners_.push_back(l);
    accept(l);
    return l->acceptor->local_endpoint().port();
  }

  void run() override { ioc_.run(); }

  void stop(long grace) override {
    asio::post(ioc_, [this, grace] {
      if (stopping_) return;
      stopping_ = true;
      pools_->stop();
      for (auto& l : listeners_) {
        l->stopping = true;
        beast::error_code ec;
        l->acceptor->close(ec);
        auto sessions = l->sessions;
        for (auto& [p, w] : sessions)
          if (auto s = w.lock()) s->on_stop();
      }
      guard_.reset();
      after(grace, [this] { ioc_.stop(); });
    });
  }

 private:
  void accept(std::shared_ptr<ListenerState> l) {
    l->acceptor->async_accept(ioc_, [this, l](beast::error_code e, tcp::socket sock) {
      if (e == asio::error::operation_aborted || l->stopping) return;
      if (!e) {
        if (l->connections >= l->config.max_connections) {
          beast::error_code ec;
          sock.close(ec);
        } else {
          sock.set_option(tcp::no_delay(true));
          if (l->tls)
            std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(l, std::move(sock), *l->tls)->start();
          else
            std::make_shared<Session<beast::tcp_stream>>(l, std::move(sock))->start();
        }
      }
      accept(l);
    });
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::shared_ptr<ListenerState>> listeners_;
  std::map<std::string, std::shared_ptr<ssl::context>> client_tls_;
  std::shared_ptr<Pools> pools_;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<Runtime> make_runtime() { return std::make_unique<AsioRuntime>(); }

}  // namespace portico::serve
