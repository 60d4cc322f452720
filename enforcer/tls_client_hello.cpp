// enforcer/tls_client_hello.cpp — layer: pure parsers. TLS ClientHello / SNI extraction (RFC 8446, RFC 6066).
// Walks the record layer first (type 22, version 3.x, 1..2^14 bytes), reassembling the handshake header across
// records, and parses the ClientHello body only once the whole message is present. A message inside one record
// is parsed in place; one spread over several records is copied into a bounded stack buffer first.
// Must not: allocate, log, read a clock, throw, or read past the span.
#include "enforcer/tls_client_hello.hpp"

#include <algorithm>
#include <cstring>

#include "enforcer/byte_cursor.hpp"
#include "enforcer/dns_name.hpp"

namespace nfegress::enforcer {
namespace {

constexpr std::uint8_t kContentHandshake = 22;
constexpr std::uint8_t kHandshakeClientHello = 1;
constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kHandshakeHeader = 4;
constexpr std::uint16_t kExtSupportedVersions = 43;
constexpr std::size_t kMaxExtensions = 128;

using Bytes = std::span<const std::uint8_t>;

// The first byte is not a TLS handshake record. An SSLv2-format CLIENT-HELLO (high bit of the first length byte,
// message type 1 in the third byte) is a TLS client we refuse; anything else is another protocol.
ParseStatus classify_non_handshake(Bytes s) {
  if ((s[0] & 0x80) == 0) return ParseStatus::NotThisProtocol;
  if (s.size() < 3) return ParseStatus::NeedMore;
  return s[2] == 1 ? ParseStatus::Malformed : ParseStatus::NotThisProtocol;
}

// server_name (RFC 6066 3): a non-empty list of exactly one host_name entry.
ParseStatus parse_server_name(ByteCursor ext, ClientHelloInfo& out) {
  ByteCursor list;
  if (!ext.prefixed16(list) || !ext.empty() || list.empty()) return ParseStatus::Malformed;
  while (!list.empty()) {
    std::uint8_t type = 0;
    ByteCursor name;
    if (!list.u8(type) || !list.prefixed16(name)) return ParseStatus::Malformed;
    // Only host_name (0) is defined; an unknown type cannot be skipped safely and nobody sends one.
    if (type != 0 || out.has_sni) return ParseStatus::Malformed;
    const Bytes raw = name.rest();
    const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
    const std::size_t n = normalize_dns_name(text, out.sni.data(), out.sni.size());
    if (n == 0) return ParseStatus::Malformed;
    out.sni_len = static_cast<std::uint16_t>(n);
    out.has_sni = true;
  }
  return ParseStatus::Found;
}

bool lists_tls13(ByteCursor ext) {
  ByteCursor versions;
  if (!ext.prefixed8(versions)) return false;
  std::uint16_t v = 0;
  while (versions.u16(v))
    if (v == 0x0304) return true;
  return false;
}

// RFC 8446 4.2: no more than one extension of the same type. Types below 64 use a bit mask; the rest (GREASE,
// ECH, renegotiation_info, ...) a short list.
class SeenExtensions {
 public:
  bool insert(std::uint16_t type) {
    if (type < 64) {
      const std::uint64_t bit = std::uint64_t{1} << type;
      if (low_ & bit) return false;
      low_ |= bit;
      return true;
    }
    for (std::size_t i = 0; i < high_count_; ++i)
      if (high_[i] == type) return false;
    if (high_count_ == high_.size()) return false;
    high_[high_count_++] = type;
    return true;
  }

