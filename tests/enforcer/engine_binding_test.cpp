// tests/enforcer/engine_binding_test.cpp — issue 17 in the pure engine: a flow a hostname allowed goes only to an
// address its name resolved to. Real ClientHellos (curl's SNI curl.tls.example), HTTP keep-alive requests bound
// per request, resolve-on-miss holding the flow until the answer (or its absence) is in, strict mode, the reasons
// the decision log prints, and the grace a bound connection keeps after its binding expired.
#include <gtest/gtest.h>

#include "enforcer/decision_log.hpp"
#include "enforcer/engine.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"
#include "h2_test_frames.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using V = nfq::Verdict;

// The engine policy plus an HTTPRoute with hostnames on 8080 (HTTPRoute `get-only` on 80 has none).
constexpr const char* kPolicy = R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec: {trafficPolicy: Deny}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: tls-ok, namespace: linkerd-egress}
spec:
  hostnames: [curl.tls.example]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 443}]
  rules: [{backendRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: linkerd-egress}
spec:
  hostnames: [api.example, api2.example, "*.wild.example"]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 8080}]
  rules: [{matches: [{path: {type: PathPrefix, value: /}}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: get-only, namespace: linkerd-egress}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 80}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /get}}]
)";

constexpr const char* kServer = "203.0.113.10";

class EngineBindingTest : public ::testing::Test {
 protected:
  Counters c;
  NameBindings bindings;
  std::unique_ptr<Engine> engine;
  std::vector<DecisionRecord> records;
  std::vector<std::string> resolves;
  std::vector<VerdictOut> out;
  Clock::time_point t0 = Clock::time_point{} + 1000s;
  std::uint32_t next_id = 1;
  std::vector<Bytes> keep;

  void start(BindingMode mode) {
    engine = std::make_unique<Engine>(test::compile_engine_policy(kPolicy), "app", EngineLimits{}, c);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
    engine->set_name_binding(mode, &bindings, [this](const std::string& n) { resolves.push_back(n); });
  }
  void learn(const std::string& name, std::vector<std::string> addrs, std::uint32_t ttl = 300,
             Clock::duration at = 0s) {
    dns::Answer a;
    a.names = {name};
    for (const auto& s : addrs) a.addrs.push_back(*policy::parse_ip(s));
    a.ttl = ttl;
    bindings.learn(a, t0 + at);
  }
  std::uint32_t send(const test::TcpBuilder& b, Clock::duration at = 0s) {
    keep.push_back(b.bytes());
    QueuedPacket q{100, next_id, 0, false, testing::span_of(keep.back())};
    engine->on_packet(q, t0 + at, out);
    return next_id++;
  }
  static Bytes curl_hello() {
    for (auto& f : testing::flights("tls"))
      if (f.file == "curl.tls.bin") return f.bytes;
    ADD_FAILURE() << "no curl.tls.bin";
    return {};
  }
  std::uint32_t hello_to(const char* dst, std::uint16_t sport = 40000) {
    return send(test::tcp("192.0.2.1", sport, dst, 443).seq(1).ack(1).payload(curl_hello()));
  }
  // The one verdict for `id` in `out` (fails when there is none).
  VerdictOut verdict_of(std::uint32_t id) const {
    for (const auto& v : out)
      if (v.id == id) return v;
    ADD_FAILURE() << "no verdict for packet " << id;
    return {};
  }
};

TEST_F(EngineBindingTest, SniToAnAddressItsNameResolvedToIsAllowed) {
  start(BindingMode::Strict);
  learn("curl.tls.example", {"203.0.113.7", kServer});
  const auto id = hello_to(kServer);
  const auto v = verdict_of(id);
  EXPECT_EQ(v.verdict, V::Accept);
  ASSERT_TRUE(v.ct.has_value());  // the flow is allowed as a whole
  EXPECT_EQ(c.binding_bound, 1u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Allow);
}

