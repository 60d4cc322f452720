// tests/enforcer/h2_stream_test.cpp — the HTTP/2 client stream reader: real first flights (grpcio 1.51 and curl
// 7.88 --http2-prior-knowledge, captured on loopback), fed at every split; several requests over one HPACK
// dynamic table; CONTINUATION; the strictness rules and the bounds.
#include <gtest/gtest.h>

#include "enforcer/h2_stream.hpp"
#include "tests/enforcer/h2_test_frames.hpp"
#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer::testing {
namespace {

// Drives the reader like the enforcer does: bytes arrive in chunks, consumed bytes are dropped.
struct Reader {
  H2ClientStream stream;
  H2Bytes pending;
  std::vector<H2RequestHead> heads;
  ParseStatus last = ParseStatus::NeedMore;

  ParseStatus push(std::span<const std::uint8_t> chunk) {
    pending.insert(pending.end(), chunk.begin(), chunk.end());
    while (true) {
      std::size_t used = 0;
      H2RequestHead head;
      last = stream.next(pending, used, head);
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(used));
      if (last != ParseStatus::Found) return last;
      heads.push_back(std::move(head));
    }
  }
  ParseStatus push(const H2Bytes& b) { return push(std::span<const std::uint8_t>(b)); }
};

H2Bytes data_file(const char* name) {
  return read_file(std::filesystem::path(NFEGRESS_SOURCE_DIR) / "tests/enforcer/data" / name);
}

TEST(H2Stream, GrpcioFirstFlightAtEverySplit) {
  const H2Bytes b = data_file("grpcio.h2c.bin");
  ASSERT_GT(b.size(), 100u);
  for (std::size_t cut = 0; cut <= b.size(); ++cut) {
    Reader r;
    r.push(std::span(b).first(cut));
    EXPECT_NE(r.last, ParseStatus::Malformed) << "cut " << cut;
    r.push(std::span(b).subspan(cut));
    ASSERT_EQ(r.heads.size(), 1u) << "cut " << cut;
    const auto& h = r.heads[0];
    EXPECT_EQ(h.stream_id, 1u);
    EXPECT_EQ(h.method, "POST");
    EXPECT_EQ(h.path, "/pkg.Greeter/SayHello");
    EXPECT_EQ(h.host, "api.example.com");
    EXPECT_TRUE(h.grpc);
    bool tenant = false;
    for (const auto& [n, v] : h.headers) tenant |= n == "x-tenant" && v == "blue";
    EXPECT_TRUE(tenant);
  }
}

TEST(H2Stream, CurlPriorKnowledgeRequest) {
  Reader r;
  EXPECT_EQ(r.push(data_file("curl.h2c.bin")), ParseStatus::NeedMore);
  ASSERT_EQ(r.heads.size(), 1u);
  EXPECT_EQ(r.heads[0].method, "GET");
  EXPECT_EQ(r.heads[0].path, "/a/b");
  EXPECT_EQ(r.heads[0].query, "x=1");
  EXPECT_EQ(r.heads[0].host, "www.example.com");  // curl sends -H Host as :authority
  EXPECT_FALSE(r.heads[0].grpc);
}

TEST(H2Stream, NotThePreface) {
  Reader r;
  const std::string_view http1 = "GET / HTTP/1.1\r\n";
  EXPECT_EQ(r.push(std::span(reinterpret_cast<const std::uint8_t*>(http1.data()), http1.size())),
            ParseStatus::NotThisProtocol);
  Reader p;
  EXPECT_EQ(p.push(std::span(reinterpret_cast<const std::uint8_t*>(kH2Preface.data()), 8)), ParseStatus::NeedMore);
  const std::uint8_t tls[] = {0x16, 0x03, 0x01};
  EXPECT_FALSE(H2ClientStream::looks_like_preface(tls));
}

