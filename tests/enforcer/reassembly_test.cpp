// tests/enforcer/reassembly_test.cpp — FlowBuffer: order, retransmission, overlap, conflict, limits, release
// (advance) and sequence numbers that wrap at 2^32.
#include "enforcer/reassembly.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/enforcer/test_data.hpp"

namespace nfegress::enforcer {
namespace {

using namespace testing;  // NOLINT

std::string text(const FlowBuffer& b) {
  const auto c = b.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data()), c.size());
}
AddResult add(FlowBuffer& b, std::uint32_t seq, std::string_view s) { return b.add(seq, span_of(s)); }

TEST(FlowBuffer, InOrder) {
  FlowBuffer b(1000);
  EXPECT_EQ(b.start_seq(), 1000u);
  EXPECT_TRUE(b.contiguous().empty());
  EXPECT_EQ(add(b, 1000, "hello "), AddResult::Ok);
  EXPECT_EQ(add(b, 1006, "world"), AddResult::Ok);
  EXPECT_EQ(text(b), "hello world");
  EXPECT_EQ(b.segments(), 1u) << "touching segments are one run (issue 19: a flight written a byte at a time)";
  EXPECT_EQ(b.buffered_bytes(), 11u);
  EXPECT_EQ(b.contiguous_end_seq(), 1011u);
}

TEST(FlowBuffer, OutOfOrderFillsTheGap) {
  FlowBuffer b(1);
  EXPECT_EQ(add(b, 7, "world"), AddResult::Ok);
  EXPECT_EQ(text(b), "");
  EXPECT_EQ(b.buffered_bytes(), 5u);
  EXPECT_EQ(add(b, 12, "!"), AddResult::Ok);
  EXPECT_EQ(text(b), "");
  EXPECT_EQ(add(b, 1, "hello "), AddResult::Ok);
  EXPECT_EQ(text(b), "hello world!");
  EXPECT_EQ(b.segments(), 1u) << "the gap filled: one run";
}

TEST(FlowBuffer, RetransmissionsAndOverlaps) {
  FlowBuffer b(100);
  EXPECT_EQ(add(b, 100, "abcdef"), AddResult::Ok);
  EXPECT_EQ(add(b, 100, "abcdef"), AddResult::Duplicate);
  EXPECT_EQ(add(b, 102, "cd"), AddResult::Duplicate);
  EXPECT_EQ(b.segments(), 1u);
  EXPECT_EQ(add(b, 104, "efgh"), AddResult::Ok);  // overlaps "ef", adds "gh"
  EXPECT_EQ(text(b), "abcdefgh");
  EXPECT_EQ(add(b, 110, "kl"), AddResult::Ok);
  EXPECT_EQ(add(b, 99 + 1, "abcdefghijkl"), AddResult::Ok);  // covers everything and fills the gap
  EXPECT_EQ(text(b), "abcdefghijkl");
  EXPECT_EQ(add(b, 101, "bcdefghijk"), AddResult::Duplicate);
  EXPECT_EQ(b.buffered_bytes(), 12u);
  EXPECT_EQ(add(b, 100, ""), AddResult::Duplicate);
}

TEST(FlowBuffer, ConflictingOverlapIsReportedAndNotStored) {
  FlowBuffer b(100);
  ASSERT_EQ(add(b, 100, "GET /ok HTTP/1.1"), AddResult::Ok);
  EXPECT_EQ(add(b, 104, "/no"), AddResult::Conflict);
  EXPECT_EQ(add(b, 110, "HTTP/1.0 and more"), AddResult::Conflict);  // conflict at the last overlapping byte
  EXPECT_EQ(text(b), "GET /ok HTTP/1.1");
  EXPECT_EQ(b.segments(), 1u);
  // A conflict with a segment beyond a gap is found too.
  ASSERT_EQ(add(b, 200, "zzzz"), AddResult::Ok);
  EXPECT_EQ(add(b, 198, "..zzzy"), AddResult::Conflict);
  EXPECT_EQ(add(b, 198, "..zzzz"), AddResult::Ok);
}

