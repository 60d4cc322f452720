// netfilter/batch_builder.hpp — layer: pure rendering (internal to batch.cpp and batch_update.cpp). Builder
// writes one netlink batch: BATCH_BEGIN, object messages with consecutive sequence numbers (each remembered with a
// description of its object, so a kernel error names it), BATCH_END unless it is a check. Must not: send anything.
#pragma once
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <functional>
#include <string>
#include <vector>

#include "netfilter/batch.hpp"
#include "netfilter/objects.hpp"

namespace nfegress::netfilter::detail {

// Pages of 2 MiB like nft's large batches; the overrun must hold the biggest single message (an element list).
constexpr std::uint32_t kPage = 2u << 20;
constexpr std::uint32_t kOverrun = kMaxElementMessage;

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
    const char* fam = family == NFPROTO_NETDEV ? " table netdev " : family == NFPROTO_IPV4 ? " table ip " : " table inet ";
    msg(type, flags, std::string(verb) + fam + name, family,
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

// NFTA_SET_ID per set of `sets`, from `base` on.
inline SetIds set_ids(const std::vector<Set>& sets, std::uint32_t base) {
  SetIds ids;
  for (std::size_t i = 0; i < sets.size(); ++i) ids[sets[i].name] = base + static_cast<std::uint32_t>(i);
  return ids;
}

}  // namespace nfegress::netfilter::detail
