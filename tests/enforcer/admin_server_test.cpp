// tests/enforcer/admin_server_test.cpp — the admin endpoints: pure routing, --admin-addr parsing, and the Beast
// server on 127.0.0.1 with an ephemeral port, driven by a Beast client (status codes, content type, keep-alive,
// size bound, idle timeout).
#include "enforcer/admin_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace nfegress::enforcer {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TEST(AdminRouter, Endpoints) {
  bool ready = false;
  AdminHandlers h{[] { return std::string("m 1\n"); }, [&] { return ready; }};
  auto r = route_admin_request("GET", "/metrics", h);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "m 1\n");
  EXPECT_EQ(route_admin_request("GET", "/ready", h).status, 503u);
  ready = true;
  EXPECT_EQ(route_admin_request("GET", "/ready?verbose", h).status, 200u);
  EXPECT_EQ(route_admin_request("HEAD", "/live", h).status, 200u);
  EXPECT_EQ(route_admin_request("GET", "/", h).status, 404u);
  auto post = route_admin_request("POST", "/metrics", h);
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.allow, "GET, HEAD");
}

TEST(AdminRouter, ParseAddr) {
  std::string err;
  auto a = parse_admin_addr("127.0.0.1:4191", err);
  ASSERT_TRUE(a) << err;
  EXPECT_EQ(a->address().to_string(), "127.0.0.1");
  EXPECT_EQ(a->port(), 4191);
  auto b = parse_admin_addr("[::1]:9", err);
  ASSERT_TRUE(b) << err;
  EXPECT_TRUE(b->address().is_v6());
  for (const char* bad : {"localhost:4191", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "::1:4191", "[::1]4191",
                          "[127.0.0.1]:1", "1.2.3.4:12x"}) {
    err.clear();
    EXPECT_FALSE(parse_admin_addr(bad, err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AdminHandlers h{[] { return std::string("nfegress_reloads_total 1\n"); }, [this] { return ready.load(); }};
    AdminLimits limits;
    limits.max_request_bytes = 1024;
    limits.timeout = std::chrono::milliseconds(300);
    std::string err;
    server = AdminServer::start(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), h, limits, err);
    ASSERT_TRUE(server) << err;
    at = server->local_endpoint();
    ASSERT_NE(at.port(), 0);
    runner = std::thread([this] { ioc.run(); });
  }
  void TearDown() override {
    if (server) server->stop();
    ioc.stop();
    if (runner.joinable()) runner.join();
  }

  tcp::socket connect() {
    tcp::socket s(client_ioc);
    s.connect(at);
    return s;
  }
  http::response<http::string_body> get(tcp::socket& s, http::verb verb, const std::string& target,
                                        bool keep_alive = true) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    req.prepare_payload();
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
  }

  asio::io_context ioc;
  asio::io_context client_ioc;
  std::unique_ptr<AdminServer> server;
  tcp::endpoint at;
  std::thread runner;
  std::atomic<bool> ready{false};
  beast::flat_buffer buf;
};

TEST_F(AdminServerTest, EndpointsOverOneKeepAliveConnection) {
  auto s = connect();
  auto m = get(s, http::verb::get, "/metrics");
  EXPECT_EQ(m.result_int(), 200u);
  EXPECT_EQ(m[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(m.body(), "nfegress_reloads_total 1\n");
  EXPECT_TRUE(m.keep_alive());
  EXPECT_EQ(get(s, http::verb::get, "/ready").result_int(), 503u);
  ready = true;
  EXPECT_EQ(get(s, http::verb::get, "/ready").result_int(), 200u);
  EXPECT_EQ(get(s, http::verb::get, "/live").result_int(), 200u);
  EXPECT_EQ(get(s, http::verb::get, "/nope").result_int(), 404u);
  auto post = get(s, http::verb::post, "/metrics");
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
  // Connection: close is honoured: the server closes after the answer.
  auto last = get(s, http::verb::get, "/live", false);
  EXPECT_EQ(last.result_int(), 200u);
  beast::error_code ec;
  char byte;
  asio::read(s, asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(AdminServerTest, OversizeRequestIsRefused) {
  auto s = connect();
  http::request<http::string_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set("X-Padding", std::string(4096, 'a'));
  http::write(s, req);
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(s, buf, res, ec);
  if (!ec) {
    EXPECT_EQ(res.result_int(), 431u);
    EXPECT_FALSE(res.keep_alive());
  }  // else: the server closed before the client read the answer, also a refusal
  char byte;
  asio::read(s, asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);
}

TEST_F(AdminServerTest, IdleConnectionIsClosedAfterTheTimeout) {
  auto s = connect();
  const auto t0 = std::chrono::steady_clock::now();
  asio::write(s, asio::buffer(std::string("GET /metr")));  // an incomplete request, then silence
  beast::error_code ec;
  char byte;
  asio::read(s, asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(AdminServerTest, BindConflictIsAnErrorWithAnAddress) {
  std::string err;
  auto second = AdminServer::start(ioc, at, {}, {}, err);
  // SO_REUSEADDR does not allow two listeners on one port.
  EXPECT_FALSE(second);
  EXPECT_NE(err.find("127.0.0.1:" + std::to_string(at.port())), std::string::npos) << err;
}

}  // namespace
}  // namespace nfegress::enforcer