TEST(FlowBuffer, ByteLimit) {
  FlowBuffer b(0, ReassemblyLimits{.max_bytes = 10, .max_segments = 64});
  EXPECT_EQ(add(b, 5, "56789"), AddResult::Ok);   // ends exactly at the limit
  EXPECT_EQ(add(b, 9, "9A"), AddResult::OverLimit);
  EXPECT_EQ(add(b, 10, "A"), AddResult::OverLimit);
  EXPECT_EQ(add(b, 0, "01234"), AddResult::Ok);
  EXPECT_EQ(text(b), "0123456789");
  b.advance(4);  // releasing bytes makes room
  EXPECT_EQ(add(b, 10, "ABCD"), AddResult::Ok);
  EXPECT_EQ(text(b), "456789ABCD");
  EXPECT_EQ(add(b, 14, "E"), AddResult::OverLimit);
}

TEST(FlowBuffer, SegmentLimit) {
  FlowBuffer b(0, ReassemblyLimits{.max_bytes = 1000, .max_segments = 3});
  EXPECT_EQ(add(b, 10, "a"), AddResult::Ok);
  EXPECT_EQ(add(b, 20, "b"), AddResult::Ok);
  EXPECT_EQ(add(b, 30, "c"), AddResult::Ok);
  EXPECT_EQ(add(b, 30, "c"), AddResult::Duplicate);  // a retransmission does not count
  EXPECT_EQ(add(b, 40, "d"), AddResult::OverLimit);
  EXPECT_EQ(add(b, 0, "0123456789"), AddResult::Ok) << "it joins the run at 10: no new record";
  EXPECT_EQ(add(b, 50, "e"), AddResult::OverLimit);
  EXPECT_EQ(b.segments(), 3u);
}

TEST(FlowBuffer, AdvanceReleasesBytesAndSegments) {
  FlowBuffer b(1000);
  ASSERT_EQ(add(b, 1000, "GET /a HTTP/1.1\r\n\r\n"), AddResult::Ok);
  ASSERT_EQ(add(b, 1019, "GET /b"), AddResult::Ok);
  ASSERT_EQ(add(b, 1040, "later"), AddResult::Ok);
  b.advance(19);
  EXPECT_EQ(b.start_seq(), 1019u);
  EXPECT_EQ(text(b), "GET /b");
  EXPECT_EQ(b.segments(), 2u);
  EXPECT_EQ(b.buffered_bytes(), 11u);
  EXPECT_EQ(add(b, 1000, "GET /a"), AddResult::BeforeStart);        // retransmission of released bytes
  EXPECT_EQ(add(b, 1015, "\r\n\r\nGET /b"), AddResult::Duplicate);  // released part ignored, rest held
  EXPECT_EQ(add(b, 1015, "\r\n\r\nGET /b HTTP/1.1"), AddResult::Ok);
  EXPECT_EQ(text(b), "GET /b HTTP/1.1");
  b.advance(3);  // a segment straddling the release point keeps its tail
  EXPECT_EQ(text(b), " /b HTTP/1.1");
  b.advance(1000);  // clamped to the contiguous bytes
  EXPECT_EQ(text(b), "");
  EXPECT_EQ(b.start_seq(), 1034u);
  EXPECT_EQ(b.segments(), 1u);  // "later", beyond the gap
  EXPECT_EQ(b.buffered_bytes(), 5u);
  EXPECT_EQ(add(b, 1034, "123456"), AddResult::Ok);
  EXPECT_EQ(text(b), "123456later");
  b.advance(0);
  EXPECT_EQ(b.start_seq(), 1034u);
}

TEST(FlowBuffer, SequenceWrapsAt2To32) {
  const std::uint32_t start = 0xfffffffau;  // 6 bytes before the wrap
  FlowBuffer b(start);
  EXPECT_EQ(add(b, 0x00000002u, "89"), AddResult::Ok);       // after the wrap
  EXPECT_EQ(add(b, 0xfffffffeu, "4567"), AddResult::Ok);     // straddles the wrap
  EXPECT_EQ(add(b, start, "0123"), AddResult::Ok);
  EXPECT_EQ(text(b), "0123456789");
  EXPECT_EQ(b.contiguous_end_seq(), 4u);
  EXPECT_EQ(add(b, 0xfffffff0u, "old"), AddResult::BeforeStart);
  EXPECT_EQ(add(b, 0xfffffff9u, "x0123"), AddResult::Duplicate);  // first byte before the start is ignored
  EXPECT_EQ(add(b, 0x00000001u, "7x"), AddResult::Conflict);
  b.advance(8);
  EXPECT_EQ(b.start_seq(), 2u);
  EXPECT_EQ(text(b), "89");
  EXPECT_EQ(add(b, 0xfffffffeu, "4567"), AddResult::BeforeStart);
}