TEST_F(EngineBindingTest, SameSniToAnotherAddressIsDeniedAndTheReasonSaysWhatItResolvedTo) {
  start(BindingMode::Strict);
  learn("curl.tls.example", {"203.0.113.7", "203.0.113.8"});
  const auto id = hello_to("203.0.113.99");  // an attacker's host in the same Deny network
  EXPECT_EQ(verdict_of(id).verdict, V::Repeat);  // DENY mark: reset, the server gets nothing
  EXPECT_EQ(c.binding_denied, 1u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_EQ(records[0].reason,
            "binding: SNI curl.tls.example does not resolve to 203.0.113.99 (resolved: 203.0.113.7, 203.0.113.8)");
  ASSERT_TRUE(records[0].route.has_value());  // the route that matched is still named
  EXPECT_EQ(records[0].route->name, "tls-ok");
}

TEST_F(EngineBindingTest, StrictWithoutAnAnswerDenies) {
  start(BindingMode::Strict);
  const auto id = hello_to(kServer);
  EXPECT_EQ(verdict_of(id).verdict, V::Repeat);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].reason.find("no DNS answer seen for SNI curl.tls.example"), std::string::npos)
      << records[0].reason;
  EXPECT_TRUE(resolves.empty());
}

TEST_F(EngineBindingTest, ResolveModeHoldsTheFlowUntilTheAnswerThenAllows) {
  start(BindingMode::Resolve);
  const auto id = hello_to(kServer);
  EXPECT_TRUE(out.empty());  // held: no verdict yet
  EXPECT_TRUE(records.empty());
  ASSERT_EQ(resolves, std::vector<std::string>{"curl.tls.example"});
  learn("curl.tls.example", {kServer});
  engine->on_resolved("curl.tls.example", t0 + 20ms, out);
  const auto v = verdict_of(id);
  EXPECT_EQ(v.verdict, V::Accept);
  EXPECT_TRUE(v.ct.has_value());
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineBindingTest, ResolveModeDeniesWhenTheAnswerNamesOtherAddresses) {
  start(BindingMode::Resolve);
  const auto id = hello_to("203.0.113.99");
  learn("curl.tls.example", {kServer});
  engine->on_resolved("curl.tls.example", t0 + 20ms, out);
  EXPECT_EQ(verdict_of(id).verdict, V::Repeat);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].reason,
            "binding: SNI curl.tls.example does not resolve to 203.0.113.99 (resolved: 203.0.113.10)");
}

TEST_F(EngineBindingTest, ResolveModeDeniesWhenTheLookupGaveNothing) {
  start(BindingMode::Resolve);
  const auto id = hello_to(kServer);
  engine->on_resolved("curl.tls.example", t0 + 2s, out);  // the resolver's bound passed without an answer
  EXPECT_EQ(verdict_of(id).verdict, V::Repeat);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_NE(records[0].reason.find("resolved on a miss: no address"), std::string::npos) << records[0].reason;
}

TEST_F(EngineBindingTest, ResolveModeKeepsTheFlowsTimeoutBound) {
  start(BindingMode::Resolve);
  const auto id = hello_to(kServer);
  engine->expire(t0 + 6s, out);  // no answer at all, not even a failure: the engine's own 5 s bound denies
  EXPECT_EQ(verdict_of(id).verdict, V::Repeat);
  EXPECT_EQ(c.bound_timeout, 1u);
}

TEST_F(EngineBindingTest, RoutesWithoutHostnamesAndDenialsAreNotBound) {
  start(BindingMode::Strict);
  // HTTPRoute get-only (no hostnames) on 80: no binding needed, allowed to any address of the network.
  const auto a = send(test::tcp("192.0.2.1", 40001, "203.0.113.99", 80).seq(1).ack(1).payload(
      "GET /get HTTP/1.1\r\nHost: anything.example\r\n\r\n"));
  EXPECT_EQ(verdict_of(a).verdict, V::Accept);
  EXPECT_EQ(c.binding_bound + c.binding_denied, 0u);
}

TEST_F(EngineBindingTest, AWildcardMatchIsBoundToTheNameTheClientSent) {
  start(BindingMode::Strict);
  learn("a.wild.example", {kServer});
  const auto a = send(test::tcp("192.0.2.1", 40005, kServer, 8080).seq(1).ack(1).payload(
      "GET / HTTP/1.1\r\nHost: a.wild.example\r\n\r\n"));
  EXPECT_EQ(verdict_of(a).verdict, V::Accept);
  // A sibling under the same wildcard has no binding of its own: a.wild.example's address is not its address.
  const auto b = send(test::tcp("192.0.2.1", 40006, kServer, 8080).seq(1).ack(1).payload(
      "GET / HTTP/1.1\r\nHost: b.wild.example\r\n\r\n"));
  EXPECT_EQ(verdict_of(b).verdict, V::Repeat);
  EXPECT_EQ(c.binding_bound, 1u);
  EXPECT_EQ(c.binding_denied, 1u);
}

