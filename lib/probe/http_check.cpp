#include "probe/http_check.hpp"
#include "net/module.hpp"

#include <curl/curl.h>

#include <memory>

namespace portico::netmod {

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

using probe::HttpOutcome;
std::vector<HttpOutcome> http_check_impl(const std::vector<std::string>& urls, long timeout_ms, const std::string& ca_file,
                                         int parallel) {
  std::vector<HttpOutcome> out(urls.size());
  if (urls.empty()) return out;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), curl_multi_cleanup);
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(parallel));
  std::vector<CURL*> handles;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    CURL* h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, urls[i].c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "portico-probe");
    curl_easy_setopt(h, CURLOPT_PRIVATE, reinterpret_cast<void*>(i));
    if (!ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
    curl_multi_add_handle(multi.get(), h);
    handles.push_back(h);
  }
  int running = 0;
  do {
    curl_multi_perform(multi.get(), &running);
    int msgs = 0;
    while (CURLMsg* m = curl_multi_info_read(multi.get(), &msgs)) {
      if (m->msg != CURLMSG_DONE) continue;
      void* priv = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
      HttpOutcome& o = out[reinterpret_cast<std::size_t>(priv)];
      if (m->data.result == CURLE_OK) {
        o.answered = true;
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &o.status);
        double t = 0;
        curl_easy_getinfo(m->easy_handle, CURLINFO_STARTTRANSFER_TIME, &t);
        o.ttfb_ms = t * 1000;
      } else {
        o.error = curl_easy_strerror(m->data.result);
      }
    }
    if (running) curl_multi_poll(multi.get(), nullptr, 0, 200, nullptr);
  } while (running);
  for (CURL* h : handles) {
    curl_multi_remove_handle(multi.get(), h);
    curl_easy_cleanup(h);
  }
  return out;
}

}  // namespace portico::netmod
