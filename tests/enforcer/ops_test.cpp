// tests/enforcer/ops_test.cpp — the operations wiring with a fake kernel: /ready flips after the first reload,
// /metrics counts reloads and the runtime's counters, a decision becomes one JSON line and Linkerd metrics, and
// a bad --admin-addr is an error.
#include "enforcer/ops.hpp"

#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "reload_fixtures.hpp"

namespace nfegress::enforcer {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpsConfig cfg;
    cfg.admin_addr = "127.0.0.1:0";
    cfg.reload.client_ns = "app";
    cfg.reload.load = [] { return testing::load(testing::manifest("203.0.113.0/25")); };
    std::string err;
    ops = Operations::start(io, cfg, std::make_unique<testing::FakeKernel>(), [this](auto) { ++handoffs; },
                            decisions, log, err);
    ASSERT_TRUE(ops) << err;
    runner = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    if (ops) asio::post(io, [this] { ops->stop(); });
    work.reset();
    io.stop();
    runner.join();
  }
  // Runs `f` on the io_context thread and waits for it.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }
  http::response<http::string_body> get(const std::string& target) {
    asio::io_context cio;
    tcp::socket s(cio);
    s.connect(ops->admin()->local_endpoint());
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
  }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::unique_ptr<Operations> ops;
  std::ostringstream decisions;
  std::ostringstream log;
  int handoffs = 0;
  std::thread runner;
};

TEST_F(OpsTest, ReadyAfterTheFirstReloadAndMetricsServed) {
  EXPECT_EQ(get("/ready").result_int(), 503u);
  EXPECT_EQ(get("/live").result_int(), 200u);
  EXPECT_TRUE(on_io([this] { return ops->reloader().reload("start").applied; }));
  EXPECT_EQ(handoffs, 1);
  EXPECT_EQ(get("/ready").result_int(), 200u);

  Counters runtime;
  runtime.flows_allowed = 7;
  on_io([&] {
    ops->attach(&runtime);
    return 0;
  });
  const auto m = get("/metrics");
  EXPECT_EQ(m.result_int(), 200u);
  EXPECT_NE(m.body().find("nfegress_reloads_total 1\n"), std::string::npos) << m.body();
  EXPECT_NE(m.body().find("nfegress_flows_decided_total{verdict=\"allow\"} 7\n"), std::string::npos);
  on_io([&] {
    ops->attach(nullptr);
    return 0;
  });
}

TEST_F(OpsTest, DecisionIsLoggedAndCounted) {
  ASSERT_TRUE(on_io([this] { return ops->reloader().reload("start").applied; }));
  DecisionRecord r;
  r.dst = *policy::parse_ip("203.0.113.10");
  r.dport = 443;
  r.client_ns = "app";
  r.network = "app/web";
  r.protocol = "tls";
  r.host = "example.org";
  r.route = policy::RouteRef{"TLSRoute", "app", "tls", false};
  r.verdict = FlowVerdict::Allow;
  on_io([&] {
    ops->decision_callback()(r);
    return 0;
  });
  const auto j = nlohmann::json::parse(decisions.str());
  EXPECT_EQ(j["dst"], "203.0.113.10:443");
  EXPECT_EQ(j["route"], "TLSRoute app/tls");
  EXPECT_NE(get("/metrics").body().find("route_group=\"gateway.networking.k8s.io\",route_kind=\"TLSRoute\","
                                        "route_namespace=\"app\",route_name=\"tls\",hostname=\"\"} 1\n"),
            std::string::npos);
}

TEST(OpsStart, BadAdminAddressIsAnError) {
  asio::io_context io;
  OpsConfig cfg;
  cfg.admin_addr = "localhost:4191";
  std::ostringstream out;
  std::string err;
  auto ops = Operations::start(io, cfg, std::make_unique<testing::FakeKernel>(), nullptr, out, out, err);
  EXPECT_FALSE(ops);
  EXPECT_NE(err.find("localhost:4191"), std::string::npos) << err;
}

}  // namespace
}  // namespace nfegress::enforcer
