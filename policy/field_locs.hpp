// policy/field_locs.hpp — layer: pure model. Where each field of one resource was read: a field path such as
// "spec.networks[3].cidr" -> line and column (the file is the resource's, ObjectMeta::loc.file). The loader
// records two paths per network, so a resource with 100k networks must not cost a map node and several strings
// per path: the paths live in one text buffer and are found through an open-addressing hash index. No I/O.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nfegress::policy {

class FieldLocs {
 public:
  struct Loc {
    int line = 0;    // 1-based
    int column = 0;  // 1-based
    friend bool operator==(const Loc&, const Loc&) = default;
  };

  // Room for `entries` more paths of `text_bytes` more characters (the loader knows how many networks follow).
  void reserve_more(std::size_t entries, std::size_t text_bytes);
  // Records (or overwrites) where `path` was read.
  void set(std::string_view path, int line, int column);
  // nullptr when `path` was not recorded.
  const Loc* find(std::string_view path) const;
  std::size_t count(std::string_view path) const { return find(path) ? 1 : 0; }
  // Throws std::out_of_range when `path` was not recorded (like std::map::at).
  const Loc& at(std::string_view path) const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // The same paths recorded in the same order, at the same places.
  friend bool operator==(const FieldLocs& a, const FieldLocs& b);

 private:
  struct Entry {
    std::uint32_t offset = 0;  // path text in text_
    std::uint32_t length = 0;
    std::uint32_t hash = 0;
    Loc loc;
  };
  static constexpr std::uint32_t kEmpty = 0xffffffffu;

  std::string_view path(const Entry& e) const { return std::string_view(text_).substr(e.offset, e.length); }
  // The slot holding `path`, or the empty slot where it would go. slots_ must not be empty.
  std::size_t probe(std::string_view path, std::uint32_t hash) const;
  void rehash(std::size_t slots);

  std::string text_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> slots_;  // entry index or kEmpty; size a power of two, at most half full
};

}  // namespace nfegress::policy
