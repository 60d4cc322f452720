// enforcer/h2_stream.hpp — layer: pure parsers. The client->server half of a cleartext HTTP/2 connection (prior
// knowledge, RFC 9113 §3.3; what gRPC without TLS speaks): checks the connection preface, frames every client
// frame, and decodes every header block with nghttp2's HPACK inflater (which keeps the connection's dynamic
// table), so each request head — every gRPC call of a connection — is found and checked, not only the first.
// Strict where a request's identity is decided: one :authority/:path/:method, no pseudo-header after a regular
// one, no uppercase names, :authority and host agreeing, CONTINUATION only right after its HEADERS, no DATA for a
// stream that has not opened. Must not: log, read a clock, throw, or read past the span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enforcer/parse_status.hpp"

struct nghttp2_hd_inflater;

namespace nfegress::enforcer {

inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr std::size_t kMaxH2HeaderFrame = 16384;  // HEADERS/CONTINUATION payload (the default frame size)
inline constexpr std::size_t kMaxH2HeaderBytes = 16384;  // decoded names + values of one header block
inline constexpr std::size_t kMaxH2Headers = 64;         // regular header fields of one request
inline constexpr std::size_t kMaxH2TableSize = 65536;    // HPACK dynamic table size a client may switch to

struct H2RequestHead {
  std::uint32_t stream_id = 0;
  std::string method, path, query;  // :path split at the first '?'
  std::string host;                 // :authority (else host), lowercased, port stripped, no trailing dot
  bool has_host = false;
  bool grpc = false;                // content-type application/grpc, application/grpc+..., application/grpc;...
  std::vector<std::pair<std::string, std::string>> headers;  // regular fields, names lowercase, in order
};

class H2ClientStream {
 public:
  H2ClientStream();
  ~H2ClientStream();
  H2ClientStream(const H2ClientStream&) = delete;
  H2ClientStream& operator=(const H2ClientStream&) = delete;

  // True when `bytes` start with the connection preface or are a prefix of it.
  static bool looks_like_preface(std::span<const std::uint8_t> bytes);

  // Reads from `bytes`, the stream's next unconsumed bytes; `used` says how many were consumed (frames skipped
  // part-way count). Found: a request head is complete in `out` (consumed up to the end of its header block; call
  // again with the rest). NeedMore: everything usable was consumed. NotThisProtocol: no preface (only before it
  // completed). Malformed: a protocol violation or a bound; every later call says Malformed too.
  ParseStatus next(std::span<const std::uint8_t> bytes, std::size_t& used, H2RequestHead& out);

 private:
  struct Block;  // the header block being decoded
  bool frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::span<const std::uint8_t> payload,
             bool& request_done);
  bool inflate(std::span<const std::uint8_t> fragment, bool final);
  bool header(std::string_view name, std::string_view value);
  bool finish(H2RequestHead& out);
  ParseStatus fail();

  struct InflaterFree {
    void operator()(nghttp2_hd_inflater* p) const;
  };
  std::unique_ptr<nghttp2_hd_inflater, InflaterFree> inflater_;
  std::unique_ptr<Block> block_;
  bool preface_done_ = false;
  bool failed_ = false;
  bool in_block_ = false;         // a HEADERS without END_HEADERS was read: only CONTINUATION may follow
  std::uint32_t block_stream_ = 0;
  std::uint32_t last_stream_ = 0;  // highest stream the client opened
  std::uint64_t skip_ = 0;        // payload bytes of a skipped frame still to come
};

}  // namespace nfegress::enforcer
