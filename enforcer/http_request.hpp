// enforcer/http_request.hpp — layer: pure parsers.
// HTTP/1.x request head parser (RFC 9110/9112) over a byte span, and a framer that follows a keep-alive or
// pipelined client->server stream so that every request head is found and checked, not only the first.
// Must not: allocate (except HttpRequestHead::host), log, read a clock, throw, or read past the span.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "enforcer/parse_status.hpp"

namespace nfegress::enforcer {

inline constexpr std::size_t kMaxHttpHead = 16384;     // request line + headers + blank line
inline constexpr std::size_t kMaxHttpHeaders = 64;
inline constexpr std::size_t kMaxHttpMethod = 32;
inline constexpr std::size_t kMaxChunkLine = 4096;     // chunk-size line incl. extensions
inline constexpr std::size_t kMaxTrailerBytes = 16384;

struct HttpHeaderView {
  std::string_view name, value;  // value without surrounding whitespace
};

struct HttpRequestHead {
  std::string_view method, target, path, query;  // origin-form or absolute-form (then host comes from target)
  std::string_view version;                      // "HTTP/1.1"
  std::string host;  // lowercased, port stripped ("name:443" -> "name", "[v6]:80" -> "v6"), trailing dot removed
  bool has_host = false;
  std::array<HttpHeaderView, 64> headers{};
  std::uint8_t header_count = 0;  // more than 64 headers = Malformed
  std::uint32_t head_len = 0;     // bytes up to and including the blank line
  enum class Body : std::uint8_t { None, ContentLength, Chunked } body = Body::None;
  std::uint64_t content_length = 0;
  bool expect_continue = false;
  bool connection_close = false;
  bool upgrade = false;  // Upgrade + "Connection: upgrade", or CONNECT: later bytes may not be HTTP

  // Extra detail.
  enum class Form : std::uint8_t { Origin, Absolute, Authority, Asterisk } form = Form::Origin;
  std::string_view authority;  // absolute-form / authority-form authority as sent (with port)

  // First header with this name (case-insensitive), or nullptr.
  const HttpHeaderView* find_header(std::string_view name) const;
};

// Found / NeedMore (no CRLFCRLF yet, within the 16 KiB cap) / NotThisProtocol (not a method token + SP, or the
// HTTP/2 connection preface) / Malformed: bad syntax (bare CR or LF, whitespace before a colon, control bytes),
// obs-fold, head > 16 KiB or > 64 headers, HTTP version other than 1.0/1.1, HTTP/1.1 without Host, duplicate or
// conflicting Host, Host differing from the absolute-form/authority-form authority, userinfo in an authority,
// both Content-Length and Transfer-Encoding, Transfer-Encoding other than exactly "chunked", invalid or
// conflicting Content-Length. `out` is reset on every call and meaningful only for Found.
ParseStatus parse_http_request(std::span<const std::uint8_t> bytes, HttpRequestHead& out);

// A Host value (uri-host [":" port]) normalised the way parse_http_request does it (lowercase, port and brackets
// stripped, no trailing dot); false for what Host may not hold (userinfo, bad port, not a DNS name or IP literal).
// Shared with the HTTP/2 reader (:authority).
bool normalize_authority(std::string_view authority, std::string& host);

// Could a server that is reading a request line take `first` as its first byte? A method's token character, or
// what servers skip before a request line: empty lines (CR, LF; RFC 9112 2.2) and, in lenient parsers, other
// whitespace and NUL. False means the bytes cannot be an HTTP/1.x request (a WebSocket frame, a TLS record).
bool may_start_http_request(std::uint8_t first);

// Follows a client->server HTTP/1.x byte stream (keep-alive and pipelined) and says where each request head
// starts, so every request is checked, not only the first. Body framing by Content-Length and chunked
// (chunk-size lines, extensions, trailers).
//
// Usage, over the in-order stream:
//   while bytes remain:
//     if framer.at_request_start(): parse_http_request(rest) -> NeedMore: wait; Found: check it, then
//         framer.begin_body(head) and skip head.head_len; otherwise deny.
//     else: rest = rest.subspan(framer.consume_body(rest)); if framer.failed(): deny.
class HttpStreamFramer {
 public:
  // Feed the next in-order bytes of the stream. Returns how many bytes were consumed as body/chunk framing before
  // the next request head begins; when at_request_start() is true, the caller must parse a head from the
  // remaining bytes (possibly NeedMore), then call begin_body(head) with the parsed head and skip head.head_len.
  // Once upgraded(), nothing is consumed until the caller has looked at the next bytes (resume_http()).
  std::size_t consume_body(std::span<const std::uint8_t> bytes);
  bool at_request_start() const { return state_ == State::RequestStart; }
  void begin_body(const HttpRequestHead& head);
  bool failed() const { return state_ == State::Failed; }  // malformed chunk framing etc. -> caller denies

  // A request asking to switch protocols (Upgrade/CONNECT) and its body have ended. The enforcer cannot see
  // whether the server agreed (101 / 2xx) or refused (any other status: it reads the next bytes as a request), so
  // the caller looks at what follows: bytes that may be HTTP (may_start_http_request) are read as the next request
  // (resume_http()), anything else belongs to the new protocol.
  bool upgraded() const { return state_ == State::Upgraded; }
  void resume_http() {
    if (state_ == State::Upgraded) state_ = State::RequestStart;
  }
  std::uint64_t requests() const { return requests_; }  // heads passed to begin_body

 private:
  enum class State : std::uint8_t {
    RequestStart,
    FixedBody,     // content-length bytes left in remaining_
    ChunkSize,     // hex digits of a chunk-size line
    ChunkExt,      // after the size: extensions up to CR
    ChunkSizeLF,   // CR seen, LF expected
    ChunkData,     // remaining_ data bytes
    ChunkDataCR,   // CRLF after chunk data
    ChunkDataLF,
    TrailerLineStart,  // start of a trailer line (or the final empty line)
    TrailerLine,       // inside a trailer line
    TrailerLF,         // CR seen inside / ending a trailer line
    FinalLF,           // CR of the empty line ending the trailers seen
    Upgraded,
    Failed,
  };
  void finish_message();
  std::size_t step_chunked(std::span<const std::uint8_t> bytes);

  State state_ = State::RequestStart;
  std::uint64_t remaining_ = 0;
  std::uint32_t line_len_ = 0;     // bytes of the current chunk-size or trailer line
  std::uint32_t trailer_len_ = 0;  // bytes of trailers so far
  std::uint8_t size_digits_ = 0;
  bool upgrade_after_ = false;
  std::uint64_t requests_ = 0;
};

}  // namespace nfegress::enforcer
