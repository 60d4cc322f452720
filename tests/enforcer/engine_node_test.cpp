// tests/enforcer/engine_node_test.cpp — node and gateway mode in the pure engine: a queued flow is decided by its
// client's policy, found by the packet's source address (ClientPolicies), and logged with the client's
// namespace; a source that is no client's is denied; a swap keeps unchanged plans' compiled matchers.
#include <gtest/gtest.h>

#include "enforcer/client_policies.hpp"
#include "enforcer/engine.hpp"
#include "enforcer/reload.hpp"
#include "flow_builder.hpp"
#include "policy/load.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using V = nfq::Verdict;

policy::ResourceSet fixture() {
  auto r = policy::load_paths({std::string(NFEGRESS_SOURCE_DIR) + "/tests/data/policies/node-namespaces.yaml"});
  EXPECT_FALSE(policy::has_errors(r.diagnostics));
  return r.resources;
}

std::shared_ptr<const ClientPolicies> client_policies(std::vector<const char*> specs,
                                                      const ClientPolicies* previous = nullptr) {
  std::vector<policy::Client> cs;
  std::vector<std::string> nss;
  std::string err;
  for (const char* s : specs) {
    cs.push_back(*policy::parse_client(s, "test", err));
    nss.push_back(cs.back().ns);
  }
  EXPECT_TRUE(policy::normalize_clients(cs).empty());
  policy::KernelOptions k;
  return std::make_shared<const ClientPolicies>(policy::plans_by_client(fixture(), nss, {}, k), cs, k, previous);
}

class NodeEngineTest : public ::testing::Test {
 protected:
  Counters c;
  std::unique_ptr<Engine> engine;
  std::vector<DecisionRecord> records;
  std::vector<VerdictOut> out;
  std::vector<Bytes> keep;
  std::uint32_t next_id = 1;
  Clock::time_point t0 = Clock::time_point{} + 1000s;

  void SetUp() override {
    auto cp = client_policies({"192.0.2.0/28=team-a", "192.0.2.20=team-c", "192.0.2.21=team-b"});
    engine = std::make_unique<Engine>(cp->fallback, "", EngineLimits{}, c);
    engine->set_clients(cp);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
  }
  // A whole HTTP request from `src` to 203.0.113.10:port; returns its packet id.
  std::uint32_t request(const char* src, std::uint16_t port, std::string_view path, std::uint16_t sport = 40000) {
    const std::string req = "GET " + std::string(path) + " HTTP/1.1\r\nHost: allowed.example\r\n\r\n";
    keep.push_back(test::tcp(src, sport, "203.0.113.10", port).seq(1001).ack(1).payload(req).bytes());
    engine->on_packet(QueuedPacket{100, next_id, 0, false, testing::span_of(keep.back())}, t0, out);
    return next_id++;
  }
  V verdict_of(std::uint32_t id) {
    for (const auto& v : out)
      if (v.id == id) return v.verdict;
    ADD_FAILURE() << "no verdict for " << id;
    return V::Drop;
  }
};

TEST_F(NodeEngineTest, EachFlowIsDecidedByItsClientsPolicy) {
  // team-c sees the global HTTPRoute (GET allowed.example/get on 80): inspected, allowed, denied by path.
  EXPECT_EQ(verdict_of(request("192.0.2.20", 80, "/get", 40000)), V::Accept);
  EXPECT_EQ(verdict_of(request("192.0.2.20", 80, "/post", 40001)), V::Repeat);
  // team-b: the same global route (plus its own TCP 9000).
  EXPECT_EQ(verdict_of(request("192.0.2.21", 80, "/get", 40002)), V::Accept);
  // team-a: its own EgressNetwork captures 203.0.113.0/24 and has no route on 80: denied without inspection.
  EXPECT_EQ(verdict_of(request("192.0.2.5", 80, "/get", 40003)), V::Repeat);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].client_ns, "team-c");
  EXPECT_EQ(records[1].client_ns, "team-c");
  EXPECT_EQ(records[2].client_ns, "team-b");
  EXPECT_EQ(records[3].client_ns, "team-a");
  EXPECT_EQ(c.flows_allowed, 2u);
  EXPECT_EQ(c.flows_denied, 2u);
}

TEST_F(NodeEngineTest, NoClientsSourceIsDenied) {
  EXPECT_EQ(verdict_of(request("192.0.2.99", 80, "/get")), V::Repeat);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].client_ns, "");
  EXPECT_NE(records[0].reason.find("no client's"), std::string::npos) << records[0].reason;
}

