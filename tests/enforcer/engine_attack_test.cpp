// tests/enforcer/engine_attack_test.cpp — the engine against two ways issue 16 found around HTTP inspection:
// an allowed `Upgrade`/CONNECT request the server refuses (the next bytes must still be checked as HTTP unless they
// cannot be HTTP: WebSocket frames, a TLS record in a tunnel; the HTTP/2 preface after `Upgrade: h2c` is read as
// HTTP/2), and TCP urgent data (URG) on an inspected flow, which the server's TCP takes out of the stream the
// enforcer reads (denied, counted). Verdicts are read as held / released / blocked, whatever way the kernel
// contract spells them.
#include <gtest/gtest.h>

#include "enforcer/engine.hpp"
#include "enforcer/metrics.hpp"
#include "engine_policy.hpp"
#include "flow_builder.hpp"
#include "h2_test_frames.hpp"
#include "test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace std::chrono_literals;
using V = nfq::Verdict;
constexpr std::uint32_t kMask = 0x00300000, kDeny = 0x00200000;

// Every path on allowed.example, port 80; everything else under the network's Deny.
const char* kPolicy = R"(apiVersion: policy.linkerd.io/v1alpha1
kind: EgressNetwork
metadata: {name: all, namespace: linkerd-egress}
spec: {trafficPolicy: Deny}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: allowed, namespace: linkerd-egress}
spec:
  hostnames: [allowed.example]
  parentRefs: [{group: policy.linkerd.io, kind: EgressNetwork, name: all, port: 80}]
  rules: [{matches: [{path: {type: PathPrefix, value: /}}]}]
)";

const std::string kWebSocket =
    "GET /chat HTTP/1.1\r\nHost: allowed.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const std::string kH2c =
    "GET / HTTP/1.1\r\nHost: allowed.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
    "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
const std::string kConnect = "CONNECT allowed.example:443 HTTP/1.1\r\nHost: allowed.example:443\r\n\r\n";
const std::string kAllowed = "GET /other HTTP/1.1\r\nHost: allowed.example\r\n\r\n";
const std::string kDenied = "GET /admin HTTP/1.1\r\nHost: denied.example\r\n\r\n";
// A masked client text frame "Hello" (RFC 6455 5.7) and the start of a TLS record (a ClientHello's header).
const std::string kWsFrame = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
const std::string kTlsRecord = std::string("\x16\x03\x01\x00\x05", 5) + "hello";

enum class Fate { Held, Released, Blocked };

std::ostream& operator<<(std::ostream& os, Fate f) {
  return os << (f == Fate::Held ? "held" : f == Fate::Released ? "released" : "blocked");
}

class EngineAttackTest : public ::testing::Test {
 protected:
  Counters c;
  std::unique_ptr<Engine> engine;
  std::vector<DecisionRecord> records;
  std::vector<VerdictOut> out;
  std::vector<testing::Bytes> keep;
  std::uint32_t next_id = 1;
  std::uint32_t seq = 1001;  // the client's next byte
  std::uint16_t sport = 40000;

