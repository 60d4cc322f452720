// tests/netfilter/heap_test.cpp — init/heap: the input size that decides whether the one-shot commands prepare
// malloc's heap (files, directories recursively, "-" and missing paths count 0), and that preparing it leaves
// malloc working (with glibc it grows the heap by brk; under ASan it changes nothing), also in a helper thread's
// arena (prepare_thread_heap) with its blocks freed by another thread.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "init/heap.hpp"

namespace nfegress::cli {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, std::size_t bytes) {
  std::ofstream(p, std::ios::binary) << std::string(bytes, 'x');
}

TEST(Heap, InputBytesCountsFilesAndDirectoriesRecursively) {
  const fs::path dir = fs::temp_directory_path() / ("nfegress-heap-" + std::to_string(getpid()));
  fs::create_directories(dir / "sub");
  write(dir / "a.yaml", 100);
  write(dir / "sub" / "b.yaml", 50);
  write(dir / "sub" / "notes.txt", 7);  // the loader skips it; counting it only makes the estimate larger
  const fs::path single = dir / "single.json";
  write(single, 1000);
  EXPECT_EQ(input_bytes({single.string()}), 1000u);
  EXPECT_EQ(input_bytes({(dir / "sub").string()}), 57u);
  EXPECT_EQ(input_bytes({"-", (dir / "missing.yaml").string(), (dir / "sub").string()}), 57u);
  EXPECT_EQ(input_bytes({}), 0u);
  fs::remove_all(dir);
}

TEST(Heap, PreparingTheHeapLeavesMallocWorking) {
  const void* before = sbrk(0);
  prepare_heap_for_input(kHeapMinInput - 1);  // small input: nothing happens
  EXPECT_EQ(sbrk(0), before);
  prepare_heap_for_input(4 * kHeapMinInput);
  std::vector<std::vector<char>> blocks;
  for (int i = 0; i < 64; ++i) blocks.emplace_back(std::size_t{1} << 20, static_cast<char>(i));  // 64 MiB
  for (int i = 0; i < 64; ++i) EXPECT_EQ(blocks[i][12345], static_cast<char>(i));
  void* big = std::malloc(std::size_t{256} << 20);  // above the raised mmap threshold: still an mmap
  ASSERT_NE(big, nullptr);
  static_cast<char*>(big)[0] = 1;
  std::free(big);
}

TEST(Heap, PreparingAThreadArenaLeavesMallocWorking) {
  prepare_heap_for_input(4 * kHeapMinInput);
  std::vector<std::string> made;
  std::thread helper([&made] {
    prepare_thread_heap(2 * kHeapMinInput);
    for (int i = 0; i < 100000; ++i) made.push_back("2001:db8:" + std::to_string(i) + "::/64 in the helper's arena");
  });
  helper.join();
  ASSERT_EQ(made.size(), 100000u);
  EXPECT_EQ(made[99999], "2001:db8:99999::/64 in the helper's arena");
  made.clear();  // freed by this thread
  prepare_thread_heap(0);
  prepare_thread_heap(std::uintmax_t{1} << 40);  // capped
  EXPECT_EQ(std::string(1000, 'x').size(), 1000u);
}

}  // namespace
}  // namespace nfegress::cli
