// init/kube/client.cpp — layer: I/O (HTTPS to the Kubernetes API server). See client.hpp. Each request uses
// its own connection and io_context: async Beast operations run to completion with a deadline (beast::tcp_stream
// timeouts), so a blocking caller still never hangs and stop() can abort it from another thread.
#include "init/kube/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <limits>
#include <mutex>
#include <set>

#include "init/kube/token.hpp"

namespace nfegress::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Client::Impl {
  Config cfg;
  Timeouts timeouts;
  ssl::context ctx{ssl::context::tls_client};
  TokenSource token;
  std::mutex mu;
  std::set<asio::io_context*> active;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> sent{0};

  explicit Impl(const Config& c, const Timeouts& t) : cfg(c), timeouts(t), token(c.token, c.token_file) {}
};

namespace {

constexpr std::uint64_t kMaxResponseBytes = 256u << 20;  // a list larger than this is not a policy
constexpr std::size_t kMaxLineBytes = 16u << 20;         // one watch event

std::string host_header(const Config& c) {
  const bool v6 = c.host.find(':') != std::string::npos;
  return (v6 ? "[" + c.host + "]" : c.host) + ":" + c.port;
}

// One connection: connect, TLS handshake with verification, one request.
class Conn {
  // Completion handler of the one pending operation (called from ioc_.run() in wait()).
  auto handler() {
    done_ = false;
    ec_ = {};
    return [this](beast::error_code ec, auto&&...) { done(ec); };
  }

 public:
  explicit Conn(Client::Impl& c) : c_(c), s_(ioc_, c.ctx) {
    std::lock_guard lock(c_.mu);
    c_.active.insert(&ioc_);
  }
  ~Conn() {
    std::lock_guard lock(c_.mu);
    c_.active.erase(&ioc_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool open(Error& error) {
    const auto& cfg = c_.cfg;
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(cfg.host, cfg.port, [this, &endpoints](beast::error_code ec, tcp::resolver::results_type r) {
      endpoints = std::move(r);
      done(ec);
    });
    if (!wait(error, "resolve")) return false;
    beast::get_lowest_layer(s_).expires_after(c_.timeouts.connect);
    beast::get_lowest_layer(s_).async_connect(endpoints, handler());
    if (!wait(error, "connect")) return false;

    SSL* ssl = s_.native_handle();
    const std::string& name = cfg.tls_server_name.empty() ? cfg.host : cfg.tls_server_name;
    beast::error_code ip_ec;
    asio::ip::make_address(name, ip_ec);
    if (!ip_ec) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, name.c_str());
      SSL_set1_host(ssl, name.c_str());
    }
    s_.set_verify_mode(ssl::verify_peer);
    beast::get_lowest_layer(s_).expires_after(c_.timeouts.connect);
    s_.async_handshake(ssl::stream_base::client, handler());
    if (!wait(error, "TLS handshake")) {
      const long v = SSL_get_verify_result(ssl);
      if (v != X509_V_OK) {
        error.transient = false;
        error.message = "TLS: certificate of " + c_.cfg.server() + " refused: " + X509_verify_cert_error_string(v) +
                        " (trusted CA from " + c_.cfg.origin + ")";
      }
      return false;
    }
    return true;
  }

  bool send(const std::string& target, const std::string& token, Error& error) {
    http::request<http::empty_body> req{http::verb::get, c_.cfg.base_path + target, 11};
    req.set(http::field::host, host_header(c_.cfg));
    req.set(http::field::user_agent, "nfegress");
    req.set(http::field::accept, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    beast::get_lowest_layer(s_).expires_after(c_.timeouts.request);
    http::async_write(s_, req, handler());
    ++c_.sent;
    return wait(error, "send request");
  }

  // Reads a whole response.
  bool read(Response& out, Error& error) {
    http::response_parser<http::string_body> p;
    p.body_limit(kMaxResponseBytes);
    beast::get_lowest_layer(s_).expires_after(c_.timeouts.request);
    http::async_read(s_, buf_, p, handler());
    if (!wait(error, "read response")) return false;
    out.status = p.get().result_int();
    out.body = std::move(p.get().body());
    return true;
  }

  // Reads the header; on 200 feeds the body line by line, otherwise returns the body.
  bool read_stream(unsigned& status, std::string& body, const std::function<bool(std::string_view)>& on_line,
                   Error& error) {
    http::response_parser<http::buffer_body> p;
    p.body_limit((std::numeric_limits<std::uint64_t>::max)());
    beast::get_lowest_layer(s_).expires_after(c_.timeouts.request);
    http::async_read_header(s_, buf_, p, handler());
    if (!wait(error, "read response header")) return false;
    status = p.get().result_int();
    if (status != 200) {
      http::response_parser<http::string_body> rest{std::move(p)};
      rest.body_limit(kMaxLineBytes);
      beast::get_lowest_layer(s_).expires_after(c_.timeouts.request);
      http::async_read(s_, buf_, rest, handler());
      if (wait(error, "read response")) body = std::move(rest.get().body());
      return true;
    }
    std::string pending;
    char chunk[16384];
    while (!p.is_done()) {
      p.get().body().data = chunk;
      p.get().body().size = sizeof chunk;
      beast::get_lowest_layer(s_).expires_after(c_.timeouts.idle);
      http::async_read_some(s_, buf_, p, handler());  // returns with what arrived (async_read waits for a full buffer)
      const bool ok = wait(error, "read watch stream");
      pending.append(chunk, sizeof chunk - p.get().body().size);
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        const std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (!line.empty() && !on_line(line)) return true;
      }
      if (!ok) return false;
      if (pending.size() > kMaxLineBytes) {
        error = {false, "watch event larger than 16 MiB"};
        return false;
      }
    }
    if (!pending.empty()) on_line(pending);
    return true;
  }

