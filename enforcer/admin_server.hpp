// enforcer/admin_server.hpp — layer: operations (thin I/O around a pure router). The admin HTTP/1.1 server
// (Boost.Beast on the io_context the enforcer runs): GET /metrics (Prometheus text 0.0.4), /ready (200 once the
// first policy is applied, else 503), /live (200). Requests are bounded in size and time; keep-alive is honoured;
// other paths get 404 and other methods 405.
// Must not: decide policy, block the io_context, serve anything but these three read-only endpoints.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace nfegress::enforcer {

// What the endpoints read. Both are called on the io_context's thread(s); they must be cheap and thread-safe.
struct AdminHandlers {
  std::function<std::string()> metrics;  // the exposition text
  std::function<bool()> ready;           // true once the first policy is applied
};

struct AdminLimits {
  std::size_t max_request_bytes = 8192;            // request line + headers + body
  std::chrono::milliseconds timeout{10000};        // per read or write, idle keep-alive included
  std::size_t max_connections = 64;                // further connections are closed at once
};

// The pure part: method + target -> status, content type, body, and the Allow header for 405.
struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // set for 405
};
AdminResponse route_admin_request(std::string_view method, std::string_view target, const AdminHandlers& h);

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char* kDefaultAdminAddr = "127.0.0.1:4191";

// "127.0.0.1:4191", "[::1]:4191", "0.0.0.0:4191". An IP literal, never a name (no resolver on this path).
std::optional<boost::asio::ip::tcp::endpoint> parse_admin_addr(std::string_view text, std::string& error);

class AdminServer {
 public:
  // Binds and starts accepting on `ioc`. nullopt + `error` ("bind 127.0.0.1:4191: Address already in use").
  static std::unique_ptr<AdminServer> start(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& at,
                                            AdminHandlers handlers, AdminLimits limits, std::string& error);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;  // the bound port (useful with port 0)
  void stop();                                            // stops accepting; open sessions end on their own

 private:
  struct Impl;
  explicit AdminServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace nfegress::enforcer
