// policy/field_locs.cpp — layer: pure model. See field_locs.hpp.
#include "policy/field_locs.hpp"

#include <functional>
#include <limits>
#include <stdexcept>

namespace nfegress::policy {
namespace {

std::uint32_t hash_of(std::string_view s) { return static_cast<std::uint32_t>(std::hash<std::string_view>{}(s)); }

}  // namespace

std::size_t FieldLocs::probe(std::string_view p, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const std::uint32_t e = slots_[i];
    if (e == kEmpty) return i;
    if (entries_[e].hash == hash && path(entries_[e]) == p) return i;
  }
}

void FieldLocs::rehash(std::size_t slots) {
  slots_.assign(slots, kEmpty);
  const std::size_t mask = slots - 1;
  for (std::uint32_t e = 0; e < entries_.size(); ++e) {
    std::size_t i = entries_[e].hash & mask;
    while (slots_[i] != kEmpty) i = (i + 1) & mask;
    slots_[i] = e;
  }
}

void FieldLocs::reserve_more(std::size_t entries, std::size_t text_bytes) {
  entries += entries_.size();
  entries_.reserve(entries);
  text_.reserve(text_.size() + text_bytes);
  std::size_t slots = slots_.empty() ? 16 : slots_.size();
  while (slots < (entries + 1) * 2) slots *= 2;
  if (slots != slots_.size()) rehash(slots);
}

void FieldLocs::set(std::string_view p, int line, int column) {
  if ((entries_.size() + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
  const std::uint32_t hash = hash_of(p);
  const std::size_t slot = probe(p, hash);
  if (slots_[slot] != kEmpty) {
    entries_[slots_[slot]].loc = Loc{line, column};
    return;
  }
  if (text_.size() + p.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("FieldLocs");
  slots_[slot] = static_cast<std::uint32_t>(entries_.size());
  entries_.push_back(Entry{static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(p.size()), hash,
                           Loc{line, column}});
  text_ += p;
}

const FieldLocs::Loc* FieldLocs::find(std::string_view p) const {
  if (slots_.empty()) return nullptr;
  const std::uint32_t e = slots_[probe(p, hash_of(p))];
  return e == kEmpty ? nullptr : &entries_[e].loc;
}

const FieldLocs::Loc& FieldLocs::at(std::string_view p) const {
  const Loc* l = find(p);
  if (!l) throw std::out_of_range("FieldLocs::at: " + std::string(p));
  return *l;
}

bool operator==(const FieldLocs& a, const FieldLocs& b) {
  if (a.entries_.size() != b.entries_.size()) return false;
  for (std::size_t i = 0; i < a.entries_.size(); ++i)
    if (a.path(a.entries_[i]) != b.path(b.entries_[i]) || a.entries_[i].loc != b.entries_[i].loc) return false;
  return true;
}

}  // namespace nfegress::policy