  void SetUp() override {
    engine = std::make_unique<Engine>(test::compile_engine_policy(kPolicy), "app", EngineLimits{}, c);
    engine->set_decision_callback([this](const DecisionRecord& r) { records.push_back(r); });
  }
  test::TcpBuilder seg(std::uint32_t at) const {
    return test::tcp("192.0.2.1", sport, "203.0.113.10", 80).seq(at).ack(7001);
  }
  std::uint32_t queue(const test::TcpBuilder& b) {
    keep.push_back(b.bytes());
    engine->on_packet(QueuedPacket{3, next_id, 0, false, testing::span_of(keep.back())}, Clock::time_point{} + 1s,
                      out);
    return next_id++;
  }
  // The client's next segment carrying `bytes` (with URG and an urgent pointer when `urgent`).
  std::uint32_t send(std::string_view bytes, std::optional<std::uint16_t> urgent = std::nullopt) {
    auto b = seg(seq).payload(bytes);
    if (urgent) b.urg(*urgent);
    seq += static_cast<std::uint32_t>(bytes.size());
    return queue(b);
  }
  std::uint32_t send(const testing::H2Bytes& bytes) {
    return send(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  // What happened to packet `id`: no verdict yet, let through (PASS / ALLOW / accept), or denied (DENY or drop).
  Fate fate(std::uint32_t id) const {
    for (const VerdictOut& v : out) {
      if (v.id != id) continue;
      if (v.verdict == V::Drop) return Fate::Blocked;
      if (v.verdict == V::Repeat && v.mark && (*v.mark & kMask) == kDeny) return Fate::Blocked;
      return Fate::Released;
    }
    return Fate::Held;
  }
  // The connection is allowed as a whole: no longer tracked, its decision remembered for late packets.
  bool allowed_as_a_whole() const { return engine->tracked_flows() == 0 && engine->remembered_decisions() == 1; }
  bool still_inspected() const { return engine->tracked_flows() == 1; }
  bool last_denied_for(std::string_view host) const {
    return !records.empty() && records.back().verdict == FlowVerdict::Deny && records.back().host == host;
  }
};

// --- Upgrade / CONNECT refused by the server (issue 16, leak 5) ---

TEST_F(EngineAttackTest, RefusedUpgradeNextRequestForADeniedHostIsDenied) {
  const auto a = send(kWebSocket);
  EXPECT_EQ(fate(a), Fate::Released);
  EXPECT_TRUE(still_inspected()) << "the server may answer 200 instead of 101";
  const auto b = send(kDenied);
  EXPECT_EQ(fate(b), Fate::Blocked);
  EXPECT_TRUE(last_denied_for("denied.example"));
  EXPECT_EQ(c.requests_denied, 1u);
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineAttackTest, RefusedUpgradeNextAllowedRequestPassesAndTheConnectionStaysInspected) {
  EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
  EXPECT_EQ(fate(send(kAllowed)), Fate::Released);
  EXPECT_TRUE(still_inspected());
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(fate(send(kWebSocket)), Fate::Released) << "another Upgrade: checked like the first";
  EXPECT_EQ(fate(send(kDenied)), Fate::Blocked);
  EXPECT_EQ(c.requests_checked, 4u);
}

TEST_F(EngineAttackTest, RequestPipelinedInTheUpgradeSegmentIsChecked) {
  const auto a = send(kWebSocket + kDenied);
  EXPECT_EQ(fate(a), Fate::Blocked) << "not a byte of the segment reaches the server";
  EXPECT_TRUE(last_denied_for("denied.example"));
}

TEST_F(EngineAttackTest, UpgradeSegmentEndingWithTheNextRequestsFirstByteWaitsForIt) {
  const auto a = send(kWebSocket + kDenied.substr(0, 1));
  EXPECT_EQ(fate(a), Fate::Held) << "'G' may start a request: the segment waits for the rest";
  const auto b = send(kDenied.substr(1));
  EXPECT_EQ(fate(a), Fate::Blocked);
  EXPECT_EQ(fate(b), Fate::Blocked);
}

TEST_F(EngineAttackTest, UpgradeSegmentEndingWithTheNextRequestsFirstByteReleasedWhenAllowed) {
  const auto a = send(kWebSocket + kAllowed.substr(0, 1));
  EXPECT_EQ(fate(a), Fate::Held);
  const auto b = send(kAllowed.substr(1));
  EXPECT_EQ(fate(a), Fate::Released);
  EXPECT_EQ(fate(b), Fate::Released);
  EXPECT_TRUE(still_inspected());
}

TEST_F(EngineAttackTest, NextRequestsFirstByteAloneIsHeldUntilTheRequestIsDecided) {
  for (const std::string& next : {std::string("GET /admin HTTP/1.1\r\nHost: denied.example\r\n\r\n"),
                                 std::string("POST /admin HTTP/1.1\r\nHost: denied.example\r\nContent-Length: 0\r\n\r\n"),
                                 std::string("PRI /admin HTTP/1.1\r\nHost: denied.example\r\n\r\n")}) {
    SCOPED_TRACE(next);
    ++sport;
    seq = 1001;
    EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
    const auto a = send(next.substr(0, 1));  // 'G', or 'P', which may also start the HTTP/2 preface
    EXPECT_EQ(fate(a), Fate::Held);
    const auto b = send(next.substr(1, 1));
    EXPECT_EQ(fate(b), Fate::Held);
    const auto rest = send(next.substr(2));
    EXPECT_EQ(fate(a), Fate::Blocked);
    EXPECT_EQ(fate(b), Fate::Blocked);
    EXPECT_EQ(fate(rest), Fate::Blocked);
    EXPECT_EQ(engine->tracked_flows(), 0u);
  }
}

TEST_F(EngineAttackTest, EmptyLinesAndWhitespaceBeforeTheNextRequestAreNotAnotherProtocol) {
  // Servers skip empty lines before a request line (RFC 9112 2.2); lenient ones skip other whitespace too.
  for (const std::string& lead : {std::string("\r\n"), std::string("\n"), std::string(" "), std::string("\t"),
                                 std::string("\v"), std::string("\f"), std::string(1, '\0')}) {
    SCOPED_TRACE(static_cast<int>(lead[0]));
    ++sport;
    seq = 1001;
    EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
    EXPECT_EQ(fate(send(lead + kDenied)), Fate::Blocked);
    EXPECT_EQ(engine->tracked_flows(), 0u);
  }
}

TEST_F(EngineAttackTest, UpgradeBodyIsFramedBeforeTheNextBytesDecide) {
  // The body starts with a TLS byte: it is body (Content-Length), not the new protocol; the request after it is
  // read as HTTP.
  const std::string up = "POST /up HTTP/1.1\r\nHost: allowed.example\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                         "Content-Length: " + std::to_string(kTlsRecord.size()) + "\r\n\r\n" + kTlsRecord;
  EXPECT_EQ(fate(send(up + kDenied)), Fate::Blocked);
  EXPECT_TRUE(last_denied_for("denied.example"));
}

TEST_F(EngineAttackTest, WebSocketFramesAfterTheUpgradeAllowTheConnection) {
  EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
  EXPECT_TRUE(still_inspected());
  const auto frame = send(kWsFrame);
  EXPECT_EQ(fate(frame), Fate::Released);
  EXPECT_TRUE(allowed_as_a_whole());
  EXPECT_NE(fate(send(kWsFrame)), Fate::Held) << "a frame still in the queue: the remembered decision answers";
  EXPECT_EQ(c.flows_allowed, 1u);
  EXPECT_EQ(c.flows_denied, 0u);
  EXPECT_EQ(records.size(), 1u);
}

TEST_F(EngineAttackTest, WebSocketFrameInTheUpgradeSegmentAllowsTheConnection) {
  EXPECT_EQ(fate(send(kWebSocket + kWsFrame)), Fate::Released);
  EXPECT_TRUE(allowed_as_a_whole());
}

TEST_F(EngineAttackTest, WebSocketFramesFirstByteAloneAllowsTheConnection) {
  EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
  EXPECT_EQ(fate(send(kWsFrame.substr(0, 1))), Fate::Released) << "0x81 is no request line's first byte";
  EXPECT_TRUE(allowed_as_a_whole());
}

TEST_F(EngineAttackTest, LargeFirstWebSocketFrameAllowsTheConnectionWithoutBuffering) {
  // One GSO packet of 60 KB (a first message larger than the 16 KiB reassembly window), alone or behind the end of
  // the upgrade request's body.
  std::string frame = "\x82\xff";
  frame += std::string("\0\0\0\0\0\0\xe9\xe0", 8) + "mask" + std::string(60000, 'x');
  EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
  EXPECT_EQ(fate(send(frame)), Fate::Released);
  EXPECT_TRUE(allowed_as_a_whole());
  ++sport;
  seq = 1001;
  const std::string head = "POST /up HTTP/1.1\r\nHost: allowed.example\r\nUpgrade: websocket\r\n"
                           "Connection: upgrade\r\nContent-Length: 10\r\n\r\n";
  EXPECT_EQ(fate(send(head + "01234")), Fate::Released);
  EXPECT_EQ(fate(send("56789" + frame)), Fate::Released);
  EXPECT_EQ(engine->tracked_flows(), 0u);
  EXPECT_EQ(c.bound_bytes, 0u);
  EXPECT_EQ(c.flows_denied, 0u);
}

TEST_F(EngineAttackTest, ConnectThenTlsRecordAllowsTheTunnel) {
  EXPECT_EQ(fate(send(kConnect)), Fate::Released);
  EXPECT_TRUE(still_inspected());
  EXPECT_EQ(fate(send(kTlsRecord)), Fate::Released);
  EXPECT_TRUE(allowed_as_a_whole());
}

TEST_F(EngineAttackTest, RefusedConnectNextRequestForADeniedHostIsDenied) {
  EXPECT_EQ(fate(send(kConnect)), Fate::Released);
  EXPECT_EQ(fate(send("GET http://denied.example/ HTTP/1.1\r\nHost: denied.example\r\n\r\n")), Fate::Blocked);
  EXPECT_TRUE(last_denied_for("denied.example"));
}

TEST_F(EngineAttackTest, H2cUpgradeThenPrefaceIsReadAsHttp2) {
  EXPECT_EQ(fate(send(kH2c)), Fate::Released);
  testing::H2Bytes h2 = testing::preface_and_settings();
  testing::Deflater d;
  testing::put_frame(h2, 0x1, 0x5, 3, d.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                                               {":authority", "allowed.example"}}));
  EXPECT_EQ(fate(send(h2)), Fate::Released);
  EXPECT_TRUE(still_inspected()) << "every stream of the HTTP/2 connection is checked";
  testing::H2Bytes denied;
  testing::put_frame(denied, 0x1, 0x5, 5, d.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                                                   {":authority", "denied.example"}}));
  EXPECT_EQ(fate(send(denied)), Fate::Blocked);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().protocol, "http2");
  EXPECT_TRUE(last_denied_for("denied.example"));
}

