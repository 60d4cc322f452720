// enforcer/byte_cursor.hpp — layer: pure parsers (helper).
// A bounds-checked big-endian reader over a byte span. Every read checks the remaining length first and fails
// (returns false, leaves the cursor unchanged) instead of reading past the end. Must not: allocate, throw, log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace nfegress::enforcer {

class ByteCursor {
 public:
  constexpr ByteCursor() = default;
  constexpr explicit ByteCursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  constexpr std::size_t remaining() const { return bytes_.size() - pos_; }
  constexpr std::size_t position() const { return pos_; }
  constexpr bool empty() const { return pos_ == bytes_.size(); }
  constexpr std::span<const std::uint8_t> rest() const { return bytes_.subspan(pos_); }

  constexpr bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = bytes_[pos_];
    pos_ += 1;
    return true;
  }
  constexpr bool u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  constexpr bool u24(std::uint32_t& v) {
    if (remaining() < 3) return false;
    v = (std::uint32_t{bytes_[pos_]} << 16) | (std::uint32_t{bytes_[pos_ + 1]} << 8) | bytes_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  constexpr bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // Takes the next n bytes as a sub-span.
  constexpr bool take(std::size_t n, std::span<const std::uint8_t>& out) {
    if (remaining() < n) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A vector with a u8 / u16 length prefix (TLS `opaque x<0..2^8-1>` / `<0..2^16-1>`): a sub-cursor over its body.
  constexpr bool prefixed8(ByteCursor& out) {
    const std::size_t save = pos_;
    std::uint8_t n = 0;
    std::span<const std::uint8_t> body;
    if (!u8(n) || !take(n, body)) return (pos_ = save), false;
    out = ByteCursor(body);
    return true;
  }
  constexpr bool prefixed16(ByteCursor& out) {
    const std::size_t save = pos_;
    std::uint16_t n = 0;
    std::span<const std::uint8_t> body;
    if (!u16(n) || !take(n, body)) return (pos_ = save), false;
    out = ByteCursor(body);
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_{};
  std::size_t pos_ = 0;
};

}  // namespace nfegress::enforcer
