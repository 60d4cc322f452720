// tests/fuzz/fuzz_reassembly.cpp — libFuzzer target: the input is a program of segment adds and advances on one
// FlowBuffer (small limits so bounds are hit), checked after every step against a shadow model (stream position
// -> byte held): results are justified (Ok stores, Conflict means a held byte differed, Duplicate means
// everything was held, OverLimit means a bound), contiguous() equals the shadow from the start, counts match, and
// the buffer keeps exactly one record per run of held bytes (touching segments are joined).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "enforcer/reassembly.hpp"
#include "fuzz_check.hpp"

using nfegress::enforcer::AddResult;
using nfegress::enforcer::FlowBuffer;
using nfegress::enforcer::ReassemblyLimits;

namespace {

// The stream every honest segment carries: a byte that depends on its absolute position.
std::uint8_t truth(std::int64_t pos) { return static_cast<std::uint8_t>(pos * 131 + 7); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in{data, size};
  const std::uint32_t isn = in.u32();
  ReassemblyLimits lim;
  lim.max_bytes = 16u + in.u8() * 8u;                          // 16 .. 2056
  lim.max_segments = static_cast<std::uint16_t>(1 + in.u8() % 16);
  FlowBuffer fb(isn, lim);
  std::int64_t start = 0;  // absolute position of start_seq
  // Shadow of what the buffer holds: held[i] is the byte at position start + i, or -1. Nothing may be held at
  // or beyond start + max_bytes.
  std::vector<int> held(lim.max_bytes, -1);
  std::size_t held_count = 0;
  auto at = [&](std::int64_t pos) -> int {
    return pos >= start && pos - start < static_cast<std::int64_t>(lim.max_bytes)
               ? held[static_cast<std::size_t>(pos - start)]
               : -1;
  };
  std::vector<std::uint8_t> payload;

  for (int step = 0; step < 256 && in.n > 0; ++step) {
    const std::uint8_t op = in.u8();
    if (op % 4 == 3) {  // advance
      const std::size_t want = in.u16() % (lim.max_bytes + 8);
      const std::size_t n = std::min(want, fb.contiguous().size());
      fb.advance(want);
      for (std::size_t i = 0; i < n; ++i) held_count -= held[i] >= 0;
      held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(n));
      held.resize(lim.max_bytes, -1);
      start += static_cast<std::int64_t>(n);
    } else {  // add a segment at a position relative to the start (before it, inside, past the limit)
      std::int64_t rel = static_cast<std::int16_t>(in.u16()) % (static_cast<std::int64_t>(lim.max_bytes) + 64);
      std::uint32_t seq = isn + static_cast<std::uint32_t>(start + rel);
      if (op % 4 == 2 && (op & 0x80)) {  // a sequence number far away (wraps past 2^31)
        seq = in.u32();
        rel = static_cast<std::int32_t>(seq - (isn + static_cast<std::uint32_t>(start)));
      }
      const std::size_t len = in.u8() % 200;
      payload.resize(len);
      for (std::size_t i = 0; i < len; ++i) payload[i] = truth(start + rel + static_cast<std::int64_t>(i));
      if (op % 4 == 1 && len > 0) {  // a segment that lies about one byte
        const std::size_t at = in.u8() % len;
        payload[at] ^= static_cast<std::uint8_t>(1 | in.u8());
      }
      const std::size_t segs_before = fb.segments();
      const AddResult r = fb.add(seq, payload);

      const std::int64_t lo = std::max<std::int64_t>(start, start + rel);
      const std::int64_t hi = start + rel + static_cast<std::int64_t>(len);
      bool differs = false, all_held = true;
      for (std::int64_t pos = lo; pos < hi; ++pos) {
        const int h = at(pos);
        if (h < 0) all_held = false;
        else if (h != payload[static_cast<std::size_t>(pos - (start + rel))]) differs = true;
      }
      switch (r) {
        case AddResult::Ok:
          FUZZ_CHECK(!differs && !all_held && hi - start <= static_cast<std::int64_t>(lim.max_bytes));
          // A new run needs room; one that joins a run it touches does not (issue 19: runs, not writes).
          FUZZ_CHECK(segs_before < lim.max_segments || fb.segments() <= segs_before);
          for (std::int64_t pos = lo; pos < hi; ++pos) {
            int& h = held[static_cast<std::size_t>(pos - start)];
            held_count += h < 0;
            h = payload[static_cast<std::size_t>(pos - (start + rel))];
          }
          break;
        case AddResult::Duplicate: FUZZ_CHECK(len == 0 || (all_held && !differs)); break;
        case AddResult::Conflict: FUZZ_CHECK(differs); break;
        case AddResult::OverLimit:
          FUZZ_CHECK(hi - start > static_cast<std::int64_t>(lim.max_bytes) || segs_before >= lim.max_segments);
          break;
        case AddResult::BeforeStart: FUZZ_CHECK(len > 0 && hi <= start); break;
      }
    }
    // The buffer and the shadow agree.
    FUZZ_CHECK(fb.start_seq() == isn + static_cast<std::uint32_t>(start));
    FUZZ_CHECK(fb.buffered_bytes() == held_count);
    FUZZ_CHECK(fb.segments() <= lim.max_segments);
    std::size_t runs = 0;  // the buffer keeps one record per run of held bytes
    for (std::size_t i = 0; i < held.size(); ++i) runs += held[i] >= 0 && (i == 0 || held[i - 1] < 0);
    FUZZ_CHECK(fb.segments() == runs);
    const auto c = fb.contiguous();
    FUZZ_CHECK(c.size() <= lim.max_bytes);
    for (std::size_t i = 0; i < c.size(); ++i) FUZZ_CHECK(held[i] == c[i]);
    FUZZ_CHECK(c.size() == lim.max_bytes || held[c.size()] < 0);
    FUZZ_CHECK(fb.contiguous_end_seq() == static_cast<std::uint32_t>(fb.start_seq() + c.size()));
  }
  return 0;
}