TEST_F(EngineAttackTest, H2cUpgradePrefaceSplitAndADeniedFirstStream) {
  EXPECT_EQ(fate(send(kH2c)), Fate::Released);
  testing::H2Bytes h2 = testing::preface_and_settings();
  testing::Deflater d;
  testing::put_frame(h2, 0x1, 0x5, 3, d.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                                               {":authority", "denied.example"}}));
  const auto a = send(testing::H2Bytes(h2.begin(), h2.begin() + 10));  // "PRI * HTTP"
  EXPECT_EQ(fate(a), Fate::Held);
  const auto b = send(testing::H2Bytes(h2.begin() + 10, h2.end()));
  EXPECT_EQ(fate(a), Fate::Blocked);
  EXPECT_EQ(fate(b), Fate::Blocked);
  EXPECT_TRUE(last_denied_for("denied.example"));
}

TEST_F(EngineAttackTest, PrefaceAfterAnotherUpgradeIsReadAsHttp1AndDenied) {
  // Only `Upgrade: h2c` leads to HTTP/2; after a WebSocket upgrade a server that refused reads the preface as an
  // HTTP/1.x request line, so the enforcer does too (and "PRI * HTTP/2.0" is no request it lets through).
  EXPECT_EQ(fate(send(kWebSocket)), Fate::Released);
  testing::H2Bytes h2 = testing::preface_and_settings();
  testing::Deflater d;
  testing::put_frame(h2, 0x1, 0x5, 3, d.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                                               {":authority", "allowed.example"}}));
  EXPECT_EQ(fate(send(h2)), Fate::Blocked);
  EXPECT_EQ(c.parse_failures_http, 1u);
}