 private:
  void done(beast::error_code ec) {
    ec_ = ec;
    done_ = true;
  }
  // Runs the pending operation to completion (or deadline, or stop()).
  bool wait(Error& error, const char* what) {
    ioc_.restart();
    if (!c_.stopping) ioc_.run();
    if (ec_ == http::error::need_buffer) ec_ = {};
    if (!done_ || c_.stopping) {
      error = {false, "stopped"};
      return false;
    }
    if (!ec_) return true;
    error.transient = true;
    error.message = std::string(what) + " " + c_.cfg.server() + ": " + ec_.message();
    return false;
  }

  Client::Impl& c_;
  asio::io_context ioc_;
  beast::ssl_stream<beast::tcp_stream> s_;
  beast::flat_buffer buf_;
  beast::error_code ec_;
  bool done_ = false;
};

bool transient_status(unsigned s) { return s == 429 || s >= 500; }

}  // namespace

std::unique_ptr<Client> Client::create(const Config& config, const Timeouts& timeouts, std::string& error) {
  auto impl = std::make_unique<Impl>(config, timeouts);
  beast::error_code ec;
  impl->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  impl->ctx.add_certificate_authority(asio::buffer(config.ca_pem), ec);
  if (ec) {
    error = "CA bundle from " + config.origin + ": " + ec.message();
    return nullptr;
  }
  if (!config.client_cert_pem.empty() || !config.client_key_pem.empty()) {
    impl->ctx.use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (!ec) impl->ctx.use_private_key(asio::buffer(config.client_key_pem), ssl::context::pem, ec);
    if (ec) {
      error = "client certificate from " + config.origin + ": " + ec.message();
      return nullptr;
    }
  }
  std::string token_error;
  if (!impl->token.get(false, token_error)) {
    error = token_error;
    return nullptr;
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

bool Client::get(const std::string& target, Response& out, Error& error) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string token_error;
    const auto token = impl_->token.get(attempt > 0, token_error);
    if (!token) {
      error = {true, token_error};
      return false;
    }
    Conn c(*impl_);
    if (!c.open(error) || !c.send(target, *token, error) || !c.read(out, error)) return false;
    if (out.status == 401 && attempt == 0 && impl_->token.from_file()) continue;  // rotated: re-read once
    break;
  }
  error = {transient_status(out.status), ""};
  return true;
}

bool Client::stream(const std::string& target, unsigned& status, std::string& body,
                    const std::function<bool(std::string_view)>& on_line, Error& error) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string token_error;
    const auto token = impl_->token.get(attempt > 0, token_error);
    if (!token) {
      error = {true, token_error};
      return false;
    }
    Conn c(*impl_);
    if (!c.open(error) || !c.send(target, *token, error)) return false;
    if (!c.read_stream(status, body, on_line, error)) return false;
    if (status == 401 && attempt == 0 && impl_->token.from_file()) continue;
    break;
  }
  error = {transient_status(status), ""};
  return true;
}

void Client::stop() {
  impl_->stopping = true;
  std::lock_guard lock(impl_->mu);
  for (auto* ioc : impl_->active) ioc->stop();
}

bool Client::stopped() const { return impl_->stopping; }
const Config& Client::config() const { return impl_->cfg; }
std::size_t Client::requests_sent() const { return impl_->sent; }

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace nfegress::kube
