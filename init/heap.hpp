// init/heap.hpp — layer: command line (process setup). The one-shot commands that load a policy (check, explain,
// export, init, status) spend a large share of a big policy's time in page faults: the model, the plan and the
// netlink batch are built from a few million small allocations in fresh memory, 4 KiB at a time. For a large input
// this grows malloc's heap once, to about what the load will use, and advises the kernel to back it with
// transparent huge pages (MADV_HUGEPAGE; THP in `madvise` mode needs that, `always` does it anyway, `never` ignores
// it). The same as glibc's GLIBC_TUNABLES=glibc.malloc.hugetlb=1 for the main heap, without relying on the
// environment. Not for long-running processes (the heap is not trimmed afterwards). No policy logic here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nfegress::cli {

// Bytes of the regular files named by `paths` (directories recursively, manifest or not; "-" counts 0).
std::uintmax_t input_bytes(const std::vector<std::string>& paths);

// Does nothing below kHugeHeapMinInput bytes of input; otherwise prepares the heap as described above. Failures
// (no THP, brk refused, another allocator) leave the process as it was.
inline constexpr std::uintmax_t kHugeHeapMinInput = 1u << 20;
void prepare_heap_for_input(std::uintmax_t input_bytes);

// For a helper thread of the parallel load (policy::LoadOptions::prepare_thread), after prepare_heap_for_input():
// glibc gives each thread an arena of its own (a 64 MiB reservation made usable by mprotect in small steps, each
// step taking the address-space lock every other thread's page fault needs, then faulted in 4 KiB at a time).
// Grows the calling thread's arena once by about what `piece_bytes` of YAML load into, with huge pages.
void prepare_thread_heap(std::uintmax_t piece_bytes);

}  // namespace nfegress::cli