TEST_F(EngineAttackTest, H2cAmongOtherUpgradeProtocols) {
  EXPECT_EQ(fate(send("GET / HTTP/1.1\r\nHost: allowed.example\r\nConnection: upgrade\r\n"
                      "Upgrade: foo/2 , H2C\r\n\r\n")),
            Fate::Released);
  EXPECT_EQ(fate(send(testing::preface_and_settings())), Fate::Released);
  EXPECT_TRUE(still_inspected());
}

// --- TCP urgent data (issue 16, leak 6) ---

TEST_F(EngineAttackTest, UrgentDataInTheFirstFlightDenies) {
  const auto a = send(kAllowed, 5);
  EXPECT_EQ(fate(a), Fate::Blocked) << "even an allowed request: the server would read other bytes";
  EXPECT_EQ(c.urgent_data, 1u);
  EXPECT_EQ(c.flows_denied, 1u);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].verdict, FlowVerdict::Deny);
  EXPECT_NE(records[0].reason.find("urgent"), std::string::npos) << records[0].reason;
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineAttackTest, UrgentDataBehindHeldFirstBytesDeniesThemAll) {
  const auto a = send(kAllowed.substr(0, 10));
  EXPECT_EQ(fate(a), Fate::Held);
  const auto b = send(kAllowed.substr(10), 1);
  EXPECT_EQ(fate(a), Fate::Blocked);
  EXPECT_EQ(fate(b), Fate::Blocked);
  EXPECT_EQ(c.urgent_data, 1u);
}