TEST(FlowBuffer, FarAwaySequenceNumbers) {
  FlowBuffer b(5000);
  EXPECT_EQ(add(b, 5000 + 0x7fffffffu, "x"), AddResult::OverLimit);  // far ahead
  EXPECT_EQ(add(b, 5000 + 0x80000000u, "x"), AddResult::BeforeStart);  // half the space away counts as behind
  EXPECT_EQ(add(b, 5000 + 16 * 1024, "x"), AddResult::OverLimit);
  EXPECT_EQ(add(b, 5000 + 16 * 1024 - 1, "x"), AddResult::Ok);
}

TEST(FlowBuffer, ResultNames) {
  EXPECT_STREQ(to_string(AddResult::Ok), "ok");
  EXPECT_STREQ(to_string(AddResult::Conflict), "conflict");
  EXPECT_STREQ(to_string(AddResult::OverLimit), "over_limit");
  EXPECT_STREQ(to_string(AddResult::BeforeStart), "before_start");
  EXPECT_STREQ(to_string(AddResult::Duplicate), "duplicate");
}

// A reference model: random segments of a random stream, in random order with retransmissions and overlaps;
// the buffer must always show exactly the longest received prefix.
TEST(FlowBuffer, RandomSegmentsMatchAModel) {
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    const std::uint32_t isn = rng();
    const std::size_t size = std::uniform_int_distribution<std::size_t>(1, 3000)(rng);
    Bytes stream(size);
    for (auto& c : stream) c = static_cast<std::uint8_t>(rng());
    FlowBuffer b(isn, ReassemblyLimits{.max_bytes = 4096, .max_segments = 64});
    std::vector<bool> have(size, false);
    std::size_t accepted = 0;
    for (int op = 0; op < 200; ++op) {
      const std::size_t off = std::uniform_int_distribution<std::size_t>(0, size - 1)(rng);
      const std::size_t len = std::uniform_int_distribution<std::size_t>(1, std::min<std::size_t>(400, size - off))(rng);
      const bool conflict = op % 17 == 16;
      Bytes seg(stream.begin() + static_cast<std::ptrdiff_t>(off), stream.begin() + static_cast<std::ptrdiff_t>(off + len));
      if (conflict) seg[len / 2] ^= 0x5a;
      const bool any_new = std::any_of(have.begin() + static_cast<std::ptrdiff_t>(off),
                                       have.begin() + static_cast<std::ptrdiff_t>(off + len), [](bool h) { return !h; });
      const bool overlaps_changed = have[off + len / 2];
      const AddResult r = b.add(isn + static_cast<std::uint32_t>(off), span_of(seg));
      if (conflict && overlaps_changed) {
        ASSERT_EQ(r, AddResult::Conflict);
      } else if (!any_new && !conflict) {
        ASSERT_EQ(r, AddResult::Duplicate);
      } else if (r == AddResult::Ok) {
        ASSERT_TRUE(any_new);
        ++accepted;
        if (!conflict) std::fill(have.begin() + static_cast<std::ptrdiff_t>(off), have.begin() + static_cast<std::ptrdiff_t>(off + len), true);
        else {
          // the changed byte was new: the stored stream now differs there; stop this round
          break;
        }
      } else {
        ASSERT_EQ(r, AddResult::OverLimit);
        ASSERT_EQ(b.segments(), 64u);
      }
      const std::size_t prefix = static_cast<std::size_t>(std::find(have.begin(), have.end(), false) - have.begin());
      ASSERT_EQ(b.contiguous().size(), prefix);
      ASSERT_TRUE(std::equal(b.contiguous().begin(), b.contiguous().end(), stream.begin()));
      ASSERT_EQ(b.buffered_bytes(), static_cast<std::size_t>(std::count(have.begin(), have.end(), true)));
    }
    EXPECT_LE(b.segments(), 64u);
    EXPECT_LE(b.segments(), accepted);
  }
}

}  // namespace
}  // namespace nfegress::enforcer
