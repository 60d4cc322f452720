// init/heap.hpp — layer: command line (process setup). The one-shot commands that load a policy (check, explain,
// export, init, status) build the model, the plan and the netlink batch of a big policy from a few million small
// allocations. For a large input this sets malloc up once for that: the heap grows by brk in one step to about
// what the load will use, large blocks come from it instead of mmaps of their own, and memory freed between phases
// stays for the next phase instead of being trimmed and faulted in again. Pages are left to the system's
// transparent-huge-page policy: advising huge pages (MADV_HUGEPAGE) was measured slower where it matters, the
// single cold run of an init container (docs/performance.md, "The first run after a pause"). Not for long-running
// processes (the heap is not trimmed afterwards). No policy logic here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nfegress::cli {

// Bytes of the regular files named by `paths` (directories recursively, manifest or not; "-" counts 0).
std::uintmax_t input_bytes(const std::vector<std::string>& paths);

// Does nothing below kHeapMinInput bytes of input; otherwise prepares the heap as described above. Failures
// (brk refused, another allocator) leave the process as it was.
inline constexpr std::uintmax_t kHeapMinInput = 1u << 20;
void prepare_heap_for_input(std::uintmax_t input_bytes);

// For a helper thread of the parallel load (policy::LoadOptions::prepare_thread), after prepare_heap_for_input():
// glibc gives each thread an arena of its own (a 64 MiB reservation made usable by mprotect in small steps, each
// step taking the address-space lock every other thread's page fault needs). Grows the calling thread's arena once
// by about what `piece_bytes` of YAML load into.
void prepare_thread_heap(std::uintmax_t piece_bytes);

}  // namespace nfegress::cli
