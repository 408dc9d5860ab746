#include <curl/curl.h>

#include <mutex>

#include "net/http.hpp"
#include "net/module.hpp"
#include "util/text.hpp"

namespace portico::net {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string* body;
  std::size_t max;
  bool overflow = false;
};

size_t write_cb(char* ptr, size_t size, size_t n, void* userdata) {
  auto* s = static_cast<Sink*>(userdata);
  if (s->body->size() + size * n > s->max) {
    s->overflow = true;
    return 0;
  }
  s->body->append(ptr, size * n);
  return size * n;
}

// The response headers, bounded: past kMaxResponseHeaderBytes (all lines of
// every response of the exchange, 100 Continue included) the transfer stops.
struct HeaderSink {
  std::map<std::string, std::string>* headers;
  std::size_t bytes = 0;
  bool overflow = false;
  bool complete = false;  // the blank line that ends a final response's headers arrived
};

size_t header_cb(char* ptr, size_t size, size_t n, void* userdata) {
  auto* h = static_cast<HeaderSink*>(userdata);
  h->bytes += size * n;
  if (h->bytes > kMaxResponseHeaderBytes) {
    h->overflow = true;
    return 0;
  }
  std::string line(ptr, size * n);
  if (line.rfind("HTTP/", 0) == 0) h->complete = false;  // a new response (after a 100 Continue)
  if (line == "\r\n" || line == "\n") h->complete = true;
  auto colon = line.find(':');
  if (colon != std::string::npos)
    (*h->headers)[text::to_lower(text::trim(line.substr(0, colon)))] = std::string(text::trim(line.substr(colon + 1)));
  return size * n;
}

int progress_cb(void* userdata, curl_off_t, curl_off_t, curl_off_t ultotal, curl_off_t ulnow) {
  auto* f = static_cast<std::function<void(std::size_t, std::size_t)>*>(userdata);
  if (*f && ultotal > 0) (*f)(static_cast<std::size_t>(ulnow), static_cast<std::size_t>(ultotal));
  return 0;
}

Failure classify(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return Failure::Resolve;
    case CURLE_COULDNT_CONNECT: return Failure::Connect;
    case CURLE_OPERATION_TIMEDOUT: return Failure::Timeout;
    // The certificate: untrusted, another host's, expired; or the CA file.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return Failure::TlsVerify;
    // The handshake itself: closed or reset by the peer, not TLS at all,
    // no common version or cipher. No certificate was judged.
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: return Failure::Tls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return Failure::Reset;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED: return Failure::TooLarge;
    case CURLE_UNSUPPORTED_PROTOCOL:  // "Received HTTP/0.9 when not allowed", "Unsupported HTTP version"
    case CURLE_WEIRD_SERVER_REPLY: return Failure::Protocol;
    default: return Failure::Other;
  }
}

std::string mib(std::size_t bytes) {
  return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

}  // namespace

class CurlTransport : public Transport {
 public:
  explicit CurlTransport(std::function<void(const std::string&)> trace) : trace_(std::move(trace)) { global_init(); }

  HttpResponse send(const HttpRequest& req) override {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw TransportError(Failure::Other, "cannot initialise libcurl");
    CURL* h = curl.get();
    HttpResponse res;
    Sink sink{&res.body, req.max_response_bytes};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req.timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    // A larger Content-Length is refused before any of the body is read.
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_response_bytes));
    HeaderSink head{&res.headers};
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    if (!req.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file.c_str());
    if (req.insecure) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    headers = curl_slist_append(headers, "Expect:");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hguard(headers, curl_slist_free_all);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

    std::unique_ptr<curl_mime, decltype(&curl_mime_free)> mime(nullptr, curl_mime_free);
    if (!req.file_part_name.empty()) {
      mime.reset(curl_mime_init(h));
      curl_mimepart* part = curl_mime_addpart(mime.get());
      curl_mime_name(part, req.file_part_name.c_str());
      if (curl_mime_filedata(part, req.file_path.c_str()) != CURLE_OK)
        throw TransportError(Failure::Other, "cannot read " + req.file_path);
      if (!req.file_name.empty()) curl_mime_filename(part, req.file_name.c_str());
      curl_mime_type(part, "application/zip");
      curl_easy_setopt(h, CURLOPT_MIMEPOST, mime.get());
    } else if (req.method == "POST" || req.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    }
    if (req.method != "GET" && req.method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    auto progress = req.progress;
    if (progress) {
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &progress);
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    if (trace_) {
      std::string line = "> " + req.method + " " + req.url;
      for (const auto& [k, v] : req.headers) line += "\n> " + k + ": " + redact_header(k, v);
      trace_(line);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
      std::string msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      Failure failure = classify(rc);
      if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
        failure = Failure::TooLarge;
        msg = "the response is larger than " + mib(req.max_response_bytes);
      } else if (head.overflow || (rc == CURLE_OUT_OF_MEMORY && !head.complete)) {
        // Ours, or libcurl's own limit on one header line (100 KiB), which it
        // reports as "out of memory" (and "too large response headers" past
        // 300 KiB in all, as a receive error: never reached, ours is lower).
        failure = Failure::Protocol;
        msg = "the response headers exceed " + std::to_string(kMaxResponseHeaderBytes >> 10) + " KiB";
      } else if (failure == Failure::Protocol) {
        msg = "the answer is not HTTP (" + msg + ")";
      }
      CertProblem cert = CertProblem::Unknown;
      if (rc == CURLE_PEER_FAILED_VERIFICATION) {
        // libcurl checks the host name itself, after OpenSSL verified the
        // chain ("... does not match target host name", "no alternative
        // certificate subject name matches target host name"); otherwise
        // OpenSSL's verdict on the chain says what failed.
        long verdict = -1;
        curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verdict);
        constexpr long kNotYetValid = 9, kExpired = 10;  // X509_V_ERR_CERT_NOT_YET_VALID, _HAS_EXPIRED
        cert = msg.find("target host name") != std::string::npos ? CertProblem::HostName
               : verdict == kExpired || verdict == kNotYetValid  ? CertProblem::Expired
                                                                 : CertProblem::Untrusted;
      }
      if (trace_) trace_("< (no response: " + msg + ")");
      throw TransportError(failure, msg, cert);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
    if (trace_) trace_("< " + std::to_string(res.status) + " (" + std::to_string(res.body.size()) + " bytes)");
    return res;
  }

 private:
  std::function<void(const std::string&)> trace_;
};

}  // namespace portico::net

namespace portico::netmod {
std::unique_ptr<net::Transport> make_curl_transport_impl(std::function<void(const std::string&)> trace) {
  return std::make_unique<net::CurlTransport>(std::move(trace));
}
}  // namespace portico::netmod
