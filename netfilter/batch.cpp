// netfilter/batch.cpp — layer: pure rendering. See batch.hpp. Message order matters to the kernel: a verdict
// map element naming `goto en_3` needs chain en_3, a lookup needs its set, a chain can only go once nothing jumps
// to it. Must not: send anything.
#include "netfilter/batch.hpp"

#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>

#include "netfilter/objects.hpp"

namespace nfegress::netfilter {
namespace {

// Pages of 2 MiB like nft's large batches; the overrun must hold the biggest single message (an element list is
// capped near 64 KiB by the 16-bit nla_len of its nest).
constexpr std::uint32_t kPage = 2u << 20;
constexpr std::uint32_t kOverrun = 65536 + 4096;

class Builder {
 public:
  Builder(std::uint32_t seq, bool commit) : seq_(seq), commit_(commit), buf_(nftnl_batch_alloc(kPage, kOverrun)) {
    nftnl_batch_begin(static_cast<char*>(nftnl_batch_buffer(buf_.get())), seq_++);
    nftnl_batch_update(buf_.get());
  }

  void msg(std::uint16_t type, std::uint16_t flags, std::string what, std::uint16_t family,
           const std::function<void(nlmsghdr*)>& payload) {
    // No NLM_F_ACK here: the kernel reports every failing message by itself, and a success ACK per message is an
    // skb the kernel allocates and queues and the writer reads, 5,400 of them for a large policy. finish() asks
    // for one on the last message; its answer comes after every other one (nfnetlink answers in order, once the
    // whole batch is processed). The header stays in place: batch pages are never moved.
    auto* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(nftnl_batch_buffer(buf_.get())), type, family, flags,
                                      seq_++);
    payload(nlh);
    nftnl_batch_update(buf_.get());
    objects_.push_back(std::move(what));
    last_ = nlh;
  }

  void table(std::uint16_t type, std::uint16_t flags, const std::string& name, std::uint16_t family = NFPROTO_INET) {
    auto t = make_table(name);
    if (family != NFPROTO_INET) nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, family);
    const char* verb = type == NFT_MSG_DELTABLE ? "delete" : "create";
    msg(type, flags, std::string(verb) + " table inet " + name, family,
        [&](nlmsghdr* n) { nftnl_table_nlmsg_build_payload(n, t.get()); });
  }

  void set(const std::string& table, const Set& s, std::uint32_t id) {
    auto o = make_set(table, s, id);
    msg(NFT_MSG_NEWSET, NLM_F_CREATE, "set " + s.name + describe(s), NFPROTO_INET,
        [&](nlmsghdr* n) { nftnl_set_nlmsg_build_payload(n, o.get()); });
  }

  void elements(std::uint16_t type, const std::string& table, const Set& s, const std::vector<Element>& els,
                std::uint32_t id) {
    for (std::size_t first = 0, last = 0; first < els.size(); first = last) {
      last = chunk_end(s, els, first);
      std::string what = std::string(type == NFT_MSG_DELSETELEM ? "delete" : "add") + " elements of set " +
                         s.name + " [" + std::to_string(first) + ".." + std::to_string(last - 1) + "] " +
                         first_element(s, els[first]) + describe(s);
      msg(type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, std::move(what), NFPROTO_INET,
          [&](nlmsghdr* n) { put_element_payload(n, table, s, els, first, last, id); });
      ++element_messages_;
    }
  }

  void chain(std::uint16_t type, const std::string& table, const Chain& c) {
    auto o = make_chain(table, c);
    msg(type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0,
        std::string(type == NFT_MSG_DELCHAIN ? "delete " : "") + "chain " + c.name + network(c), NFPROTO_INET,
        [&](nlmsghdr* n) { nftnl_chain_nlmsg_build_payload(n, o.get()); });
  }

  void flush_chain(const std::string& table, const Chain& c) {
    RulePtr r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.name.c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
    msg(NFT_MSG_DELRULE, 0, "flush chain " + c.name + network(c), NFPROTO_INET,
        [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, r.get()); });
  }

  void rules(const std::string& table, const Chain& c, const SetIds& ids) {
    for (std::size_t i = 0; i < c.rules.size(); ++i) {
      auto r = make_rule(table, c.name, c.rules[i], ids);
      std::string what = "rule " + std::to_string(i + 1) + " of chain " + c.name + " (" +
                         (c.rules[i].comment.empty() ? std::string("no comment") : c.rules[i].comment) + ")";
      msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, std::move(what), NFPROTO_INET,
          [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, r.get()); });
    }
  }

  void delete_set(const std::string& table, const Set& s) {
    SetPtr o(nftnl_set_alloc());
    nftnl_set_set_str(o.get(), NFTNL_SET_TABLE, table.c_str());
    nftnl_set_set_str(o.get(), NFTNL_SET_NAME, s.name.c_str());
    nftnl_set_set_u32(o.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
    msg(NFT_MSG_DELSET, 0, "delete set " + s.name + describe(s), NFPROTO_INET,
        [&](nlmsghdr* n) { nftnl_set_nlmsg_build_payload(n, o.get()); });
  }

  Batch finish() {
    if (last_) last_->nlmsg_flags |= NLM_F_ACK;
    if (commit_) {
      nftnl_batch_end(static_cast<char*>(nftnl_batch_buffer(buf_.get())), seq_++);
      nftnl_batch_update(buf_.get());
    }
    Batch b;
    b.buf = std::move(buf_);
    b.first_seq = first_;
    b.commit = commit_;
    b.objects = std::move(objects_);
    b.element_messages = element_messages_;
    return b;
  }

 private:
  static std::string describe(const Set& s) { return s.comment.empty() ? "" : " (" + s.comment + ")"; }
  static std::string network(const Chain& c) { return c.network.empty() ? "" : " (EgressNetwork " + c.network + ")"; }
  static std::string first_element(const Set& s, const Element& e) {
    std::string t = "from " + format_key(s.key, e.lo);
    if (e.verdict && e.verdict->kind == Verdict::Kind::Goto) t += " -> " + e.verdict->chain;
    return t;
  }

  std::uint32_t seq_;
  std::uint32_t first_ = seq_;
  bool commit_;
  BatchPtr buf_;
  std::vector<std::string> objects_;
  std::size_t element_messages_ = 0;
  nlmsghdr* last_ = nullptr;  // the last object message: the one that asks for an ACK
};