TEST(H2Stream, EveryCallOfAConnectionOverOneDynamicTable) {
  Deflater d;
  H2Bytes b = preface_and_settings();
  put_frame(b, 0x1, 0x4, 1, d.block(grpc_call("api.example.com", "/pkg.A/One")));
  put_frame(b, 0x0, 0x1, 1, H2Bytes(5, 0));  // a gRPC message
  put_frame(b, 0x8, 0, 0, {0, 0, 0x10, 0});   // WINDOW_UPDATE
  put_frame(b, 0x1, 0x4, 3, d.block(grpc_call("api.example.com", "/pkg.B/Two")));  // indexed from the table
  put_frame(b, 0x1, 0x4, 5, d.block(grpc_call("other.example.com:8443", "/pkg.B/Three")));
  Reader r;
  EXPECT_EQ(r.push(b), ParseStatus::NeedMore);
  ASSERT_EQ(r.heads.size(), 3u);
  EXPECT_EQ(r.heads[1].stream_id, 3u);
  EXPECT_EQ(r.heads[1].path, "/pkg.B/Two");
  EXPECT_EQ(r.heads[1].host, "api.example.com");
  EXPECT_EQ(r.heads[2].host, "other.example.com");  // port stripped
  EXPECT_TRUE(r.pending.empty());
}

TEST(H2Stream, ContinuationPaddingPriorityAndTrailers) {
  Deflater d;
  H2Bytes block = d.block(grpc_call("api.example.com", "/pkg.A/One"));
  H2Bytes b = preface_and_settings();
  H2Bytes first(block.begin(), block.begin() + 5), rest(block.begin() + 5, block.end());
  H2Bytes padded = {3, 0, 0, 0, 0, 16};  // pad length 3, priority (stream dependency 0, weight 16)
  padded.insert(padded.end(), first.begin(), first.end());
  padded.insert(padded.end(), {0, 0, 0});
  put_frame(b, 0x1, 0x8 | 0x20, 1, padded);  // HEADERS without END_HEADERS
  put_frame(b, 0x9, 0x4, 1, rest);            // CONTINUATION with END_HEADERS
  put_frame(b, 0x1, 0x5, 1, d.block({{"grpc-status", "0"}}));  // trailers: not a new request
  put_frame(b, 0x1, 0x4, 3, d.block(grpc_call("api.example.com", "/pkg.A/Two")));
  Reader r;
  EXPECT_EQ(r.push(b), ParseStatus::NeedMore);
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.heads[0].path, "/pkg.A/One");
  EXPECT_EQ(r.heads[1].path, "/pkg.A/Two");
}

TEST(H2Stream, LargeDataFramesAreSkippedAcrossChunks) {
  Deflater d;
  H2Bytes b = preface_and_settings();
  put_frame(b, 0x1, 0x4, 1, d.block(grpc_call("api.example.com", "/pkg.A/Up")));
  put_frame(b, 0x0, 0, 1, H2Bytes(100000, 'x'));  // larger than any reassembly window
  put_frame(b, 0x1, 0x4, 3, d.block(grpc_call("api.example.com", "/pkg.A/Next")));
  Reader r;
  for (std::size_t i = 0; i < b.size(); i += 1400) r.push(std::span(b).subspan(i, std::min<std::size_t>(1400, b.size() - i)));
  ASSERT_EQ(r.heads.size(), 2u);
  EXPECT_EQ(r.heads[1].path, "/pkg.A/Next");
  EXPECT_LT(r.pending.size(), 1400u);
}

ParseStatus one_block(const Fields& f, std::uint8_t type = 0x1, std::uint32_t stream = 1) {
  Deflater d;
  H2Bytes b = preface_and_settings();
  put_frame(b, type, 0x4, stream, d.block(f));
  Reader r;
  return r.push(b);
}

