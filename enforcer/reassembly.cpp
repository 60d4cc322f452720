// enforcer/reassembly.cpp — layer: pure flow state. See reassembly.hpp. Segments are kept as (offset, length)
// records sorted by offset over one flat buffer of max_bytes; with at most max_segments (64) records every
// operation is a short linear walk. Must not: log, read a clock, throw.
#include "enforcer/reassembly.hpp"

#include <algorithm>
#include <cstring>

namespace nfegress::enforcer {

const char* to_string(AddResult r) {
  switch (r) {
    case AddResult::Ok: return "ok";
    case AddResult::Duplicate: return "duplicate";
    case AddResult::Conflict: return "conflict";
    case AddResult::OverLimit: return "over_limit";
    case AddResult::BeforeStart: return "before_start";
  }
  return "unknown";
}

FlowBuffer::FlowBuffer(std::uint32_t start_seq, ReassemblyLimits limits) : start_(start_seq), limits_(limits) {}

AddResult FlowBuffer::add(std::uint32_t seq, std::span<const std::uint8_t> payload) {
  if (payload.empty()) return AddResult::Duplicate;
  // Signed distance from the start, mod 2^32 (RFC 793 sequence arithmetic).
  std::int64_t off = static_cast<std::int32_t>(seq - start_);
  std::int64_t end = off + static_cast<std::int64_t>(payload.size());
  if (end <= 0) return AddResult::BeforeStart;
  if (off < 0) {  // starts before the start: those bytes were released already
    payload = payload.subspan(static_cast<std::size_t>(-off));
    off = 0;
  }
  if (end > static_cast<std::int64_t>(limits_.max_bytes)) return AddResult::OverLimit;
  const auto o = static_cast<std::uint32_t>(off), e = static_cast<std::uint32_t>(end);

  // Compare against every held segment it overlaps, and measure how much of [o, e) is already held.
  std::uint32_t covered = 0, cursor = o;  // union of held bytes within [o, e), walked in offset order
  for (const Segment& s : segs_) {
    const std::uint32_t lo = std::max(o, s.off), hi = std::min(e, s.off + s.len);
    if (lo >= hi) continue;
    if (std::memcmp(data_.get() + lo, payload.data() + (lo - o), hi - lo) != 0) return AddResult::Conflict;
    const std::uint32_t from = std::max(lo, cursor);
    if (hi > from) {
      covered += hi - from;
      cursor = hi;
    }
  }
  if (covered == e - o) return AddResult::Duplicate;
  const bool joins =
      std::any_of(segs_.begin(), segs_.end(), [o, e](const Segment& s) { return s.off <= e && o <= s.off + s.len; });
  if (!joins && segs_.size() >= limits_.max_segments) return AddResult::OverLimit;

  if (!data_) {
    data_ = std::make_unique_for_overwrite<std::uint8_t[]>(limits_.max_bytes);
    segs_.reserve(limits_.max_segments + 1u);  // + the one merged right after its insert
  }
  std::memcpy(data_.get() + o, payload.data(), payload.size());
  const Segment seg{o, e - o};
  segs_.insert(std::upper_bound(segs_.begin(), segs_.end(), seg,
                                [](const Segment& a, const Segment& b) { return a.off < b.off; }),
               seg);
  // Records that touch or overlap become one run: a first flight written a byte at a time is one record, so
  // max_segments bounds the holes, not the writes (issue 19; the engine bounds the packets it keeps itself).
  std::size_t kept = 0;
  for (const Segment& s : segs_) {
    if (kept > 0 && s.off <= segs_[kept - 1].off + segs_[kept - 1].len) {
      Segment& last = segs_[kept - 1];
      last.len = std::max(last.off + last.len, s.off + s.len) - last.off;
    } else {
      segs_[kept++] = s;
    }
  }
  segs_.resize(kept);
  recompute();
  return AddResult::Ok;
}

void FlowBuffer::advance(std::size_t n) {
  n = std::min(n, contiguous_);
  if (n == 0) return;
  const auto k = static_cast<std::uint32_t>(n);
  std::uint32_t high = 0;
  std::size_t kept = 0;
  for (const Segment& s : segs_) {
    const std::uint32_t end = s.off + s.len;
    if (end <= k) continue;  // wholly released
    const std::uint32_t off = std::max(s.off, k);
    segs_[kept++] = Segment{off - k, end - off};
    high = std::max(high, end - k);
  }
  segs_.resize(kept);
  if (high > 0) std::memmove(data_.get(), data_.get() + k, high);
  start_ += k;
  recompute();
}

void FlowBuffer::recompute() {
  std::uint32_t contiguous = 0, cursor = 0, buffered = 0;
  bool gap = false;
  for (const Segment& s : segs_) {
    const std::uint32_t end = s.off + s.len;
    if (!gap && s.off > contiguous) gap = true;
    if (!gap) contiguous = std::max(contiguous, end);
    const std::uint32_t from = std::max(s.off, cursor);
    if (end > from) {
      buffered += end - from;
      cursor = end;
    }
  }
  contiguous_ = contiguous;
  buffered_ = buffered;
}

}  // namespace nfegress::enforcer
