// enforcer/tls_client_hello.hpp — layer: pure parsers.
// Finds the TLS ClientHello at the start of a client's reassembled byte stream and extracts the SNI host name.
// The handshake message may span several TLS records and the stream may be cut anywhere (NeedMore).
// Must not: allocate, log, read a clock, throw, or read past the span.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "enforcer/parse_status.hpp"

namespace nfegress::enforcer {

// RFC 8446 5.1: a TLSPlaintext fragment is at most 2^14 bytes; we also cap the ClientHello handshake message
// (4-byte header + body) at 16 KiB. Real ones are 0.2-2 KB (post-quantum key shares: ~1.9 KB).
inline constexpr std::uint32_t kMaxTlsRecordPayload = 16384;
inline constexpr std::uint32_t kMaxClientHelloMessage = 16384;

// Extension code points the parser looks at.
inline constexpr std::uint16_t kExtServerName = 0x0000;
inline constexpr std::uint16_t kExtEncryptedClientHello = 0xfe0d;

struct ClientHelloInfo {
  bool has_sni = false;
  std::array<char, 256> sni{};  // lowercased, trailing dot removed, valid DNS name (letters/digits/-/_ labels <=63,
                                // total <=253)
  std::uint16_t sni_len = 0;
  bool has_ech = false;  // encrypted_client_hello ext 0xfe0d present (GREASE or real: outer SNI is the name)
  std::uint16_t legacy_version = 0;
  std::uint32_t bytes_consumed = 0;  // bytes of records that held the ClientHello
  std::string_view sni_view() const { return {sni.data(), sni_len}; }

  // Extra detail (for logs and counters).
  std::uint16_t record_count = 0;     // TLS records the handshake message spanned
  std::uint32_t message_length = 0;   // ClientHello body length (handshake header excluded)
  std::uint16_t extension_count = 0;
  bool supports_tls13 = false;        // supported_versions lists 0x0304
};

// Found: complete ClientHello parsed (has_sni may be false = no SNI). NeedMore: a prefix of a plausible
// ClientHello. NotThisProtocol: first byte(s) cannot start a TLS handshake record. Malformed: broken, more than
// one host_name entry, invalid name, oversize (handshake capped at 16 KiB), SSLv2 hello, a non-handshake record
// or another handshake message interleaved with or following the ClientHello inside its records.
// `out` is reset on every call; it is meaningful only for Found.
ParseStatus parse_client_hello(std::span<const std::uint8_t> stream, ClientHelloInfo& out);

}  // namespace nfegress::enforcer
