// policy/text_arena.cpp — layer: input (memory for the YAML tree). See text_arena.hpp.
#include "policy/text_arena.hpp"

#include <algorithm>
#include <cstring>

namespace nfegress::policy {

std::string_view TextArena::store(std::string_view s) {
  if (s.empty()) return {};
  if (blocks_.empty() || blocks_.back().size - used_ < s.size()) {
    // A string longer than a block gets a block of its own; the rest of the old block is left unused.
    const std::size_t size = std::max(kBlockSize, s.size());
    blocks_.push_back(Block{std::make_unique_for_overwrite<char[]>(size), size});
    used_ = 0;
  }
  char* dst = blocks_.back().data.get() + used_;
  std::memcpy(dst, s.data(), s.size());
  used_ += s.size();
  return {dst, s.size()};
}

void TextArena::clear() {
  // Keep the first block when it is an ordinary one (an oversized block is not worth holding on to).
  if (!blocks_.empty() && blocks_.front().size == kBlockSize) {
    blocks_.resize(1);
  } else {
    blocks_.clear();
  }
  used_ = 0;
}

}  // namespace nfegress::policy
