// tests/enforcer/tls_client_hello_test.cpp — parse_client_hello over real first flights (whole, every prefix,
// re-split over TLS records) and over synthetic edge cases.
#include "enforcer/tls_client_hello.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace testing;  // NOLINT

ParseStatus parse(const Bytes& b, ClientHelloInfo& info) { return parse_client_hello(span_of(b), info); }
ParseStatus parse(const Bytes& b) {
  ClientHelloInfo info;
  return parse(b, info);
}

TEST(TlsClientHello, RealFlightsWhole) {
  for (const Flight& f : flights("tls")) {
    SCOPED_TRACE(f.file);
    ClientHelloInfo info;
    ASSERT_EQ(parse(f.bytes, info), ParseStatus::Found);
    EXPECT_TRUE(info.has_sni);
    EXPECT_EQ(info.sni_view(), f.host);
    EXPECT_EQ(info.bytes_consumed, f.bytes.size());
    EXPECT_EQ(info.record_count, 1);
    EXPECT_EQ(info.legacy_version, 0x0303);
  }
}

TEST(TlsClientHello, ChromiumPostQuantumHelloWithGreaseAndEch) {
  const Bytes b = read_file(first_flights_dir() / "chromium.tls.bin");
  ASSERT_GT(b.size(), 1500u);  // larger than one segment at MTU 1500
  ClientHelloInfo info;
  ASSERT_EQ(parse(b, info), ParseStatus::Found);
  EXPECT_EQ(info.sni_view(), "chromium.tls.example");
  EXPECT_TRUE(info.has_ech);
  EXPECT_TRUE(info.supports_tls13);
  EXPECT_GT(info.extension_count, 10);
}

TEST(TlsClientHello, OtherClientsHaveNoEch) {
  for (const Flight& f : flights("tls")) {
    if (f.file == "chromium.tls.bin") continue;
    ClientHelloInfo info;
    ASSERT_EQ(parse(f.bytes, info), ParseStatus::Found) << f.file;
    EXPECT_FALSE(info.has_ech) << f.file;
  }
}

TEST(TlsClientHello, EveryPrefixNeedsMore) {
  for (const Flight& f : flights("tls")) {
    for (std::size_t n = 0; n < f.bytes.size(); ++n) {
      Bytes prefix(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(n));
      ASSERT_EQ(parse(prefix), ParseStatus::NeedMore) << f.file << " prefix " << n;
    }
  }
}

TEST(TlsClientHello, BytesAfterTheHelloRecordsAreNotConsumed) {
  for (const Flight& f : flights("tls")) {
    Bytes b = f.bytes;
    const Bytes ccs{20, 3, 3, 0, 1, 1};  // TLS 1.3 middlebox-compatibility ChangeCipherSpec
    b.insert(b.end(), ccs.begin(), ccs.end());
    b.insert(b.end(), {23, 3, 3, 0, 2, 0xde, 0xad});  // early data
    ClientHelloInfo info;
    ASSERT_EQ(parse(b, info), ParseStatus::Found) << f.file;
    EXPECT_EQ(info.bytes_consumed, f.bytes.size());
    EXPECT_EQ(info.sni_view(), f.host);
  }
}

TEST(TlsClientHello, ResplitOverFixedSizeRecords) {
  for (const Flight& f : flights("tls")) {
    const Bytes hs = handshake_of(f.bytes);
    for (std::size_t size : {1u, 2u, 3u, 4u, 5u, 7u, 64u, 100u, 511u, 1000u, 1400u}) {
      SCOPED_TRACE(f.file + " records of " + std::to_string(size));
      const Bytes b = rerecord(hs, std::vector<std::size_t>(hs.size() / size + 1, size));
      ClientHelloInfo info;
      ASSERT_EQ(parse(b, info), ParseStatus::Found);
      EXPECT_EQ(info.sni_view(), f.host);
      EXPECT_EQ(info.bytes_consumed, b.size());
      EXPECT_EQ(info.record_count, (hs.size() + size - 1) / size);
      EXPECT_EQ(info.has_ech, f.file == "chromium.tls.bin");
    }
  }
}

