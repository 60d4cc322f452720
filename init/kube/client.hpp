// init/kube/client.hpp — layer: I/O (HTTPS to the Kubernetes API server). Read-only by construction: the only
// requests it can make are GETs. Verifies the server certificate against the configured CA and the host name (or
// IP), sends the bearer token (re-read from its file when the file changes, and once more after a 401). Every
// operation has a timeout and can be aborted from another thread with stop(). No policy knowledge here.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "init/kube/config.hpp"

namespace nfegress::kube {

struct Timeouts {
  std::chrono::milliseconds connect{5000};  // TCP connect + TLS handshake
  std::chrono::milliseconds request{30000}; // a whole non-streaming response
  std::chrono::milliseconds idle{330000};   // silence on a watch stream (server ends watches itself before)
};

// How a request failed. Transient failures (connection refused, timeout, 5xx, 429) are worth retrying; a refused
// certificate, 401 after re-reading the token, or 403 are not.
struct Error {
  bool transient = false;
  std::string message;
};

struct Response {
  unsigned status = 0;
  std::string body;
};

class Client {
 public:
  // Fails (error set) when the CA bundle or client credentials cannot be loaded.
  static std::unique_ptr<Client> create(const Config& config, const Timeouts& timeouts, std::string& error);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET `target` ("/apis/...?..."); any HTTP status is a success here (the caller decides). On 401 the token is
  // re-read and the request repeated once. Returns false on transport/TLS failure or abort.
  bool get(const std::string& target, Response& out, Error& error);

  // Streaming GET: after a 200 header, calls on_line for every newline-terminated line of the body until the
  // server ends the response, on_line returns false, or stop(). A non-200 status is returned in `status` with the
  // body in `body` (on_line not called). Returns false on transport failure or abort.
  bool stream(const std::string& target, unsigned& status, std::string& body,
              const std::function<bool(std::string_view)>& on_line, Error& error);

  // Aborts every operation in flight and every later one (thread-safe).
  void stop();
  bool stopped() const;

  const Config& config() const;
  std::size_t requests_sent() const;  // for tests and metrics

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace nfegress::kube
