// tests/fuzz/fuzz_h2.cpp — libFuzzer target: any bytes as the client half of a cleartext HTTP/2 connection through
// H2ClientStream, fed whole and, from the same bytes, in two chunks at a split the input chooses (the first byte),
// driven as the enforcer drives it. Must never crash, read past the span or consume more than it was given; both
// feedings find the same request heads (framing does not depend on where segments end); after Malformed it stays
// Malformed; found hosts are normalised.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "enforcer/h2_stream.hpp"
#include "fuzz_check.hpp"

using nfegress::enforcer::H2ClientStream;
using nfegress::enforcer::H2RequestHead;
using nfegress::enforcer::ParseStatus;

namespace {

struct Run {
  H2ClientStream stream;
  std::vector<std::uint8_t> pending;
  std::vector<std::string> seen;  // "stream method host path"
  ParseStatus last = ParseStatus::NeedMore;

  void push(std::span<const std::uint8_t> chunk) {
    if (last == ParseStatus::Malformed || last == ParseStatus::NotThisProtocol) return;
    pending.insert(pending.end(), chunk.begin(), chunk.end());
    while (true) {
      std::size_t used = 0;
      H2RequestHead h;
      last = stream.next(pending, used, h);
      FUZZ_CHECK(used <= pending.size());
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(used));
      if (last != ParseStatus::Found) break;
      for (char c : h.host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
      FUZZ_CHECK(h.host.empty() || h.host.back() != '.');
      FUZZ_CHECK(h.headers.size() <= nfegress::enforcer::kMaxH2Headers);
      seen.push_back(std::to_string(h.stream_id) + " " + h.method + " " + h.host + " " + h.path);
    }
    if (last == ParseStatus::Malformed) {
      std::size_t used = 0;
      H2RequestHead h;
      FUZZ_CHECK(stream.next(pending, used, h) == ParseStatus::Malformed && used == 0);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Inputs start with the preface so the fuzzer spends its time on frames (a seed without it is still tried).
  std::span<const std::uint8_t> in(data, size);
  Run whole;
  whole.push(in);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  Run split;
  split.push(in.first(cut));
  split.push(in.subspan(cut));
  FUZZ_CHECK(whole.last == split.last || whole.last == ParseStatus::Malformed || split.last == ParseStatus::Malformed);
  if (whole.last != ParseStatus::Malformed && split.last != ParseStatus::Malformed) FUZZ_CHECK(whole.seen == split.seen);
  return 0;
}