TEST(TlsClientHello, ResplitOverRandomRecordsEveryPrefixNeedsMore) {
  std::mt19937 rng(5);
  for (const Flight& f : flights("tls")) {
    const Bytes hs = handshake_of(f.bytes);
    for (std::size_t records = 2; records <= 12; ++records) {
      // records-1 distinct cut points in (0, size)
      std::vector<std::size_t> cuts;
      while (cuts.size() < records - 1) {
        const std::size_t c = std::uniform_int_distribution<std::size_t>(1, hs.size() - 1)(rng);
        if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) cuts.push_back(c);
      }
      std::sort(cuts.begin(), cuts.end());
      std::vector<std::size_t> sizes;
      std::size_t prev = 0;
      for (std::size_t c : cuts) sizes.push_back(c - prev), prev = c;
      const Bytes b = rerecord(hs, sizes, records % 2 ? 0x0301 : 0x0303);
      SCOPED_TRACE(f.file + " over " + std::to_string(records) + " records");
      ClientHelloInfo info;
      ASSERT_EQ(parse(b, info), ParseStatus::Found);
      EXPECT_EQ(info.sni_view(), f.host);
      EXPECT_EQ(info.record_count, records);
      EXPECT_EQ(info.bytes_consumed, b.size());
      for (std::size_t n = 0; n < b.size(); ++n) {
        ASSERT_EQ(parse(Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n))), ParseStatus::NeedMore)
            << "prefix " << n;
      }
    }
  }
}

TEST(TlsClientHello, NotTls) {
  using namespace std::literals;
  for (std::string_view s : {"GET / HTTP/1.1\r\n"sv, "SSH-2.0-OpenSSH_9.2\r\n"sv, "\x17\x03\x03\x00\x05hello"sv,
                             "\x15\x03\x03\x00\x02\x02\x28"sv, "\x16\x00"sv, "\x16\x03\x05"sv, "\x16\x02\x00"sv,
                             "\x00"sv}) {
    ClientHelloInfo info;
    EXPECT_EQ(parse_client_hello(span_of(s), info), ParseStatus::NotThisProtocol) << s;
  }
  EXPECT_EQ(parse(Bytes{}), ParseStatus::NeedMore);
  EXPECT_EQ(parse(Bytes{0x16}), ParseStatus::NeedMore);
  EXPECT_EQ(parse(Bytes{0x16, 0x03}), ParseStatus::NeedMore);
  EXPECT_EQ(parse(Bytes{0x16, 0x03, 0x01, 0x02}), ParseStatus::NeedMore);
}

TEST(TlsClientHello, SslV2HelloIsMalformed) {
  // SSLv2-format CLIENT-HELLO: 2-byte header with the high bit set, msg type 1, version 3.1.
  const Bytes v2{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10};
  EXPECT_EQ(parse(v2), ParseStatus::Malformed);
  EXPECT_EQ(parse(Bytes{0x80, 0x2e}), ParseStatus::NeedMore);
  EXPECT_EQ(parse(Bytes{0x80, 0x2e, 0x04}), ParseStatus::NotThisProtocol);
}

TEST(TlsClientHello, NormalisesTheName) {
  ClientHelloInfo info;
  ASSERT_EQ(parse(hello_for("API.Example.COM."), info), ParseStatus::Found);
  EXPECT_EQ(info.sni_view(), "api.example.com");
  ASSERT_EQ(parse(hello_for("_svc.under_score-1.example"), info), ParseStatus::Found);
  EXPECT_EQ(info.sni_view(), "_svc.under_score-1.example");
}

TEST(TlsClientHello, NameLengthLimits) {
  const std::string label63(63, 'a');
  ClientHelloInfo info;
  EXPECT_EQ(parse(hello_for(label63 + ".example"), info), ParseStatus::Found);
  EXPECT_EQ(parse(hello_for(std::string(64, 'a') + ".example")), ParseStatus::Malformed);
  // 253 characters: 3 labels of 63 + 1 label of 61, with dots.
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  ASSERT_EQ(parse(hello_for(name253), info), ParseStatus::Found);
  EXPECT_EQ(info.sni_view(), name253);
  EXPECT_EQ(parse(hello_for(name253 + ".")), ParseStatus::Found);  // trailing dot does not count
  EXPECT_EQ(parse(hello_for(name253 + "b")), ParseStatus::Malformed);
}

