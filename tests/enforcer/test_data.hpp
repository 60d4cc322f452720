// tests/enforcer/test_data.hpp — test helpers: the first flights of real clients (tests/data/first-flights/, in
// the repository) and byte builders that rewrite a TLS ClientHello's record layer.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace nfegress::enforcer::testing {

using Bytes = std::vector<std::uint8_t>;

inline std::filesystem::path first_flights_dir() {
  return std::filesystem::path(NFEGRESS_SOURCE_DIR) / "tests" / "data" / "first-flights";
}

inline Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << p;
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Flight {
  std::string file, protocol, host;
  Bytes bytes;
};

// Every line of manifest.tsv: file, protocol, host, size. Fails the test when the data is missing.
inline std::vector<Flight> flights(std::string_view protocol) {
  const auto dir = first_flights_dir();
  std::ifstream manifest(dir / "manifest.tsv");
  EXPECT_TRUE(manifest.good()) << "missing " << dir / "manifest.tsv";
  std::vector<Flight> out;
  std::string line;
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    Flight f;
    std::string size;
    if (!std::getline(fields, f.file, '\t') || !std::getline(fields, f.protocol, '\t') ||
        !std::getline(fields, f.host, '\t') || !std::getline(fields, size, '\t'))
      continue;
    if (f.protocol != protocol) continue;
    f.bytes = read_file(dir / f.file);
    EXPECT_EQ(f.bytes.size(), std::stoul(size)) << f.file;
    out.push_back(std::move(f));
  }
  EXPECT_FALSE(out.empty()) << "no " << protocol << " flights in " << dir;
  return out;
}

// The bytes of one real first flight by file name (a test failure, and nothing, when the corpus lacks it).
inline Bytes flight(std::string_view protocol, std::string_view file) {
  for (auto& f : flights(protocol))
    if (f.file == file) return std::move(f.bytes);
  ADD_FAILURE() << "no " << protocol << " first flight " << file;
  return {};
}

inline std::span<const std::uint8_t> span_of(const Bytes& b) { return {b.data(), b.size()}; }
inline std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The handshake bytes of a one-record ClientHello (record header stripped).
inline Bytes handshake_of(const Bytes& record) {
  EXPECT_GE(record.size(), 5u);
  const std::size_t len = (std::size_t{record[3]} << 8) | record[4];
  EXPECT_EQ(record.size(), 5 + len) << "expected exactly one record";
  return Bytes(record.begin() + 5, record.end());
}

// Re-frames a handshake message as TLS records whose payload sizes are `sizes` (the last one takes the rest).
inline Bytes rerecord(const Bytes& handshake, const std::vector<std::size_t>& sizes,
                      std::uint16_t version = 0x0301) {
  Bytes out;
  std::size_t pos = 0, i = 0;
  while (pos < handshake.size()) {
    std::size_t n = i < sizes.size() ? sizes[i] : handshake.size() - pos;
    n = std::min(n, handshake.size() - pos);
    ++i;
    out.push_back(22);
    out.push_back(static_cast<std::uint8_t>(version >> 8));
    out.push_back(static_cast<std::uint8_t>(version));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), handshake.begin() + static_cast<std::ptrdiff_t>(pos),
               handshake.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  }
  return out;
}

}  // namespace nfegress::enforcer::testing

namespace nfegress::enforcer::testing {

// A synthetic ClientHello handshake message (type 1 + u24 length + body), for edge cases real clients never send.
struct HelloSpec {
  std::uint16_t legacy_version = 0x0303;
  std::uint8_t session_id_len = 32;
  std::size_t cipher_suite_bytes = 4;
  std::size_t compression_methods = 1;
  bool extensions_block = true;
  std::vector<std::pair<std::uint8_t, std::string>> names;  // server_name entries; none = no server_name ext
  std::vector<std::pair<std::uint16_t, Bytes>> extensions;  // appended after server_name
  std::uint8_t handshake_type = 1;
};

inline void put16(Bytes& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put_ext(Bytes& b, std::uint16_t type, const Bytes& data) {
  put16(b, type);
  put16(b, data.size());
  b.insert(b.end(), data.begin(), data.end());
}

inline Bytes build_handshake(const HelloSpec& spec) {
  Bytes body;
  put16(body, spec.legacy_version);
  body.insert(body.end(), 32, 0xab);  // random
  body.push_back(spec.session_id_len);
  body.insert(body.end(), spec.session_id_len, 0x11);
  put16(body, spec.cipher_suite_bytes);
  for (std::size_t i = 0; i < spec.cipher_suite_bytes; ++i) body.push_back(i % 2 ? 0x01 : 0x13);
  body.push_back(static_cast<std::uint8_t>(spec.compression_methods));
  body.insert(body.end(), spec.compression_methods, 0);
  if (spec.extensions_block) {
    Bytes exts;
    if (!spec.names.empty()) {
      Bytes list;
      for (const auto& [type, name] : spec.names) {
        list.push_back(type);
        put16(list, name.size());
        list.insert(list.end(), name.begin(), name.end());
      }
      Bytes sni;
      put16(sni, list.size());
      sni.insert(sni.end(), list.begin(), list.end());
      put_ext(exts, 0, sni);
    }
    for (const auto& [type, data] : spec.extensions) put_ext(exts, type, data);
    put16(body, exts.size());
    body.insert(body.end(), exts.begin(), exts.end());
  }
  Bytes msg{spec.handshake_type, static_cast<std::uint8_t>(body.size() >> 16),
            static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
  msg.insert(msg.end(), body.begin(), body.end());
  return msg;
}

inline Bytes hello_for(const std::string& name) {
  HelloSpec spec;
  spec.names = {{0, name}};
  return rerecord(build_handshake(spec), {});
}

}  // namespace nfegress::enforcer::testing
