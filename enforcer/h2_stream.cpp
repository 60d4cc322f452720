// enforcer/h2_stream.cpp — layer: pure parsers. See h2_stream.hpp. HPACK decoding is nghttp2's (libnghttp2), the
// framing and the request rules are here.
#include "enforcer/h2_stream.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "enforcer/http_request.hpp"

namespace nfegress::enforcer {
namespace {

enum FrameType : std::uint8_t { Data = 0, Headers = 1, PushPromise = 5, Continuation = 9 };
enum Flag : std::uint8_t { EndHeaders = 0x4, Padded = 0x8, Priority = 0x20 };
constexpr std::size_t kFrameHeader = 9;

bool is_grpc(std::string_view content_type) {
  constexpr std::string_view g = "application/grpc";
  if (content_type.size() < g.size()) return false;
  for (std::size_t i = 0; i < g.size(); ++i)
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(content_type[i]))) != g[i]) return false;
  return content_type.size() == g.size() || content_type[g.size()] == '+' || content_type[g.size()] == ';';
}

}  // namespace

struct H2ClientStream::Block {
  bool request = false;     // a new stream's request head (else trailers: decoded for the table, not checked)
  bool regular_seen = false;
  bool has_method = false, has_path = false, has_authority = false, has_host_header = false;
  std::size_t decoded = 0;  // bytes of names and values so far
  std::string authority, host_header;
  H2RequestHead head;
};

void H2ClientStream::InflaterFree::operator()(nghttp2_hd_inflater* p) const { nghttp2_hd_inflate_del(p); }

H2ClientStream::H2ClientStream() : block_(std::make_unique<Block>()) {
  nghttp2_hd_inflater* p = nullptr;
  if (nghttp2_hd_inflate_new(&p) != 0 || p == nullptr) {
    failed_ = true;  // out of memory: every call says Malformed (the flow is denied, never let through unseen)
    return;
  }
  inflater_.reset(p);
  if (nghttp2_hd_inflate_change_table_size(p, kMaxH2TableSize) != 0) failed_ = true;
}

H2ClientStream::~H2ClientStream() = default;

bool H2ClientStream::looks_like_preface(std::span<const std::uint8_t> bytes) {
  const std::size_t n = std::min(bytes.size(), kH2Preface.size());
  return n > 0 && std::memcmp(bytes.data(), kH2Preface.data(), n) == 0;
}

ParseStatus H2ClientStream::fail() {
  failed_ = true;
  return ParseStatus::Malformed;
}

ParseStatus H2ClientStream::next(std::span<const std::uint8_t> bytes, std::size_t& used, H2RequestHead& out) {
  used = 0;
  if (failed_) return ParseStatus::Malformed;
  if (!preface_done_) {
    if (bytes.empty()) return ParseStatus::NeedMore;
    if (!looks_like_preface(bytes)) return ParseStatus::NotThisProtocol;
    if (bytes.size() < kH2Preface.size()) return ParseStatus::NeedMore;
    used = kH2Preface.size();
    preface_done_ = true;
  }
  while (true) {
    const auto rest = bytes.subspan(used);
    if (skip_ > 0) {
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, rest.size()));
      skip_ -= k;
      used += k;
      if (skip_ > 0) return ParseStatus::NeedMore;
      continue;
    }
    if (rest.size() < kFrameHeader) return ParseStatus::NeedMore;
    const std::uint32_t len = (std::uint32_t{rest[0]} << 16) | (std::uint32_t{rest[1]} << 8) | rest[2];
    const std::uint8_t type = rest[3], flags = rest[4];
    const std::uint32_t stream = ((std::uint32_t{rest[5]} << 24) | (std::uint32_t{rest[6]} << 16) |
                                  (std::uint32_t{rest[7]} << 8) | rest[8]) & 0x7fffffffU;
    if (in_block_ && (type != Continuation || stream != block_stream_)) return fail();  // RFC 9113 6.10
    if (type == Headers || type == Continuation) {
      if (len > kMaxH2HeaderFrame) return fail();
      if (rest.size() < kFrameHeader + len) return ParseStatus::NeedMore;
      bool done = false;
      if (!frame(type, flags, stream, rest.subspan(kFrameHeader, len), done)) return fail();
      used += kFrameHeader + len;
      if (done) {
        if (!finish(out)) return fail();
        return ParseStatus::Found;
      }
      continue;
    }
    if (type == PushPromise) return fail();                                     // servers only
    if (type == Data && (stream == 0 || stream > last_stream_)) return fail();  // data for a stream never opened
    used += kFrameHeader;
    skip_ = len;  // SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, PRIORITY, GOAWAY, DATA, unknown: not requests
  }
}