TEST(TlsClientHello, InvalidNamesAreMalformed) {
  for (const std::string& name : std::vector<std::string>{"", ".", "a..b", ".a.b", "exa mple.com", "a.b..", "ex*ample.com", "a/b", "a:443",
                           "caf\xc3\xa9.example", std::string("evil.com\0.good.com", 18)}) {
    EXPECT_EQ(parse(hello_for(name)), ParseStatus::Malformed) << name;
  }
}

TEST(TlsClientHello, NoSni) {
  HelloSpec spec;
  spec.extensions = {{43, {2, 3, 4}}};
  ClientHelloInfo info;
  ASSERT_EQ(parse(rerecord(build_handshake(spec), {}), info), ParseStatus::Found);
  EXPECT_FALSE(info.has_sni);
  EXPECT_EQ(info.sni_len, 0);
  EXPECT_TRUE(info.supports_tls13);

  spec = HelloSpec{};
  spec.extensions_block = false;  // TLS 1.2 and older may omit the extensions entirely
  ASSERT_EQ(parse(rerecord(build_handshake(spec), {}), info), ParseStatus::Found);
  EXPECT_FALSE(info.has_sni);
}

TEST(TlsClientHello, SniStructureErrors) {
  HelloSpec spec;
  spec.names = {{0, "a.example"}, {0, "b.example"}};  // two host_name entries
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.names = {{0, "a.example"}, {0, "a.example"}};
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.names = {{1, "a.example"}};  // unknown name type
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.names = {};
  spec.extensions = {{0, {}}};  // empty server_name extension
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.extensions = {{0, {0, 0}}};  // empty list
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.extensions = {{0, {0, 5, 0, 0, 9, 'a'}}};  // name length overruns
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.extensions = {{0, {0, 4, 0, 0, 1, 'a', 0}}};  // bytes after the list
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  // server_name twice as two extensions: the second one would win in some servers.
  spec.extensions = {{0, {0, 4, 0, 0, 1, 'a'}}, {0, {0, 4, 0, 0, 1, 'b'}}};
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
}

TEST(TlsClientHello, DuplicateExtensionsAreMalformed) {
  HelloSpec spec;
  spec.names = {{0, "a.example"}};
  spec.extensions = {{0xfe0d, {1}}, {0xfe0d, {2}}};
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.extensions = {{43, {2, 3, 4}}, {43, {2, 3, 4}}};
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Malformed);
  spec.extensions = {{0x0a0a, {}}, {0x1a1a, {0}}};  // two different GREASE values are fine
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Found);
}

TEST(TlsClientHello, EchMarksTheHello) {
  HelloSpec spec;
  spec.names = {{0, "public.example"}};
  spec.extensions = {{0xfe0d, Bytes(200, 0x42)}};
  ClientHelloInfo info;
  ASSERT_EQ(parse(rerecord(build_handshake(spec), {}), info), ParseStatus::Found);
  EXPECT_TRUE(info.has_ech);
  EXPECT_EQ(info.sni_view(), "public.example");  // the outer SNI is the name
}

TEST(TlsClientHello, BodyStructureErrors) {
  HelloSpec spec;
  spec.names = {{0, "a.example"}};
  EXPECT_EQ(parse(rerecord(build_handshake(spec), {})), ParseStatus::Found);
  auto with = [&](auto&& change) {
    HelloSpec s = spec;
    change(s);
    return parse(rerecord(build_handshake(s), {}));
  };
  EXPECT_EQ(with([](HelloSpec& s) { s.legacy_version = 0x0200; }), ParseStatus::Malformed);
  EXPECT_EQ(with([](HelloSpec& s) { s.session_id_len = 33; }), ParseStatus::Malformed);
  EXPECT_EQ(with([](HelloSpec& s) { s.cipher_suite_bytes = 3; }), ParseStatus::Malformed);
  EXPECT_EQ(with([](HelloSpec& s) { s.cipher_suite_bytes = 0; }), ParseStatus::Malformed);
  EXPECT_EQ(with([](HelloSpec& s) { s.compression_methods = 0; }), ParseStatus::Malformed);
  EXPECT_EQ(with([](HelloSpec& s) { s.handshake_type = 2; }), ParseStatus::Malformed);

  Bytes hs = build_handshake(spec);
  hs.push_back(0);  // a byte after the extensions block, inside the message
  hs[3] = static_cast<std::uint8_t>(hs[3] + 1);
  EXPECT_EQ(parse(rerecord(hs, {})), ParseStatus::Malformed);

  hs = build_handshake(spec);
  hs.resize(hs.size() - 1);  // message shorter than its extensions block says
  hs[3] = static_cast<std::uint8_t>(hs[3] - 1);
  EXPECT_EQ(parse(rerecord(hs, {})), ParseStatus::Malformed);
}

