// enforcer/dns_ldns.hpp — layer: pure parsers (internal to dns_answer.cpp and dns_ech.cpp). The ldns handles owned
// from the line they are created (one deleter per type), and the two conversions every DNS function starts or ends
// with. Must not: throw, log, touch a socket; nothing outside enforcer/dns_*.cpp includes it (ldns stays private).
#pragma once

// ldns/common.h defines `bool`, `true` and `false` as macros (breaking C++ code after it, e.g. <optional>'s
// operator<=>) unless stdbool.h was included first: include ldns only through this header.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

namespace nfegress::enforcer::dns::detail {

struct PktDeleter {
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
struct RdfDeleter {
  void operator()(ldns_rdf* r) const noexcept { ldns_rdf_deep_free(r); }
};
struct MallocDeleter {  // strings and wire buffers ldns returns (LDNS_MALLOC is malloc)
  void operator()(void* p) const noexcept { std::free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using CharPtr = std::unique_ptr<char, MallocDeleter>;
using WirePtr = std::unique_ptr<std::uint8_t, MallocDeleter>;

// ldns_wire2pkt sets the packet only on success (it frees its own on every error path); null on failure.
inline PktPtr decode(std::span<const std::uint8_t> message, ldns_status& status) {
  ldns_pkt* raw = nullptr;
  status = ldns_wire2pkt(&raw, message.data(), message.size());
  PktPtr owned(raw);
  if (status != LDNS_STATUS_OK) return nullptr;
  return owned;
}

// Wire format with ldns' name compression; empty on failure.
inline std::vector<std::uint8_t> encode(const ldns_pkt* pkt) {
  std::uint8_t* raw = nullptr;
  std::size_t size = 0;
  const ldns_status st = ldns_pkt2wire(&raw, pkt, &size);
  const WirePtr owned(raw);
  if (st != LDNS_STATUS_OK || raw == nullptr) return {};
  return std::vector<std::uint8_t>(raw, raw + size);
}

}  // namespace nfegress::enforcer::dns::detail
