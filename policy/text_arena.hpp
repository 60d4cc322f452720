// policy/text_arena.hpp — layer: input (memory for the YAML tree). Holds the text of many small strings in a few
// fixed blocks, so a scalar costs no heap allocation of its own and a view of it stays valid until clear() or
// destruction (blocks never move; moving the arena keeps them). Move-only: a copy would not own the text its
// views point at. No parsing, no I/O.
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace nfegress::policy {

class TextArena {
 public:
  static constexpr std::size_t kBlockSize = 16 * 1024;

  TextArena() = default;
  TextArena(TextArena&&) noexcept = default;
  TextArena& operator=(TextArena&&) noexcept = default;
  TextArena(const TextArena&) = delete;
  TextArena& operator=(const TextArena&) = delete;

  // Copies `s` into the arena and returns a view of the copy (an empty view for an empty string).
  std::string_view store(std::string_view s);
  // Forgets every stored string (their views dangle) but keeps one block for reuse.
  void clear();
  std::size_t blocks() const { return blocks_.size(); }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };
  std::vector<Block> blocks_;
  std::size_t used_ = 0;  // bytes used in blocks_.back()
};

}  // namespace nfegress::policy