bool H2ClientStream::frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                           std::span<const std::uint8_t> payload, bool& request_done) {
  if (type == Continuation && !in_block_) return false;
  if (type == Headers) {
    if (stream == 0 || stream % 2 == 0) return false;  // client streams are odd
    if (flags & Padded) {
      if (payload.empty() || payload[0] >= payload.size()) return false;
      payload = payload.subspan(1, payload.size() - 1 - payload[0]);
    }
    if (flags & Priority) {
      if (payload.size() < 5) return false;
      payload = payload.subspan(5);
    }
    *block_ = Block{};
    block_->request = stream > last_stream_;
    if (block_->request) last_stream_ = stream;
    block_->head.stream_id = stream;
    block_stream_ = stream;
    in_block_ = true;
  }
  const bool end = (flags & EndHeaders) != 0;
  if (!inflate(payload, end)) return false;
  if (end) in_block_ = false;
  request_done = end && block_->request;
  return true;
}

bool H2ClientStream::inflate(std::span<const std::uint8_t> fragment, bool final) {
  const std::uint8_t* in = fragment.data();
  std::size_t left = fragment.size();
  while (true) {
    nghttp2_nv nv{};
    int flags = 0;
    const auto n = nghttp2_hd_inflate_hd2(inflater_.get(), &nv, &flags, in, left, final ? 1 : 0);
    if (n < 0) return false;
    in += n;
    left -= static_cast<std::size_t>(n);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) &&
        !header(std::string_view(reinterpret_cast<const char*>(nv.name), nv.namelen),
                std::string_view(reinterpret_cast<const char*>(nv.value), nv.valuelen)))
      return false;
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater_.get());
      return left == 0;
    }
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && left == 0) return !final;
  }
}

bool H2ClientStream::header(std::string_view name, std::string_view value) {
  Block& b = *block_;
  b.decoded += name.size() + value.size();
  if (b.decoded > kMaxH2HeaderBytes || name.empty()) return false;
  if (!b.request) return true;  // trailers: only the table state matters
  for (char c : name)
    if (c >= 'A' && c <= 'Z') return false;  // RFC 9113 8.2.1
  if (name.front() == ':') {
    if (b.regular_seen) return false;  // pseudo-headers come first (8.3)
    auto once = [](bool& seen) { return !std::exchange(seen, true); };
    if (name == ":method") {
      if (!once(b.has_method)) return false;
      b.head.method = value;
    } else if (name == ":path") {
      if (!once(b.has_path) || value.empty()) return false;
      const auto q = value.find('?');
      b.head.path = value.substr(0, q);
      if (q != std::string_view::npos) b.head.query = value.substr(q + 1);
    } else if (name == ":authority") {
      if (!once(b.has_authority)) return false;
      b.authority = value;
    } else if (name != ":scheme" && name != ":protocol") {
      return false;  // unknown or response pseudo-header
    }
    return true;
  }
  b.regular_seen = true;
  if (name == "host") {
    if (b.has_host_header) return false;
    b.has_host_header = true;
    b.host_header = value;
  } else if (name == "content-type") {
    b.head.grpc = is_grpc(value);
  }
  if (b.head.headers.size() >= kMaxH2Headers) return false;
  b.head.headers.emplace_back(name, value);
  return true;
}

bool H2ClientStream::finish(H2RequestHead& out) {
  Block& b = *block_;
  if (!b.has_method || (!b.has_path && b.head.method != "CONNECT")) return false;
  std::string from_authority, from_host;
  if (b.has_authority && !b.authority.empty() && !normalize_authority(b.authority, from_authority)) return false;
  if (b.has_host_header && !b.host_header.empty() && !normalize_authority(b.host_header, from_host)) return false;
  if (!from_authority.empty() && !from_host.empty() && from_authority != from_host) return false;  // conflicting
  b.head.host = !from_authority.empty() ? std::move(from_authority) : std::move(from_host);
  b.head.has_host = !b.head.host.empty();
  out = std::move(b.head);
  return true;
}

}  // namespace nfegress::enforcer
