// enforcer/http_framer.cpp — layer: pure parsers. Message framing of a client->server HTTP/1.x stream
// (RFC 9112 6-7): Content-Length bodies and chunked bodies (chunk-size lines, extensions, trailers), so each
// pipelined or keep-alive request head is found. Keeps a few counters, never buffers bytes.
// Must not: allocate, log, read a clock, throw.
#include <algorithm>

#include "enforcer/http_request.hpp"

namespace nfegress::enforcer {
namespace {

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr bool is_ctl(std::uint8_t c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace

void HttpStreamFramer::begin_body(const HttpRequestHead& head) {
  if (state_ == State::Failed) return;
  ++requests_;
  upgrade_after_ = head.upgrade;
  remaining_ = 0;
  line_len_ = 0;
  trailer_len_ = 0;
  size_digits_ = 0;
  switch (head.body) {
    case HttpRequestHead::Body::None:
      finish_message();
      break;
    case HttpRequestHead::Body::ContentLength:
      remaining_ = head.content_length;
      if (remaining_ == 0) finish_message();
      else state_ = State::FixedBody;
      break;
    case HttpRequestHead::Body::Chunked:
      state_ = State::ChunkSize;
      break;
  }
}

void HttpStreamFramer::finish_message() { state_ = upgrade_after_ ? State::Upgraded : State::RequestStart; }

std::size_t HttpStreamFramer::consume_body(std::span<const std::uint8_t> bytes) {
  std::size_t used = 0;
  while (used < bytes.size()) {
    switch (state_) {
      case State::RequestStart:
      case State::Failed:
        return used;
      case State::Upgraded:  // the caller decides what the next bytes are (resume_http())
        return used;
      case State::FixedBody:
      case State::ChunkData: {
        const std::uint64_t n = std::min<std::uint64_t>(remaining_, bytes.size() - used);
        used += static_cast<std::size_t>(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          if (state_ == State::FixedBody) finish_message();
          else state_ = State::ChunkDataCR;
        }
        break;
      }
      default:
        used += step_chunked(bytes.subspan(used));
        break;
    }
  }
  return used;
}

// Runs the chunk framing state machine over bytes until a data section starts, the message ends, or framing
// fails; returns the bytes it consumed (the failing byte is not consumed).
std::size_t HttpStreamFramer::step_chunked(std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  auto fail = [&] {
    state_ = State::Failed;
    return i;
  };
  for (; i < bytes.size(); ++i) {
    const std::uint8_t c = bytes[i];
    switch (state_) {
      case State::ChunkSize:  // chunk-size = 1*HEXDIG
        if (++line_len_ > kMaxChunkLine) return fail();
        if (const int v = hex_value(c); v >= 0) {
          if ((remaining_ >> 60) != 0) return fail();  // would overflow 64 bits
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
          size_digits_ = 1;
        } else if (size_digits_ == 0) {
          return fail();
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::ChunkExt;  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
        } else if (c == '\r') {
          state_ = State::ChunkSizeLF;
        } else {
          return fail();
        }
        break;
      case State::ChunkExt:
        if (++line_len_ > kMaxChunkLine) return fail();
        if (c == '\r') state_ = State::ChunkSizeLF;
        else if (is_ctl(c)) return fail();  // bare LF, NUL, ...
        break;
      case State::ChunkSizeLF:
        if (c != '\n') return fail();
        line_len_ = 0;
        size_digits_ = 0;
        state_ = remaining_ == 0 ? State::TrailerLineStart : State::ChunkData;
        if (state_ == State::ChunkData) return i + 1;
        break;
      case State::ChunkDataCR:
        if (c != '\r') return fail();
        state_ = State::ChunkDataLF;
        break;
      case State::ChunkDataLF:
        if (c != '\n') return fail();
        state_ = State::ChunkSize;
        remaining_ = 0;
        break;
      case State::TrailerLineStart:
        if (++trailer_len_ > kMaxTrailerBytes) return fail();
        if (c == '\r') state_ = State::FinalLF;
        else if (c == ' ' || c == '\t' || is_ctl(c)) return fail();  // obs-fold, bare LF
        else state_ = State::TrailerLine;
        break;
      case State::TrailerLine:
        if (++trailer_len_ > kMaxTrailerBytes) return fail();
        if (c == '\r') state_ = State::TrailerLF;
        else if (is_ctl(c)) return fail();
        break;
      case State::TrailerLF:
        if (c != '\n') return fail();
        state_ = State::TrailerLineStart;
        break;
      case State::FinalLF:
        if (c != '\n') return fail();
        finish_message();
        return i + 1;
      default:
        return i;
    }
  }
  return i;
}

}  // namespace nfegress::enforcer
