// init/heap.cpp — layer: command line (process setup). See heap.hpp.
#include "init/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace nfegress::cli {
namespace {

constexpr std::uintptr_t kHugePage = 2u << 20;       // x86-64 / arm64 (4 KiB base pages) THP size
constexpr std::uintmax_t kBytesPerInputByte = 24;     // measured: ~18x the YAML size is live at the peak of init
constexpr std::uintmax_t kMaxHeap = std::uintmax_t{1} << 29;  // 2 * kMaxHeap must fit an int (mallopt)
constexpr int kMaxMmapThreshold = 32 << 20;  // glibc refuses M_MMAP_THRESHOLD above HEAP_MAX_SIZE / 2 (64-bit)
constexpr int kDefaultTopPad = 128 << 10;    // glibc's default M_TOP_PAD
constexpr std::uintmax_t kThreadBytesPerInputByte = 10;  // measured: the resources of a piece, ~8x its YAML
constexpr std::uintmax_t kMaxThreadHeap = 30u << 20;     // below kMaxMmapThreshold: from the arena, not an mmap

// Only whole huge pages inside [lo, hi); the kernel backs them on first touch.
void advise_huge_pages(std::uintptr_t lo, std::uintptr_t hi) {
  lo = (lo + kHugePage - 1) & ~(kHugePage - 1);
  hi &= ~(kHugePage - 1);
  if (hi > lo) (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}

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
  if (input_bytes < kHugeHeapMinInput) return;
  const auto want = static_cast<int>(std::min(input_bytes * kBytesPerInputByte, kMaxHeap));
  // Large blocks (the input text, element vectors, the batch buffer) come from the heap too instead of mmaps of
  // their own, and memory freed between phases stays for the next phase instead of being trimmed and faulted in
  // again. Then one allocation grows the heap (brk) by `want` at once.
  mallopt(M_MMAP_THRESHOLD, std::min(want, kMaxMmapThreshold));
  mallopt(M_TRIM_THRESHOLD, 2 * want);
  mallopt(M_TOP_PAD, want);
  auto* const before = static_cast<char*>(sbrk(0));
  void* volatile grow = std::malloc(kHugePage);  // volatile: a malloc/free pair may otherwise be optimised away
  std::free(grow);
  auto* const after = static_cast<char*>(sbrk(0));
  mallopt(M_TOP_PAD, kDefaultTopPad);  // later growth, if any, in ordinary steps
  if (before == reinterpret_cast<char*>(-1) || after <= before) return;  // the heap did not grow by brk
  advise_huge_pages(reinterpret_cast<std::uintptr_t>(before), reinterpret_cast<std::uintptr_t>(after));
}

void prepare_thread_heap(std::uintmax_t piece_bytes) {
  // One block as large as the piece's resources: the arena grows once, then the block is freed into the arena's
  // top, where M_TRIM_THRESHOLD (set above) keeps it for the allocations that follow.
  const auto want = static_cast<std::size_t>(std::min(piece_bytes * kThreadBytesPerInputByte, kMaxThreadHeap));
  void* volatile block = std::malloc(want);  // volatile: see prepare_heap_for_input
  if (!block) return;
  const auto at = reinterpret_cast<std::uintptr_t>(static_cast<void*>(block));
  advise_huge_pages(at, at + want);
  std::free(block);
}

}  // namespace nfegress::cli