TEST_F(EngineBindingTest, KeepAliveRequestsAreEachBoundAndAResolveHoldsOnlyTheLaterRequest) {
  start(BindingMode::Resolve);
  learn("api.example", {kServer});
  const std::string r1 = "GET /a HTTP/1.1\r\nHost: api.example:8080\r\n\r\n";
  const std::string r2 = "GET /b HTTP/1.1\r\nHost: api2.example\r\n\r\n";
  const auto p1 = send(test::tcp("192.0.2.1", 40002, kServer, 8080).seq(1).ack(1).payload(r1));
  EXPECT_EQ(verdict_of(p1).verdict, V::Accept);  // passed: the connection stays inspected
  EXPECT_FALSE(verdict_of(p1).ct.has_value());
  out.clear();
  const auto p2 = send(test::tcp("192.0.2.1", 40002, kServer, 8080).seq(1 + static_cast<std::uint32_t>(r1.size()))
                           .ack(1).payload(r2), 10ms);
  EXPECT_TRUE(out.empty());  // api2.example has no binding: held while it is resolved
  ASSERT_EQ(resolves, std::vector<std::string>{"api2.example"});
  learn("api2.example", {"203.0.113.50"}, 300, 20ms);
  engine->on_resolved("api2.example", t0 + 20ms, out);
  EXPECT_EQ(verdict_of(p2).verdict, V::Repeat);  // api2.example is elsewhere: this request is denied
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].reason,
            "binding: Host api2.example does not resolve to 203.0.113.10 (resolved: 203.0.113.50)");
}

TEST_F(EngineBindingTest, AConnectionBoundEarlierKeepsItsNameThroughTheGracePeriod) {
  start(BindingMode::Strict);
  learn("api.example", {kServer}, 1);  // TTL 1 s: the 60 s floor applies
  const std::string r = "GET / HTTP/1.1\r\nHost: api.example\r\n\r\n";
  const auto n = static_cast<std::uint32_t>(r.size());
  const auto p1 = send(test::tcp("192.0.2.1", 40003, kServer, 8080).seq(1).ack(1).payload(r));
  EXPECT_EQ(verdict_of(p1).verdict, V::Accept);
  out.clear();
  // 2 minutes later the binding has expired; a request on the same connection is inside the grace period.
  const auto p2 = send(test::tcp("192.0.2.1", 40003, kServer, 8080).seq(1 + n).ack(1).payload(r), 120s);
  EXPECT_EQ(verdict_of(p2).verdict, V::Accept);
  out.clear();
  // A new connection to the same name at that time is not bound any more (strict: denied).
  const auto p3 = send(test::tcp("192.0.2.1", 40004, kServer, 8080).seq(1).ack(1).payload(r), 120s);
  EXPECT_EQ(verdict_of(p3).verdict, V::Repeat);
}

// ECH (issue 17): routes match the outer SNI. A real ECH ClientHello names its provider's public name; under Deny
// it is denied unless a route names that public name, whatever the inner (encrypted) name is.
TEST_F(EngineBindingTest, ARealEchHelloIsDecidedByItsPublicNameAndDeniedUnderDeny) {
  start(BindingMode::Strict);
  learn("curl.tls.example", {kServer});
  testing::HelloSpec spec;
  spec.names = {{0, "public.ech.example"}};              // the provider's public name (outer SNI)
  spec.extensions = {{0xfe0d, Bytes(220, 0x42)}};        // encrypted_client_hello: the inner hello, opaque
  const Bytes hello = testing::rerecord(testing::build_handshake(spec), {});
  const auto id = send(test::tcp("192.0.2.1", 40010, kServer, 443).seq(1).ack(1).payload(hello));
  EXPECT_EQ(verdict_of(id).verdict, V::Repeat);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].host, "public.ech.example");
  EXPECT_EQ(c.binding_bound + c.binding_denied, 0u);  // denied by the route, not by binding
}

TEST_F(EngineBindingTest, ChromiumsGreaseEchChangesNothing) {
  start(BindingMode::Strict);
  engine = std::make_unique<Engine>(test::compile_engine_policy(), "app", EngineLimits{}, c);  // chromium allowed
  engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
  engine->set_name_binding(BindingMode::Strict, &bindings, {});
  learn("chromium.tls.example", {kServer});
  Bytes ch;
  for (auto& f : testing::flights("tls"))
    if (f.file == "chromium.tls.bin") ch = f.bytes;
  ASSERT_GT(ch.size(), 1448u);
  send(test::tcp("192.0.2.1", 40011, kServer, 443).seq(1).ack(1).payload(Bytes(ch.begin(), ch.begin() + 1448)));
  const auto last = send(test::tcp("192.0.2.1", 40011, kServer, 443).seq(1449).ack(1)
                             .payload(Bytes(ch.begin() + 1448, ch.end())));
  EXPECT_EQ(verdict_of(last).verdict, V::Accept);
  EXPECT_EQ(c.binding_bound, 1u);
}