SetIds set_ids(const std::vector<Set>& sets, std::uint32_t base) {
  SetIds ids;
  for (std::size_t i = 0; i < sets.size(); ++i) ids[sets[i].name] = base + static_cast<std::uint32_t>(i);
  return ids;
}

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
  return a.key == b.key && a.interval == b.interval && a.map == b.map && a.comment == b.comment && a.size == b.size;
}

}  // namespace

std::string Batch::object(std::uint32_t seq) const {
  if (seq <= first_seq || seq > last_seq()) return "";
  return objects[seq - first_seq - 1];
}

std::vector<iovec> Batch::iovecs() const {
  std::vector<iovec> v(static_cast<std::size_t>(nftnl_batch_iovec_len(buf.get())));
  nftnl_batch_iovec(buf.get(), v.data(), static_cast<std::uint32_t>(v.size()));
  return v;
}

std::size_t Batch::bytes() const {
  std::size_t n = 0;
  for (const auto& i : iovecs()) n += i.iov_len;
  return n;
}

Batch replace_batch(const Ruleset& rs, std::uint32_t seq, bool commit) {
  Builder b(seq, commit);
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE, rs.table);
  b.table(NFT_MSG_DELTABLE, 0, rs.table);
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, rs.table);
  const auto ids = set_ids(rs.sets, 1);
  for (const auto& s : rs.sets) b.set(rs.table, s, ids.at(s.name));
  for (const auto& c : rs.chains) b.chain(NFT_MSG_NEWCHAIN, rs.table, c);
  // Elements last: a lookup rule that binds a set full of `goto` elements makes the kernel walk and check all of
  // them; an element added to a set already bound is checked once as it comes (measured: ~17% less kernel time
  // for 100k elements, docs/performance.md).
  for (const auto& c : rs.chains) b.rules(rs.table, c, ids);
  for (const auto& s : rs.sets) b.elements(NFT_MSG_NEWSETELEM, rs.table, s, s.elements, ids.at(s.name));
  return b.finish();
}

Batch update_batch(const Ruleset& cur, const Ruleset& des, std::uint32_t seq, bool commit, UpdateSummary* sum) {
  UpdateSummary local;
  UpdateSummary& s = sum ? *sum : local;
  s = {};
  const auto cur_sets = by_name(cur.sets), des_sets = by_name(des.sets);
  const auto cur_chains = by_name(cur.chains), des_chains = by_name(des.chains);
  bool replace = cur.table != des.table || cur.queue != des.queue;
  for (const auto& d : des.sets)
    if (const auto* c = find(cur_sets, d.name); c && !same_type(*c, d)) replace = true;
  for (const auto& d : des.chains)
    if (const auto* c = find(cur_chains, d.name); c && c->base != d.base) replace = true;
  if (replace) {
    s.full_replace = true;
    return replace_batch(des, seq, commit);
  }
  const std::string& t = des.table;
  Builder b(seq, commit);
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
  for (const auto& c : cur.chains)
    if (!find(des_chains, c.name)) {
      b.chain(NFT_MSG_DELCHAIN, t, c);
      ++s.chains_removed;
    }
  for (const auto& c : cur.sets)
    if (!find(des_sets, c.name)) {
      b.delete_set(t, c);
      ++s.sets_removed;
    }
  return b.finish();
}

Batch delete_batch(const std::string& table, std::uint32_t seq) {
  Builder b(seq, true);
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE, table);
  b.table(NFT_MSG_DELTABLE, 0, table);
  return b.finish();
}

Batch probe_batch(QueueImpl q, std::uint32_t seq, std::uint16_t family_override) {
  const std::string table = "nfegress_probe_" + std::to_string(::getpid());
  Builder b(seq, false);
  const std::uint16_t family = family_override ? family_override : std::uint16_t{NFPROTO_INET};
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE, table, family);
  Chain c{"probe", true, {}, {}};
  auto ch = make_chain(table, c);
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FAMILY, family);
  b.msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "chain probe", family,
        [&](nlmsghdr* n) { nftnl_chain_nlmsg_build_payload(n, ch.get()); });
  Rule r;
  Action a;
  a.kind = Action::Kind::Queue;
  a.queue_impl = q;
  a.queue_num = 65000;
  r.actions.push_back(a);
  auto rule = make_rule(table, "probe", r, {});
  nftnl_rule_set_u32(rule.get(), NFTNL_RULE_FAMILY, family);
  b.msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
        std::string("probe rule: ") + (q == QueueImpl::Native ? "nft queue expression" : "xt NFQUEUE target"),
        family, [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, rule.get()); });
  return b.finish();
}

}  // namespace nfegress::netfilter
