// init/heap.cpp — layer: command line (process setup). See heap.hpp.
#include "init/heap.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace nfegress::cli {
namespace {

constexpr std::size_t kGrowBlock = 2u << 20;          // the malloc that makes the heap grow by M_TOP_PAD
constexpr std::uintmax_t kBytesPerInputByte = 24;     // measured: ~18x the YAML size is live at the peak of init
constexpr std::uintmax_t kMaxHeap = std::uintmax_t{1} << 29;  // 2 * kMaxHeap must fit an int (mallopt)
constexpr int kMaxMmapThreshold = 32 << 20;  // glibc refuses M_MMAP_THRESHOLD above HEAP_MAX_SIZE / 2 (64-bit)
constexpr int kDefaultTopPad = 128 << 10;    // glibc's default M_TOP_PAD
constexpr std::uintmax_t kThreadBytesPerInputByte = 10;  // measured: the resources of a piece, ~8x its YAML
constexpr std::uintmax_t kMaxThreadHeap = 30u << 20;     // below kMaxMmapThreshold: from the arena, not an mmap

}  // namespace

std::uintmax_t input_bytes(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::uintmax_t total = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    if (p == "-") continue;
    if (fs::is_regular_file(p, ec)) {
      total += fs::file_size(p, ec);
      continue;
    }
    if (!fs::is_directory(p, ec)) continue;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::error_code fec;
      if (it->is_regular_file(fec)) total += it->file_size(fec);
    }
  }
  return total;
}

void prepare_heap_for_input(std::uintmax_t input_bytes) {
  if (input_bytes < kHeapMinInput) return;
  const auto want = static_cast<int>(std::min(input_bytes * kBytesPerInputByte, kMaxHeap));
  // Large blocks (the input text, element vectors, the batch buffer) come from the heap too instead of mmaps of
  // their own, and memory freed between phases stays for the next phase instead of being trimmed and faulted in
  // again. Then one allocation grows the heap (brk) by `want` at once.
  mallopt(M_MMAP_THRESHOLD, std::min(want, kMaxMmapThreshold));
  mallopt(M_TRIM_THRESHOLD, 2 * want);
  mallopt(M_TOP_PAD, want);
  void* volatile grow = std::malloc(kGrowBlock);  // volatile: a malloc/free pair may otherwise be optimised away
  std::free(grow);
  mallopt(M_TOP_PAD, kDefaultTopPad);  // later growth, if any, in ordinary steps
}

void prepare_thread_heap(std::uintmax_t piece_bytes) {
  // One block as large as the piece's resources: the arena grows once, then the block is freed into the arena's
  // top, where M_TRIM_THRESHOLD (set above) keeps it for the allocations that follow.
  const auto want = static_cast<std::size_t>(std::min(piece_bytes * kThreadBytesPerInputByte, kMaxThreadHeap));
  void* volatile block = std::malloc(want);  // volatile: see prepare_heap_for_input
  std::free(block);
}

}  // namespace nfegress::cli