TEST(H2Stream, RequestIdentityIsStrict) {
  auto f = grpc_call("api.example.com", "/pkg.A/One");
  EXPECT_EQ(one_block(f), ParseStatus::NeedMore);

  auto dup = f;
  dup.insert(dup.begin() + 1, {":authority", "evil.example.com"});
  EXPECT_EQ(one_block(dup), ParseStatus::Malformed) << "two :authority";

  auto conflict = f;
  conflict.push_back({"host", "evil.example.com"});
  EXPECT_EQ(one_block(conflict), ParseStatus::Malformed) << ":authority and host differ";

  auto agree = f;
  agree.push_back({"host", "API.example.com:443"});
  EXPECT_EQ(one_block(agree), ParseStatus::NeedMore) << ":authority and host agree";

  auto upper = f;
  upper.push_back({"X-Tenant", "blue"});
  EXPECT_EQ(one_block(upper), ParseStatus::Malformed) << "uppercase name";

  auto late = f;
  late.push_back({":path", "/pkg.A/Two"});
  EXPECT_EQ(one_block(late), ParseStatus::Malformed) << "pseudo-header after a regular one / twice";

  EXPECT_EQ(one_block({{":method", "POST"}, {":authority", "a.example.com"}}), ParseStatus::Malformed) << "no :path";
  EXPECT_EQ(one_block(f, 0x1, 2), ParseStatus::Malformed) << "even stream id";
  EXPECT_EQ(one_block(f, 0x1, 0), ParseStatus::Malformed) << "stream 0";
  EXPECT_EQ(one_block(f, 0x5, 1), ParseStatus::Malformed) << "PUSH_PROMISE from a client";
  EXPECT_EQ(one_block(grpc_call("user@api.example.com", "/x/y")), ParseStatus::Malformed) << "userinfo";
}

TEST(H2Stream, FramingViolationsAndBounds) {
  Deflater d;
  const H2Bytes block = d.block(grpc_call("api.example.com", "/pkg.A/One"));
  {  // another frame between HEADERS and its CONTINUATION
    H2Bytes b = preface_and_settings();
    put_frame(b, 0x1, 0, 1, H2Bytes(block.begin(), block.begin() + 4));
    put_frame(b, 0x6, 0, 0, H2Bytes(8, 0));  // PING
    Reader r;
    EXPECT_EQ(r.push(b), ParseStatus::Malformed);
    EXPECT_EQ(r.push(preface_and_settings()), ParseStatus::Malformed) << "stays failed";
  }
  {  // DATA for a stream that never opened
    H2Bytes b = preface_and_settings();
    put_frame(b, 0x0, 0, 7, H2Bytes(3, 0));
    Reader r;
    EXPECT_EQ(r.push(b), ParseStatus::Malformed);
  }
  {  // a header frame above the frame-size bound
    H2Bytes b = preface_and_settings();
    put_frame(b, 0x1, 0x4, 1, H2Bytes(kMaxH2HeaderFrame + 1, 0));
    Reader r;
    EXPECT_EQ(r.push(b), ParseStatus::Malformed);
  }
  {  // HPACK amplification: a small block that decodes to more than the header-bytes bound
    Deflater amp;
    Fields f = grpc_call("api.example.com", "/pkg.A/One");
    for (int i = 0; i < 6; ++i) f.push_back({"x-big", std::string(3000, 'a')});
    H2Bytes b = preface_and_settings();
    const H2Bytes blk = amp.block(f);
    EXPECT_LT(blk.size(), kMaxH2HeaderBytes);
    put_frame(b, 0x1, 0x4, 1, blk);
    Reader r;
    EXPECT_EQ(r.push(b), ParseStatus::Malformed);
  }
  {  // garbage HPACK
    H2Bytes b = preface_and_settings();
    put_frame(b, 0x1, 0x4, 1, H2Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    Reader r;
    EXPECT_EQ(r.push(b), ParseStatus::Malformed);
  }
}

}  // namespace
}  // namespace nfegress::enforcer::testing