TEST(TlsClientHello, WrongHandshakeTypeIsMalformedEarly) {
  EXPECT_EQ(parse(Bytes{22, 3, 1, 0, 50, 2}), ParseStatus::Malformed);
  EXPECT_EQ(parse(Bytes{22, 3, 1, 0, 50, 1}), ParseStatus::NeedMore);
}

TEST(TlsClientHello, RecordLayerErrors) {
  HelloSpec spec;
  spec.names = {{0, "a.example"}};
  const Bytes hs = build_handshake(spec);
  EXPECT_EQ(parse(Bytes{22, 3, 1, 0, 0}), ParseStatus::Malformed);           // empty handshake record
  EXPECT_EQ(parse(Bytes{22, 3, 1, 0x40, 0x01, 1}), ParseStatus::Malformed);  // record > 2^14
  // A non-handshake record between the fragments of the message.
  Bytes b = rerecord(hs, {10});
  b.insert(b.begin() + 15, {21, 3, 3, 0, 2, 1, 0});
  EXPECT_EQ(parse(b), ParseStatus::Malformed);
  // A later record with a bad version.
  b = rerecord(hs, {10});
  b[16] = 2;
  EXPECT_EQ(parse(b), ParseStatus::Malformed);
  // A record that carries another handshake message after the ClientHello.
  b = hs;
  b.insert(b.end(), {20, 0, 0, 0});
  EXPECT_EQ(parse(rerecord(b, {})), ParseStatus::Malformed);
  EXPECT_EQ(parse(rerecord(b, {hs.size() - 5})), ParseStatus::Malformed);
}

TEST(TlsClientHello, SizeCap) {
  // A message of exactly 16 KiB (header included) spread over two records parses; one byte more is refused as
  // soon as the handshake header is visible.
  HelloSpec spec;
  spec.names = {{0, "big.example"}};
  const Bytes base = build_handshake(spec);
  const std::size_t padding = kMaxClientHelloMessage - base.size() - 4;
  spec.extensions = {{21, Bytes(padding, 0)}};
  Bytes hs = build_handshake(spec);
  ASSERT_EQ(hs.size(), kMaxClientHelloMessage);
  ClientHelloInfo info;
  ASSERT_EQ(parse(rerecord(hs, {9000}), info), ParseStatus::Found);
  EXPECT_EQ(info.sni_view(), "big.example");
  EXPECT_EQ(info.record_count, 2);

  spec.extensions = {{21, Bytes(padding + 1, 0)}};
  hs = build_handshake(spec);
  const Bytes big = rerecord(hs, {9000});
  EXPECT_EQ(parse(big), ParseStatus::Malformed);
  EXPECT_EQ(parse(Bytes(big.begin(), big.begin() + 9)), ParseStatus::Malformed);
  EXPECT_EQ(parse(Bytes(big.begin(), big.begin() + 8)), ParseStatus::NeedMore);
}

TEST(TlsClientHello, OutputIsResetOnEveryCall) {
  ClientHelloInfo info;
  ASSERT_EQ(parse(hello_for("a.example"), info), ParseStatus::Found);
  ASSERT_TRUE(info.has_sni);
  EXPECT_EQ(parse(Bytes{'G', 'E', 'T'}, info), ParseStatus::NotThisProtocol);
  EXPECT_FALSE(info.has_sni);
  EXPECT_EQ(info.sni_len, 0);
  EXPECT_EQ(parse(hello_for("a..example"), info), ParseStatus::Malformed);
  EXPECT_FALSE(info.has_sni);
}

TEST(TlsClientHello, StatusNames) {
  EXPECT_STREQ(to_string(ParseStatus::Found), "found");
  EXPECT_STREQ(to_string(ParseStatus::NeedMore), "need_more");
  EXPECT_STREQ(to_string(ParseStatus::NotThisProtocol), "not_this_protocol");
  EXPECT_STREQ(to_string(ParseStatus::Malformed), "malformed");
}

}  // namespace
}  // namespace nfegress::enforcer