// HTTP/2 with prior knowledge: a request whose :authority has no binding waits (its HEADERS decoded once: the HPACK
// state moved on), the allowed request before it is passed, and after the resolve the waiting request is decided
// and a later one (whose header block refers to the dynamic table) still decodes right.
TEST_F(EngineBindingTest, AnHttp2RequestWaitsForItsNameAndTheStreamStaysDecodable) {
  start(BindingMode::Resolve);
  learn("api.example", {kServer});
  testing::Deflater d;
  const auto get = [](std::string authority, std::string path) {
    return testing::Fields{{":method", "GET"}, {":scheme", "http"}, {":path", std::move(path)},
                           {":authority", std::move(authority)}};
  };
  testing::H2Bytes first = testing::preface_and_settings();
  testing::put_frame(first, 0x1, 0x5, 1, d.block(get("api.example", "/one")));
  testing::H2Bytes second;
  testing::put_frame(second, 0x1, 0x5, 3, d.block(get("api2.example", "/two")));
  testing::H2Bytes third;
  testing::put_frame(third, 0x1, 0x5, 5, d.block(get("api2.example", "/three")));
  const auto seq2 = 1 + static_cast<std::uint32_t>(first.size());
  const auto seq3 = seq2 + static_cast<std::uint32_t>(second.size());
  const auto p1 = send(test::tcp("192.0.2.1", 40020, kServer, 8080).seq(1).ack(1).payload(first));
  EXPECT_EQ(verdict_of(p1).verdict, V::Accept);
  out.clear();
  const auto p2 = send(test::tcp("192.0.2.1", 40020, kServer, 8080).seq(seq2).ack(1).payload(second), 5ms);
  EXPECT_TRUE(out.empty());  // held: api2.example is being resolved
  ASSERT_EQ(resolves, std::vector<std::string>{"api2.example"});
  const auto p3 = send(test::tcp("192.0.2.1", 40020, kServer, 8080).seq(seq3).ack(1).payload(third), 6ms);
  EXPECT_TRUE(out.empty());  // held behind it, not inspected yet
  learn("api2.example", {kServer}, 300, 10ms);
  engine->on_resolved("api2.example", t0 + 10ms, out);
  EXPECT_EQ(verdict_of(p2).verdict, V::Accept);
  EXPECT_EQ(verdict_of(p3).verdict, V::Accept);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].path, "/two");
  EXPECT_EQ(records[2].path, "/three");  // decoded through the dynamic table: the HPACK state is intact
  EXPECT_EQ(c.binding_bound, 3u);
}

// explain --resolved: names are normalised like the wire's (case, one trailing dot); what is not a host name or not
// NAME=IP,... is a usage error.
TEST(ExplainBinding, ResolvedFlagsAreNormalisedAndChecked) {
  const auto plan = test::compile_engine_policy(kPolicy);
  policy::ExplainQuery q{*policy::parse_ip("203.0.113.99"), 443, policy::Proto::Tcp, {}};
  q.request.tls = true;
  q.request.sni = "curl.tls.example";
  const auto explain = [&] { return policy::explain({}, plan->plan, q); };
  std::string error;
  auto e = explain();
  ASSERT_EQ(e.decision.kind, policy::DecisionKind::Allow);
  ASSERT_TRUE(explain_binding(e, q, {"CURL.tls.Example.=203.0.113.7"}, error)) << error;
  EXPECT_EQ(e.decision.kind, policy::DecisionKind::Deny);  // the flag's name is the SNI's, not another one
  EXPECT_EQ(e.reason, "binding: SNI curl.tls.example does not resolve to 203.0.113.99 (resolved: 203.0.113.7)");
  e = explain();
  EXPECT_FALSE(explain_binding(e, q, {"a..example=203.0.113.7"}, error));
  EXPECT_EQ(error, "--resolved 'a..example=203.0.113.7': 'a..example' is not a host name");
  EXPECT_FALSE(explain_binding(e, q, {"curl.tls.example=203.0.113.x"}, error));
  EXPECT_FALSE(explain_binding(e, q, {"=203.0.113.7"}, error));
}

}  // namespace
}  // namespace nfegress::enforcer
