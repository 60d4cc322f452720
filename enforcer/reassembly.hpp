// enforcer/reassembly.hpp — layer: pure flow state (no sockets).
// Reassembles the first client bytes of one TCP flow by sequence number (mod 2^32 arithmetic): out of order,
// retransmitted and overlapping segments. Overlap with different bytes is reported (the caller denies: the
// enforcer and the server could otherwise see different streams). Bounded in bytes and segments.
// Must not: log, read a clock, throw, or allocate beyond its bounded storage (allocated on the first byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace nfegress::enforcer {

struct ReassemblyLimits {
  std::uint32_t max_bytes = 16 * 1024;  // bytes from start_seq the buffer may hold
  std::uint16_t max_segments = 64;      // runs of held bytes (touching segments are one run): bounds the holes
};

enum class AddResult : std::uint8_t {
  Ok,           // new bytes stored
  Duplicate,    // every byte was already held (identical) or the payload is empty
  Conflict,     // overlaps held bytes with different content: deny
  OverLimit,    // would pass start+max_bytes or hold more than max_segments: deny
  BeforeStart,  // entirely before start_seq: a retransmission of bytes already released
};

const char* to_string(AddResult r);

class FlowBuffer {
 public:
  explicit FlowBuffer(std::uint32_t start_seq, ReassemblyLimits limits = {});  // start_seq = ISN+1
  FlowBuffer(FlowBuffer&&) noexcept = default;
  FlowBuffer& operator=(FlowBuffer&&) noexcept = default;

  // Out of order, retransmitted and overlapping segments; overlap with DIFFERENT bytes = Conflict (caller denies).
  // Bytes beyond start+max_bytes = OverLimit. Data entirely before the start = BeforeStart (retransmission of
  // bytes already released); the part of a segment before the start is ignored. Nothing is stored unless Ok.
  // A sequence number more than 2^31 ahead of the start counts as behind it (mod 2^32).
  AddResult add(std::uint32_t seq, std::span<const std::uint8_t> payload);

  std::span<const std::uint8_t> contiguous() const { return {data_.get(), contiguous_}; }  // from start_seq, no gap
  std::uint32_t start_seq() const { return start_; }
  std::size_t segments() const { return segs_.size(); }
  std::size_t buffered_bytes() const { return buffered_; }
  const ReassemblyLimits& limits() const { return limits_; }
  // First sequence number after the contiguous bytes (what a receiver would ACK).
  std::uint32_t contiguous_end_seq() const { return start_ + static_cast<std::uint32_t>(contiguous_); }

  // Drop the first n contiguous bytes (already decided and released) and move start forward (HTTP keep-alive).
  // n is clamped to contiguous().size(). Segments wholly released stop counting against max_segments.
  void advance(std::size_t n);

 private:
  struct Segment {
    std::uint32_t off;  // from start_
    std::uint32_t len;
  };
  void recompute();

  std::uint32_t start_;
  ReassemblyLimits limits_;
  std::unique_ptr<std::uint8_t[]> data_;  // limits_.max_bytes, allocated on the first stored byte
  std::vector<Segment> segs_;             // sorted by off, none touching another; at most limits_.max_segments
  std::size_t contiguous_ = 0;
  std::size_t buffered_ = 0;
};

}  // namespace nfegress::enforcer
