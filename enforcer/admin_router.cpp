// enforcer/admin_router.cpp — layer: operations (pure). The admin endpoints' routing and the --admin-addr
// parser; admin_server.cpp only moves bytes. See admin_server.hpp.
#include <boost/asio/ip/address.hpp>
#include <charconv>

#include "enforcer/admin_server.hpp"

namespace nfegress::enforcer {

AdminResponse route_admin_request(std::string_view method, std::string_view target, const AdminHandlers& h) {
  AdminResponse r;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool known = path == "/metrics" || path == "/ready" || path == "/live";
  if (!known) {
    r.status = 404;
    r.body = "not found\n";
    return r;
  }
  if (method != "GET" && method != "HEAD") {
    r.status = 405;
    r.allow = "GET, HEAD";
    r.body = "method not allowed\n";
    return r;
  }
  if (path == "/metrics") {
    r.content_type = kMetricsContentType;
    r.body = h.metrics ? h.metrics() : std::string();
  } else if (path == "/ready") {
    const bool ready = h.ready && h.ready();
    r.status = ready ? 200 : 503;
    r.body = ready ? "ready\n" : "not ready: no policy applied yet\n";
  } else {
    r.body = "live\n";
  }
  return r;
}

std::optional<boost::asio::ip::tcp::endpoint> parse_admin_addr(std::string_view text, std::string& error) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "admin address \"" + std::string(text) + "\": expected [IPV6]:PORT";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      error = "admin address \"" + std::string(text) + "\": expected IP:PORT or [IPV6]:PORT";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p > 65535) {
    error = "admin address \"" + std::string(text) + "\": bad port \"" + std::string(port) + "\"";
    return std::nullopt;
  }
  boost::system::error_code aec;
  const auto addr = boost::asio::ip::make_address(std::string(host), aec);
  if (aec || (text.starts_with('[') && !addr.is_v6())) {
    error = "admin address \"" + std::string(text) + "\": \"" + std::string(host) + "\" is not an IP address";
    return std::nullopt;
  }
  return boost::asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(p));
}

}  // namespace nfegress::enforcer
