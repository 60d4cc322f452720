// tests/fuzz/fuzz_tls.cpp — libFuzzer target: any bytes as the start of a client's TCP stream through the TLS
// ClientHello parser. Must never crash or read past the span; a Found result is a valid lowercased DNS name (or no
// SNI) within the bytes, the same bytes cut at bytes_consumed give the same answer, and a shorter prefix of a
// complete ClientHello only ever asks for more.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "enforcer/tls_client_hello.hpp"
#include "fuzz_check.hpp"

using nfegress::enforcer::ClientHelloInfo;
using nfegress::enforcer::ParseStatus;

static bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 253 || n.back() == '.') return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  ClientHelloInfo info;
  const ParseStatus st = nfegress::enforcer::parse_client_hello(in, info);
  if (st != ParseStatus::Found) return 0;
  FUZZ_CHECK(info.bytes_consumed > 0 && info.bytes_consumed <= size);
  FUZZ_CHECK(!info.has_sni || valid_name(info.sni_view()));
  FUZZ_CHECK(info.has_sni || info.sni_len == 0);
  FUZZ_CHECK(info.record_count >= 1);

  ClientHelloInfo again;
  FUZZ_CHECK(nfegress::enforcer::parse_client_hello(in.first(info.bytes_consumed), again) == ParseStatus::Found);
  FUZZ_CHECK(again.has_sni == info.has_sni && again.sni_view() == info.sni_view());
  const std::size_t consumed = info.bytes_consumed;
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{5}, consumed / 2, consumed - 1}) {
    if (cut >= consumed) continue;
    ClientHelloInfo part;
    FUZZ_CHECK(nfegress::enforcer::parse_client_hello(in.first(cut), part) == ParseStatus::NeedMore);
  }
  return 0;
}
