// netfilter/batch_update.cpp — layer: pure rendering. See batch.hpp (update_batch): the batch that turns the
// programmed ruleset into the desired one with only the differences — new sets and chains, removed then added
// elements, rewritten chains, and what is gone — or a full replace when a set or chain changed type.
// Must not: send anything.
#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "netfilter/batch.hpp"
#include "netfilter/batch_builder.hpp"
#include "netfilter/guard.hpp"

namespace nfegress::netfilter {
namespace {

bool elem_less(const Element& a, const Element& b) {
  if (a.lo != b.lo) return a.lo < b.lo;
  if (a.hi != b.hi) return a.hi < b.hi;
  if (a.verdict.has_value() != b.verdict.has_value()) return !a.verdict.has_value();
  if (!a.verdict) return false;
  if (a.verdict->kind != b.verdict->kind) return a.verdict->kind < b.verdict->kind;
  return a.verdict->chain < b.verdict->chain;
}


// Elements of `a` that are not in `b`. Set promises its elements sorted by lo and disjoint, so this is one merge
// pass without copies (a map of 100k elements differs in about a millisecond). `check`: also verify that promise
// on the way, every adjacent pair of both vectors; nullopt when it does not hold.
std::optional<std::vector<Element>> minus_sorted(const std::vector<Element>& a, const std::vector<Element>& b,
                                                 bool check) {
  std::vector<Element> out;
  auto j = b.begin();
  const Element* prev = nullptr;
  for (const auto& e : a) {
    if (check && prev && e.lo < prev->lo) return std::nullopt;
    prev = &e;
    for (; j != b.end() && j->lo < e.lo; ++j)
      if (check && j + 1 != b.end() && (j + 1)->lo < j->lo) return std::nullopt;
    if (j == b.end() || !(*j == e)) out.push_back(e);
  }
  if (check)
    for (; j != b.end() && j + 1 != b.end(); ++j)
      if ((j + 1)->lo < j->lo) return std::nullopt;
  return out;
}

// The same for input that breaks the promise: sorted copies first.
std::vector<Element> minus_unsorted(const std::vector<Element>& a, const std::vector<Element>& b) {
  auto sa = a, sb = b;
  std::sort(sa.begin(), sa.end(), elem_less);
  std::sort(sb.begin(), sb.end(), elem_less);
  std::vector<Element> out;
  std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(out), elem_less);
  return out;
}

// Name -> object, so comparing 1,000 chains with 1,000 chains is not a million string compares.
template <typename T>
std::unordered_map<std::string_view, const T*> by_name(const std::vector<T>& v) {
  std::unordered_map<std::string_view, const T*> m;
  m.reserve(v.size());
  for (const auto& x : v) m.emplace(x.name, &x);
  return m;
}
template <typename T>
const T* find(const std::unordered_map<std::string_view, const T*>& m, const std::string& name) {
  const auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

bool same_type(const Set& a, const Set& b) {
  return a.key == b.key && a.interval == b.interval && a.map == b.map && a.comment == b.comment && a.size == b.size &&
         a.dynamic == b.dynamic && a.counter == b.counter && a.timeout == b.timeout;
}

}  // namespace

Batch update_batch(const Ruleset& cur, const Ruleset& des, std::uint32_t seq, bool commit, UpdateSummary* sum) {
  UpdateSummary local;
  UpdateSummary& s = sum ? *sum : local;
  s = {};
  const auto cur_sets = by_name(cur.sets), des_sets = by_name(des.sets);
  const auto cur_chains = by_name(cur.chains), des_chains = by_name(des.chains);
  bool replace = cur.table != des.table || cur.queue != des.queue;
  for (const auto& d : des.sets)
    if (const auto* c = find(cur_sets, d.name); c && !same_type(*c, d)) replace = true;
  for (const auto& d : des.chains) {
    const auto* c = find(cur_chains, d.name);
    if (c && (c->base != d.base || c->hook != d.hook || c->priority != d.priority)) replace = true;
  }
  if (replace) {
    s.full_replace = true;
    return replace_batch(des, seq, commit);
  }
  const std::string& t = des.table;
  detail::Builder b(seq, commit);
  SetIds ids;
  std::uint32_t next_id = 1;
  for (const auto& d : des.sets)
    if (!find(cur_sets, d.name)) {
      ids[d.name] = next_id;
      b.set(t, d, next_id++);
      ++s.sets_added;
    }
  for (const auto& d : des.chains)
    if (!find(cur_chains, d.name)) {
      b.chain(NFT_MSG_NEWCHAIN, t, d);
      ++s.chains_added;
    }
  // Removed elements first (one message per set), then added ones: a moved element is deleted before re-adding.
  std::vector<std::vector<Element>> added(des.sets.size());
  for (std::size_t i = 0; i < des.sets.size(); ++i) {
    const auto& d = des.sets[i];
    const auto* c = find(cur_sets, d.name);
    if (!c) continue;
    auto gone = minus_sorted(c->elements, d.elements, true);  // checks both vectors' order on the way
    if (gone) {
      added[i] = *minus_sorted(d.elements, c->elements, false);
    } else {
      gone = minus_unsorted(c->elements, d.elements);
      added[i] = minus_unsorted(d.elements, c->elements);
    }
    s.elements_removed += gone->size();
    b.elements(NFT_MSG_DELSETELEM, t, d, *gone, 0);
  }
  for (std::size_t i = 0; i < des.sets.size(); ++i) {
    const auto& d = des.sets[i];
    const bool fresh = !find(cur_sets, d.name);
    const auto& add = fresh ? d.elements : added[i];
    s.elements_added += add.size();
    b.elements(NFT_MSG_NEWSETELEM, t, d, add, fresh ? ids.at(d.name) : 0);
  }
  for (const auto& d : des.chains) {
    const auto* c = find(cur_chains, d.name);
    if (c && c->rules == d.rules) continue;
    if (c) {
      b.flush_chain(t, d);
      ++s.chains_rewritten;
    }
    b.rules(t, d, ids);
  }
  // What goes: chains are flushed first (their rules no longer bind a set), then the sets go (their elements no
  // longer jump to a chain), then the chains. A node-mode plan leaving takes its chains and the maps that jump
  // between them in one transaction, which neither order alone allows (EBUSY).
  for (const auto& c : cur.chains)
    if (!find(des_chains, c.name) && !c.rules.empty()) b.flush_chain(t, c);
  for (const auto& c : cur.sets)
    if (!find(des_sets, c.name)) {
      b.delete_set(t, c);
      ++s.sets_removed;
    }
  for (const auto& c : cur.chains)
    if (!find(des_chains, c.name)) {
      b.chain(NFT_MSG_DELCHAIN, t, c);
      ++s.chains_removed;
    }
  // The guard is a handful of rules: any change (an interface more or less) replaces its table, in this
  // transaction. A desired ruleset that does not manage the guard leaves it alone.
  if (des.guard && (!cur.guard || cur.guard->devices != des.guard->devices || cur.guard->rules != des.guard->rules)) {
    add_guard(b, t, *des.guard);
    s.guard_replaced = true;
  }
  return b.finish();
}

}  // namespace nfegress::netfilter