// A swap reaches open keep-alive connections (Engine::set_policy's rule), in node mode by the connection's client:
// a client that is gone keeps the policy it had — never the fallback, which captures nothing and would allow.
TEST_F(NodeEngineTest, OpenConnectionOfARemovedClientKeepsItsPolicy) {
  const std::string get = "GET /get HTTP/1.1\r\nHost: allowed.example\r\n\r\n";
  keep.push_back(test::tcp("192.0.2.20", 40100, "203.0.113.10", 80).seq(1001).ack(1).payload(get).bytes());
  engine->on_packet(QueuedPacket{100, next_id, 0, false, testing::span_of(keep.back())}, t0, out);
  EXPECT_EQ(verdict_of(next_id++), V::Accept);
  engine->set_clients(client_policies({"192.0.2.21=team-b"}, engine->clients().get()));
  const std::string post = "GET /post HTTP/1.1\r\nHost: allowed.example\r\n\r\n";
  keep.push_back(test::tcp("192.0.2.20", 40100, "203.0.113.10", 80)
                     .seq(1001 + static_cast<std::uint32_t>(get.size())).ack(1).payload(post).bytes());
  engine->on_packet(QueuedPacket{100, next_id, 0, false, testing::span_of(keep.back())}, t0, out);
  EXPECT_EQ(verdict_of(next_id++), V::Repeat);  // still team-c's route: /post denied
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].client_ns, "team-c");
}

TEST_F(NodeEngineTest, ClientMovedToAnotherNamespaceIsJudgedByItsNewPolicy) {
  auto before = engine->clients();
  engine->set_clients(client_policies({"192.0.2.0/28=team-c", "192.0.2.20=team-c", "192.0.2.21=team-b"},
                                      before.get()));
  EXPECT_EQ(verdict_of(request("192.0.2.5", 80, "/get")), V::Accept);  // now team-c
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].client_ns, "team-c");
  // The plans that did not change keep their compiled matcher.
  EXPECT_EQ(engine->clients()->by_plan.at("global"), before->by_plan.at("global"));
  EXPECT_EQ(engine->clients()->by_plan.at("ns_team-b"), before->by_plan.at("ns_team-b"));
  EXPECT_EQ(engine->clients()->by_plan.count("ns_team-a"), 0u);
}

}  // namespace
}  // namespace nfegress::enforcer

namespace nfegress::enforcer {
namespace {

// prepare_policy's node half: a client change with the same input compiles nothing (plans cached by key, matchers
// kept), the table differs by the client map only; a namespace of its own arriving compiles just its plan.
TEST(NodePrepare, ClientChangesReuseCompiledPlans) {
  auto input = policy::load_paths({std::string(NFEGRESS_SOURCE_DIR) + "/tests/data/policies/node-namespaces.yaml"});
  std::vector<policy::Client> clients;
  std::string err;
  clients.push_back(*policy::parse_client("192.0.2.20=team-c", "t", err));
  ReloadConfig cfg;
  cfg.clients = [&clients] { return clients; };
  cfg.node_cache = std::make_shared<NodeCache>();
  const PreparedPolicy a = prepare_policy(cfg, input);
  ASSERT_TRUE(a.errors.empty());
  ASSERT_TRUE(a.clients && a.desired);
  EXPECT_EQ(cfg.node_cache->by_key.size(), 1u);
  clients.push_back(*policy::parse_client("192.0.2.21=team-d", "t", err));  // same plan (global)
  const PreparedPolicy b = prepare_policy(cfg, input);
  EXPECT_EQ(cfg.node_cache->by_key.size(), 1u);
  EXPECT_EQ(b.clients->by_plan.at("global"), a.clients->by_plan.at("global"));  // the same compiled matcher
  netfilter::UpdateSummary s;
  netfilter::update_batch(*a.desired, *b.desired, 1, true, &s);
  EXPECT_EQ(s.elements_added, 1u);
  EXPECT_EQ(s.chains_added + s.sets_added + s.chains_rewritten, 0u);
  clients.push_back(*policy::parse_client("192.0.2.22=team-a", "t", err));  // a plan of its own
  const PreparedPolicy c = prepare_policy(cfg, input);
  EXPECT_EQ(cfg.node_cache->by_key.size(), 2u);
  EXPECT_EQ(c.clients->by_plan.at("global"), a.clients->by_plan.at("global"));
  EXPECT_EQ(c.clients->find(*policy::parse_ip("192.0.2.22")).policy, c.clients->by_plan.at("ns_team-a"));
  input.resources.networks.pop_back();  // team-a/partners goes: the cache starts over, team-a shares `global`
  const PreparedPolicy d = prepare_policy(cfg, input);
  EXPECT_EQ(cfg.node_cache->by_key.size(), 1u);
  EXPECT_EQ(d.clients->by_plan.size(), 1u);
  EXPECT_EQ(d.clients->find(*policy::parse_ip("192.0.2.22")).policy, d.clients->by_plan.at("global"));
}

}  // namespace
}  // namespace nfegress::enforcer