TEST_F(EngineAttackTest, UrgentDataInAnAllowedRequestsBodyDenies) {
  // The attack: an urgent byte inside the body; the server's TCP removes it, so its Content-Length count ends one
  // byte later than the enforcer's and the bytes the enforcer takes for the next request are body to the server.
  const std::string smuggled = "GET /x HTTP/1.1\r\nHost: denied.example\r\n\r\n";
  const std::string head = "POST /up HTTP/1.1\r\nHost: allowed.example\r\nContent-Length: " +
                           std::to_string(smuggled.size() + 1) + "\r\n\r\n";
  EXPECT_EQ(fate(send(head)), Fate::Released);
  const auto body = send("!" + smuggled, 1);
  EXPECT_EQ(fate(body), Fate::Blocked);
  EXPECT_EQ(c.urgent_data, 1u);
  EXPECT_EQ(engine->tracked_flows(), 0u);
}

TEST_F(EngineAttackTest, UrgentDataOnAKeepAliveConnectionDenies) {
  EXPECT_EQ(fate(send(kAllowed)), Fate::Released);
  const auto b = send(kAllowed, 3);
  EXPECT_EQ(fate(b), Fate::Blocked);
  EXPECT_EQ(c.urgent_data, 1u);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().protocol, "http");
  EXPECT_NE(records.back().reason.find("urgent"), std::string::npos);
}

TEST_F(EngineAttackTest, UrgentPointerOnABareAckOfAnInspectedConnectionDenies) {
  // A segment without data sets the server's urgent pointer as well (the byte comes in a later segment).
  EXPECT_EQ(fate(send(kAllowed)), Fate::Released);
  const auto ack = queue(seg(seq).urg(10));
  EXPECT_EQ(fate(ack), Fate::Blocked);
  EXPECT_EQ(c.urgent_data, 1u);
  EXPECT_EQ(engine->tracked_flows(), 0u);
  EXPECT_EQ(fate(send(kAllowed)), Fate::Blocked) << "the flow's later bytes: the remembered deny";
}

TEST_F(EngineAttackTest, UrgentPointerOnABareAckBeforeTheFirstBytesDenies) {
  const auto ack = queue(seg(seq).urg(1));
  EXPECT_EQ(fate(ack), Fate::Blocked);
  EXPECT_EQ(c.urgent_data, 1u);
  EXPECT_EQ(fate(send(kAllowed)), Fate::Blocked);
}

TEST_F(EngineAttackTest, UrgentDataOnAnHttp2ConnectionDenies) {
  testing::H2Bytes h2 = testing::preface_and_settings();
  testing::Deflater d;
  testing::put_frame(h2, 0x1, 0x4, 1, d.block({{":method", "POST"}, {":scheme", "http"}, {":path", "/"},
                                               {":authority", "allowed.example"}}));
  EXPECT_EQ(fate(send(h2)), Fate::Released);
  testing::H2Bytes data;
  testing::put_frame(data, 0x0, 0x1, 1, {'a', 'b', 'c'});
  const auto b = send(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), 2);
  EXPECT_EQ(fate(b), Fate::Blocked);
  EXPECT_EQ(c.urgent_data, 1u);
}

TEST_F(EngineAttackTest, UrgentDataAfterTheConnectionIsAllowedAsAWholeIsNotInspected) {
  // Once allowed as a whole (here a WebSocket), the connection is the kernel's: a packet still in the queue gets
  // the remembered decision, and no byte of it is read any more.
  EXPECT_EQ(fate(send(kWebSocket + kWsFrame)), Fate::Released);
  EXPECT_NE(fate(send(kWsFrame, 1)), Fate::Held);
  EXPECT_EQ(c.urgent_data, 0u);
  EXPECT_EQ(c.packets_late, 1u);
}

TEST_F(EngineAttackTest, UrgentDataIsExported) {
  send(kAllowed, 5);
  Metrics m;
  m.attach(&c);
  const std::string text = m.render();
  EXPECT_NE(text.find("\nnfegress_urgent_data_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace nfegress::enforcer
