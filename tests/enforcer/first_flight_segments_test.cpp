// tests/enforcer/first_flight_segments_test.cpp — the enforcer's path end to end without a kernel: real first
// flights (and the Chromium 1.9 KB hello re-split over TLS records) cut into TCP segments, delivered out of
// order with retransmissions and overlaps into a FlowBuffer, parsed after every segment. A prefix may only ever
// say NeedMore; the complete stream gives the right name. Also a pipelined HTTP stream released request by
// request with FlowBuffer::advance.
#include <gtest/gtest.h>

#include <random>

#include "enforcer/http_request.hpp"
#include "enforcer/reassembly.hpp"
#include "enforcer/tls_client_hello.hpp"
#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace testing;  // NOLINT

struct Segment {
  std::size_t off, len;
};

// Cuts [0, size) into segments of 1..max_len bytes, shuffles them, and mixes in retransmissions of random
// segments and overlapping re-cuts of random ranges.
std::vector<Segment> deliveries(std::size_t size, std::size_t max_len, std::mt19937& rng) {
  std::vector<Segment> out;
  for (std::size_t off = 0; off < size;) {
    const std::size_t len = std::min(size - off, std::uniform_int_distribution<std::size_t>(1, max_len)(rng));
    out.push_back({off, len});
    off += len;
  }
  const std::size_t extra = out.size() / 2 + 1;
  for (std::size_t i = 0; i < extra; ++i) {
    if (rng() % 2) {
      out.push_back(out[rng() % out.size()]);  // retransmission
    } else {
      const std::size_t off = rng() % size;
      out.push_back({off, std::min(size - off, std::uniform_int_distribution<std::size_t>(1, max_len)(rng))});
    }
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

void deliver_tls(const Bytes& stream, const std::string& host, std::size_t max_len, std::mt19937& rng) {
  const std::uint32_t isn = rng() % 4 == 0 ? 0xffffffffu - static_cast<std::uint32_t>(rng() % 3000) : rng();
  // Tiny segments need more than the default 64 segment records.
  FlowBuffer flow(isn + 1, ReassemblyLimits{.max_bytes = 16 * 1024, .max_segments = static_cast<std::uint16_t>(max_len < 200 ? 512 : 64)});
  bool found = false;
  for (const Segment& s : deliveries(stream.size(), max_len, rng)) {
    const AddResult r = flow.add(isn + 1 + static_cast<std::uint32_t>(s.off),
                                 std::span<const std::uint8_t>(stream).subspan(s.off, s.len));
    ASSERT_TRUE(r == AddResult::Ok || r == AddResult::Duplicate) << to_string(r);
    ClientHelloInfo info;
    const ParseStatus st = parse_client_hello(flow.contiguous(), info);
    if (flow.contiguous().size() < stream.size()) {
      ASSERT_EQ(st, ParseStatus::NeedMore) << flow.contiguous().size() << " of " << stream.size();
    } else {
      ASSERT_EQ(st, ParseStatus::Found);
      ASSERT_EQ(info.sni_view(), host);
      ASSERT_EQ(info.bytes_consumed, stream.size());
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(FirstFlightSegments, TlsOverShuffledSegments) {
  std::mt19937 rng(3);
  for (const Flight& f : flights("tls")) {
    SCOPED_TRACE(f.file);
    for (std::size_t max_len : {1400u, 536u, 200u, 64u}) {
      for (int i = 0; i < 20; ++i) deliver_tls(f.bytes, f.host, max_len, rng);
    }
  }
}

TEST(FirstFlightSegments, ChromiumHelloOverRecordsAndSegments) {
  std::mt19937 rng(4);
  const Bytes original = read_file(first_flights_dir() / "chromium.tls.bin");
  const Bytes hs = handshake_of(original);
  for (std::size_t record : {1000u, 700u, 333u}) {
    const Bytes stream = rerecord(hs, std::vector<std::size_t>(hs.size() / record + 1, record));
    SCOPED_TRACE("records of " + std::to_string(record));
    for (int i = 0; i < 30; ++i) deliver_tls(stream, "chromium.tls.example", 1448, rng);
  }
}

TEST(FirstFlightSegments, ConflictingRetransmissionIsDetected) {
  const Bytes original = read_file(first_flights_dir() / "chromium.tls.bin");
  FlowBuffer flow(100);
  ASSERT_EQ(flow.add(100, std::span<const std::uint8_t>(original).first(1448)), AddResult::Ok);
  // The attacker re-sends the SNI region with another name.
  Bytes evil(original.begin(), original.begin() + 1448);
  evil[200] ^= 1;
  EXPECT_EQ(flow.add(100 + 100, std::span<const std::uint8_t>(evil).subspan(100, 300)), AddResult::Conflict);
  ClientHelloInfo info;
  EXPECT_EQ(parse_client_hello(flow.contiguous(), info), ParseStatus::NeedMore);
}

TEST(FirstFlightSegments, OversizeHelloHitsTheByteLimit) {
  HelloSpec spec;
  spec.names = {{0, "big.example"}};
  const std::size_t base = build_handshake(spec).size();
  for (const std::size_t padding : {kMaxClientHelloMessage - base - 4, std::size_t{16300}}) {
    spec.extensions = {{21, Bytes(padding, 0)}};
    const Bytes stream = rerecord(build_handshake(spec), {8000, 8000});
    FlowBuffer flow(1);
    AddResult last = AddResult::Ok;
    for (std::size_t off = 0; off < stream.size() && last == AddResult::Ok; off += 1448) {
      last = flow.add(1 + static_cast<std::uint32_t>(off),
                      std::span<const std::uint8_t>(stream).subspan(off, std::min<std::size_t>(1448, stream.size() - off)));
    }
    // 16 KiB of handshake plus record headers do not fit in the 16 KiB flow buffer: the flow is denied either way.
    EXPECT_EQ(last, AddResult::OverLimit);
    ClientHelloInfo info;
    const ParseStatus st = parse_client_hello(flow.contiguous(), info);
    if (padding == 16300) EXPECT_EQ(st, ParseStatus::Malformed);  // refused from its handshake header
    else EXPECT_EQ(st, ParseStatus::NeedMore);
  }
}

// The enforcer's keep-alive loop: bytes arrive in shuffled segments; whenever the contiguous prefix grows, heads
// are parsed and bodies skipped, and everything decided is released with advance().
TEST(FirstFlightSegments, PipelinedHttpReleasedRequestByRequest) {
  std::string stream;
  std::vector<std::string> expect;
  for (int i = 0; i < 4; ++i) {
    for (const Flight& f : flights("http")) stream.append(f.bytes.begin(), f.bytes.end());
    const std::string body = "x=" + std::string(100 * i, 'y');
    stream += "POST /form HTTP/1.1\r\nHost: post.example\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body;
    stream += "PUT /c HTTP/1.1\r\nHost: put.example\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    expect.insert(expect.end(), {"/some/path?q=1", "/index.html", "/form", "/c"});
  }
  std::mt19937 rng(9);
  for (int round = 0; round < 20; ++round) {
    const std::uint32_t isn = 0xffffff00u + static_cast<std::uint32_t>(round);  // wraps within the stream
    FlowBuffer flow(isn + 1);
    HttpStreamFramer framer;
    std::vector<std::string> seen;
    std::size_t released = 0;
    for (const Segment& s : deliveries(stream.size(), 300, rng)) {
      const AddResult r = flow.add(isn + 1 + static_cast<std::uint32_t>(s.off), span_of(stream).subspan(s.off, s.len));
      ASSERT_TRUE(r == AddResult::Ok || r == AddResult::Duplicate || r == AddResult::BeforeStart) << to_string(r);
      for (;;) {
        const auto bytes = flow.contiguous();
        if (bytes.empty()) break;
        if (framer.at_request_start()) {
          HttpRequestHead head;
          const ParseStatus st = parse_http_request(bytes, head);
          if (st == ParseStatus::NeedMore) break;
          ASSERT_EQ(st, ParseStatus::Found);
          seen.emplace_back(head.target);
          framer.begin_body(head);
          released += head.head_len;
          flow.advance(head.head_len);
        } else {
          const std::size_t used = framer.consume_body(bytes);
          ASSERT_FALSE(framer.failed());
          released += used;
          flow.advance(used);
          if (!framer.at_request_start()) break;
        }
      }
    }
    EXPECT_EQ(seen, expect);
    EXPECT_EQ(released, stream.size());
    EXPECT_EQ(flow.start_seq(), isn + 1 + static_cast<std::uint32_t>(stream.size()));
    EXPECT_EQ(flow.segments(), 0u);
  }
}

}  // namespace
}  // namespace nfegress::enforcer