 private:
  std::uint64_t low_ = 0;
  std::array<std::uint16_t, kMaxExtensions> high_{};
  std::size_t high_count_ = 0;
};

ParseStatus parse_extensions(ByteCursor exts, ClientHelloInfo& out) {
  SeenExtensions seen;
  while (!exts.empty()) {
    std::uint16_t type = 0;
    ByteCursor data;
    if (!exts.u16(type) || !exts.prefixed16(data)) return ParseStatus::Malformed;
    if (++out.extension_count > kMaxExtensions || !seen.insert(type)) return ParseStatus::Malformed;
    switch (type) {
      case kExtServerName:
        if (parse_server_name(data, out) != ParseStatus::Found) return ParseStatus::Malformed;
        break;
      case kExtEncryptedClientHello:
        out.has_ech = true;
        break;
      case kExtSupportedVersions:
        out.supports_tls13 = lists_tls13(data);
        break;
      default:
        break;
    }
  }
  return ParseStatus::Found;
}

// ClientHello body (after the 4-byte handshake header), RFC 8446 4.1.2.
ParseStatus parse_body(Bytes body, ClientHelloInfo& out) {
  ByteCursor c(body);
  ByteCursor session_id, suites, compression, exts;
  if (!c.u16(out.legacy_version) || (out.legacy_version >> 8) != 3) return ParseStatus::Malformed;
  if (!c.skip(32)) return ParseStatus::Malformed;  // random
  if (!c.prefixed8(session_id) || session_id.remaining() > 32) return ParseStatus::Malformed;
  if (!c.prefixed16(suites) || suites.empty() || suites.remaining() % 2 != 0) return ParseStatus::Malformed;
  if (!c.prefixed8(compression) || compression.empty()) return ParseStatus::Malformed;
  if (c.empty()) return ParseStatus::Found;  // TLS 1.0-1.2 hello without extensions
  if (!c.prefixed16(exts) || !c.empty()) return ParseStatus::Malformed;
  return parse_extensions(exts, out);
}

// Copies the handshake fragments of the first `records` records into buf and parses the body from there.
// Only used when the message spans several records; kept out of line so the common path has a small frame.
[[gnu::noinline]] ParseStatus parse_gathered(Bytes stream, std::uint16_t records, std::size_t message_total,
                                             ClientHelloInfo& out) {
  std::array<std::uint8_t, kMaxClientHelloMessage> buf;  // NOLINT: filled before use
  std::size_t have = 0, pos = 0;
  for (std::uint16_t r = 0; r < records; ++r) {
    const std::size_t len = (std::size_t{stream[pos + 3]} << 8) | stream[pos + 4];
    std::memcpy(buf.data() + have, stream.data() + pos + kRecordHeader, len);
    have += len;
    pos += kRecordHeader + len;
  }
  if (have != message_total) return ParseStatus::Malformed;  // cannot happen: the walk checked it
  return parse_body(Bytes(buf.data(), have).subspan(kHandshakeHeader), out);
}

}  // namespace

ParseStatus parse_client_hello(std::span<const std::uint8_t> stream, ClientHelloInfo& out) {
  out = ClientHelloInfo{};
  if (stream.empty()) return ParseStatus::NeedMore;
  if (stream[0] != kContentHandshake) return classify_non_handshake(stream);

  std::array<std::uint8_t, kHandshakeHeader> header{};
  std::size_t header_have = 0;   // handshake header bytes seen so far
  std::size_t message_have = 0;  // handshake bytes in the complete records walked so far
  std::size_t message_total = 0;  // 4 + body length, once the header is known
  std::size_t pos = 0;
  std::uint16_t records = 0;
  for (;;) {
    // Record header: ContentType handshake, ProtocolVersion 3.0-3.4, length 1..2^14 (RFC 8446 5.1: zero-length
    // handshake fragments are forbidden). A bad first record means "not TLS"; a bad later one means broken TLS.
    const ParseStatus bad = pos == 0 ? ParseStatus::NotThisProtocol : ParseStatus::Malformed;
    const std::size_t avail = stream.size() - pos;
    if (avail >= 1 && stream[pos] != kContentHandshake) return ParseStatus::Malformed;
    if (avail >= 2 && stream[pos + 1] != 3) return bad;
    if (avail >= 3 && stream[pos + 2] > 4) return bad;
    if (avail < kRecordHeader) return ParseStatus::NeedMore;
    const std::size_t len = (std::size_t{stream[pos + 3]} << 8) | stream[pos + 4];
    if (len == 0 || len > kMaxTlsRecordPayload) return ParseStatus::Malformed;
    ++records;

    const Bytes fragment = stream.subspan(pos + kRecordHeader, std::min(len, avail - kRecordHeader));
    for (std::size_t i = 0; header_have < kHandshakeHeader && i < fragment.size(); ++i)
      header[header_have++] = fragment[i];
    if (header_have >= 1 && header[0] != kHandshakeClientHello) return ParseStatus::Malformed;
    if (header_have == kHandshakeHeader && message_total == 0) {
      const std::size_t body = (std::size_t{header[1]} << 16) | (std::size_t{header[2]} << 8) | header[3];
      message_total = kHandshakeHeader + body;
      if (message_total > kMaxClientHelloMessage) return ParseStatus::Malformed;
    }
    // A record that carries bytes past the end of the ClientHello: another handshake message before the
    // server has answered, which no client sends.
    if (message_total != 0 && message_have + len > message_total) return ParseStatus::Malformed;
    if (fragment.size() < len) return ParseStatus::NeedMore;
    message_have += len;
    pos += kRecordHeader + len;
    if (message_total != 0 && message_have == message_total) break;
  }

  out.bytes_consumed = static_cast<std::uint32_t>(pos);
  out.record_count = records;
  out.message_length = static_cast<std::uint32_t>(message_total - kHandshakeHeader);
  ParseStatus st = records == 1
                       ? parse_body(stream.subspan(kRecordHeader + kHandshakeHeader, out.message_length), out)
                       : parse_gathered(stream, records, message_total, out);
  if (st != ParseStatus::Found) {
    const std::uint32_t consumed = out.bytes_consumed;
    out = ClientHelloInfo{};
    out.bytes_consumed = consumed;
  }
  return st;
}

}  // namespace nfegress::enforcer
