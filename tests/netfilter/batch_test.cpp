// tests/netfilter/batch_test.cpp — the batch without a kernel (libnftnl test style): build, walk the netlink
// messages in the buffer, parse them back with libnftnl, compare.
#include <arpa/inet.h>  // before linux/netfilter.h (its struct in_addr)
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstring>
#include <stdexcept>
#include <algorithm>

#include "fixtures.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/canonical.hpp"
#include "netfilter/objects.hpp"

namespace nfegress::netfilter {
namespace {

struct Msg {
  std::uint16_t type;  // nf_tables message type, or the raw batch type
  std::uint32_t seq;
  std::vector<char> bytes;
  const nlmsghdr* nlh() const { return reinterpret_cast<const nlmsghdr*>(bytes.data()); }
};

std::vector<Msg> messages(const Batch& b) {
  std::vector<char> all;
  for (const auto& v : b.iovecs())
    all.insert(all.end(), static_cast<const char*>(v.iov_base), static_cast<const char*>(v.iov_base) + v.iov_len);
  std::vector<Msg> out;
  int left = static_cast<int>(all.size());
  for (auto* h = reinterpret_cast<const nlmsghdr*>(all.data()); mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
    const auto* p = reinterpret_cast<const char*>(h);
    const std::uint16_t type = (h->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES ? (h->nlmsg_type & 0xff) : h->nlmsg_type;
    out.push_back({type, h->nlmsg_seq, std::vector<char>(p, p + h->nlmsg_len)});
  }
  EXPECT_EQ(left, 0) << "trailing bytes in the batch";
  return out;
}

// One NEWSETELEM/DELSETELEM message's elements, walked with libmnl: NFTA_SET_ELEM_LIST_SET names the set, each
// nest in NFTA_SET_ELEM_LIST_ELEMENTS is one element, NFTA_SET_ELEM_FLAGS marks interval ends.
struct ElementCount {
  std::string set;
  std::size_t starts = 0, ends = 0;
};
ElementCount count_elements(const Msg& m) {
  ElementCount here;
  mnl_attr_parse(
      m.nlh(), sizeof(nfgenmsg),
      [](const nlattr* a, void* d) -> int {
        auto* c = static_cast<ElementCount*>(d);
        if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET) c->set = mnl_attr_get_str(a);
        if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS) return MNL_CB_OK;
        for (auto* el = static_cast<const nlattr*>(mnl_attr_get_payload(a));
             mnl_attr_ok(el, static_cast<int>(reinterpret_cast<const char*>(mnl_attr_get_payload(a)) +
                                              mnl_attr_get_payload_len(a) - reinterpret_cast<const char*>(el)));
             el = mnl_attr_next(el)) {
          bool end = false;
          for (auto* f = static_cast<const nlattr*>(mnl_attr_get_payload(el));
               mnl_attr_ok(f, static_cast<int>(reinterpret_cast<const char*>(mnl_attr_get_payload(el)) +
                                               mnl_attr_get_payload_len(el) - reinterpret_cast<const char*>(f)));
               f = mnl_attr_next(f)) {
            if (mnl_attr_get_type(f) == NFTA_SET_ELEM_FLAGS)
              end = ntohl(mnl_attr_get_u32(f)) & NFT_SET_ELEM_INTERVAL_END;
          }
          ++(end ? c->ends : c->starts);
        }
        return MNL_CB_OK;
      },
      &here);
  return here;
}

policy::Plan many_ranges(std::size_t n) {
  auto p = testing::small_plan();
  p.v4.clear();
  // three addresses each: not a prefix, so they stay in the interval map dst4
  for (std::uint32_t i = 0; i < n; ++i) p.v4.push_back({0x0b000000u + i * 4, 0x0b000000u + i * 4 + 2, i % 2});
  return p;
}

TEST(Batch, ReplaceFramingAndOrder) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  const auto b = replace_batch(rs, 100);
  const auto m = messages(b);
  ASSERT_GE(m.size(), 5u);
  EXPECT_EQ(m.front().type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(m.back().type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(m.size(), b.messages() + 2);
  for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m[i].seq, 100 + i);
  // create-if-missing, delete, create: one transaction replaces the table
  EXPECT_EQ(m[1].type, NFT_MSG_NEWTABLE);
  EXPECT_EQ(m[2].type, NFT_MSG_DELTABLE);
  EXPECT_EQ(m[3].type, NFT_MSG_NEWTABLE);
  EXPECT_TRUE(m[3].nlh()->nlmsg_flags & NLM_F_EXCL);
  // kinds come in dependency order
  int phase = 0;  // sets, chains, rules, elements (into sets their lookups already hold: cheaper for the kernel)
  for (std::size_t i = 4; i + 1 < m.size(); ++i) {
    // only the last object message asks for a success ACK (failures are always answered)
    EXPECT_EQ(static_cast<bool>(m[i].nlh()->nlmsg_flags & NLM_F_ACK), i + 2 == m.size()) << "message " << i;
    const int p = m[i].type == NFT_MSG_NEWSET ? 0 : m[i].type == NFT_MSG_NEWCHAIN ? 1
                  : m[i].type == NFT_MSG_NEWRULE ? 2 : m[i].type == NFT_MSG_NEWSETELEM ? 3 : 4;
    EXPECT_GE(p, phase) << "message " << i << " out of order";
    phase = p;
  }
  EXPECT_EQ(b.object(103), "create table inet nfegress");
  EXPECT_EQ(phase, 3);  // and nothing else
  EXPECT_NE(b.object(b.last_seq()).find("add elements of set ports_0"), std::string::npos) << b.object(b.last_seq());
  EXPECT_EQ(b.object(100), "");
  EXPECT_EQ(b.object(b.last_seq() + 1), "");
}

TEST(Batch, CheckModeHasNoEnd) {
  const auto b = replace_batch(build_ruleset(testing::small_plan(), QueueImpl::Compat), 1, false);
  const auto m = messages(b);
  EXPECT_EQ(m.front().type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_NE(m.back().type, NFNL_MSG_BATCH_END);
  EXPECT_FALSE(b.commit);
}

TEST(Batch, LargeElementListsAreSplitBelowTheAttributeLimit) {
  const auto rs = build_ruleset(many_ranges(20000), QueueImpl::Compat);
  const auto b = replace_batch(rs, 1);
  std::size_t starts = 0, ends = 0, msgs = 0;
  for (const auto& m : messages(b)) {
    if (m.type != NFT_MSG_NEWSETELEM) continue;
    ++msgs;
    EXPECT_LT(m.nlh()->nlmsg_len, 65535u + 256u);
    const auto here = count_elements(m);
    if (here.set != "dst4") continue;
    const std::size_t s_here = here.starts, e_here = here.ends;
    EXPECT_EQ(s_here, e_here) << "an interval's start and end landed in different messages";
    starts += s_here;
    ends += e_here;
  }
  EXPECT_EQ(starts, 20000u);
  EXPECT_EQ(ends, 20000u);
  EXPECT_GT(b.element_messages, 10u);
  EXPECT_EQ(msgs, b.element_messages);
}

TEST(Batch, KeyBytesAreNetworkOrder) {
  auto hex = [](const KeyBytes& k) {
    std::string out;
    char b[3];
    for (std::uint32_t i = 0; i < k.size(); ++i) out += (std::snprintf(b, sizeof b, "%02x", k.data()[i]), b);
    return out;
  };
  EXPECT_EQ(hex(key_bytes(KeyType::Port, 443)), "01bb");
  EXPECT_EQ(hex(key_bytes(KeyType::Ipv4, testing::v4("192.0.2.1"))), "c0000201");
  EXPECT_EQ(hex(key_bytes(KeyType::Ipv6, testing::v6("2001:db8:1:2:3:4:5:6"))), "20010db8000100020003000400050006");
}

// The reference for put_element_payload: the same elements as libnftnl objects, the way nft builds them (a start
// element with the verdict; an end element at hi+1 flagged INTERVAL_END unless hi is the top of the key space).
SetPtr libnftnl_elements(const std::string& table, const Set& s, std::size_t first, std::size_t last,
                         std::uint32_t id) {
  SetPtr out(nftnl_set_alloc());
  nftnl_set_set_str(out.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(out.get(), NFTNL_SET_NAME, s.name.c_str());
  nftnl_set_set_u32(out.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  if (id) nftnl_set_set_u32(out.get(), NFTNL_SET_ID, id);
  auto add = [&](policy::u128 key, bool end, const Verdict* v) {
    nftnl_set_elem* e = nftnl_set_elem_alloc();
    const auto bytes = key_bytes(s.key, key);
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, bytes.data(), bytes.size());
    if (end) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
    if (v) {
      const std::uint32_t code = v->kind == Verdict::Kind::Accept ? NF_ACCEPT
                                 : v->kind == Verdict::Kind::Drop ? NF_DROP
                                                                   : static_cast<std::uint32_t>(NFT_GOTO);
      nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, code);
      if (v->kind == Verdict::Kind::Goto) nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, v->chain.c_str());
    }
    nftnl_set_elem_add(out.get(), e);  // the set owns it from here
  };
  for (std::size_t i = first; i < last; ++i) {
    const auto& e = s.elements[i];
    add(e.lo, false, e.verdict ? &*e.verdict : nullptr);
    if (s.interval && e.hi != key_max(s.key)) add(e.hi + 1, true, nullptr);
  }
  return out;
}

// libnftnl's builder types each element's nest with its position (1, 2, 3...); the UAPI, kernel dumps and
// put_element_payload use NFTA_LIST_ELEM. Retypes the nests of `nlh`'s element list that way.
void retype_list_elements(nlmsghdr* nlh) {
  // libmnl's mnl_attr_for_each macros, spelled out for C++ (they assign a void*).
  auto* attr = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
  for (; mnl_attr_ok(attr, static_cast<int>(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                            reinterpret_cast<char*>(attr)));
       attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    auto* elem = static_cast<nlattr*>(mnl_attr_get_payload(attr));
    for (; mnl_attr_ok(elem, static_cast<int>(reinterpret_cast<char*>(attr) + attr->nla_len -
                                              reinterpret_cast<char*>(elem)));
         elem = mnl_attr_next(elem))
      elem->nla_type = NLA_F_NESTED | NFTA_LIST_ELEM;
  }
}

// The batch writes element lists with libmnl (put_element_payload); libnftnl's payload of the same elements is the
// reference, byte for byte but for the nests' type: interval and hash maps with every verdict kind, an end at the
// top of the key space (no end element), plain sets, with and without a set id, across message boundaries. And
// libnftnl's parser (what canonical() and the read-back use) takes every message back.
TEST(Batch, ElementPayloadIsWhatLibnftnlBuilds) {
  auto rs = build_ruleset(testing::many_prefixes(kHashMapMin + 5), QueueImpl::Compat);
  Set ports{"p", KeyType::Port, true, false, "", {{1, 10, {}}, {443, 443, {}}, {65000, 65535, {}}}};
  Set verdicts{"v", KeyType::Ipv4, true, true, "", {}};
  verdicts.elements.push_back({1, 2, Verdict{Verdict::Kind::Accept, ""}});
  verdicts.elements.push_back({5, 9, Verdict{Verdict::Kind::Drop, ""}});
  verdicts.elements.push_back({10, 0xffffffffu, Verdict{Verdict::Kind::Goto, "en_12345"}});
  rs.sets.push_back(ports);
  rs.sets.push_back(verdicts);
  std::size_t compared = 0;
  for (const auto& set : rs.sets) {
    for (std::uint32_t id : {0u, 7u}) {
      for (const std::size_t max_nest : {std::size_t{60000}, std::size_t{200}}) {
        for (std::size_t first = 0, last = 0; first < set.elements.size(); first = last) {
          last = chunk_end(set, set.elements, first, max_nest);
          ASSERT_GT(last, first);
          std::vector<char> a(kMaxElementMessage), b(kMaxElementMessage);
          auto* na = nftnl_nlmsg_build_hdr(a.data(), NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, 9);
          auto* nb = nftnl_nlmsg_build_hdr(b.data(), NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, 9);
          nftnl_set_elems_nlmsg_build_payload(na, libnftnl_elements(rs.table, set, first, last, id).get());
          retype_list_elements(na);
          put_element_payload(nb, rs.table, set, set.elements, first, last, id);
          ASSERT_EQ(na->nlmsg_len, nb->nlmsg_len) << set.name << " [" << first << ", " << last << ")";
          std::size_t at = 0;
          while (at < na->nlmsg_len && a[at] == b[at]) ++at;
          EXPECT_EQ(at, na->nlmsg_len) << set.name << " [" << first << ", " << last
                                       << "): first difference at byte " << at << " of " << na->nlmsg_len;
          if (at != na->nlmsg_len) continue;  // (libnftnl's parser may crash on a malformed element)
          SetPtr parsed(nftnl_set_alloc());
          EXPECT_EQ(nftnl_set_elems_nlmsg_parse(nb, parsed.get()), 0) << set.name << " [" << first << ", " << last;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 20u);
}

TEST(Batch, RulesParseBackToTheSameExpressions) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  const auto want = canonical(rs);
  std::map<std::string, std::size_t> index;
  std::size_t rules = 0;
  for (const auto& m : messages(replace_batch(rs, 1))) {
    if (m.type != NFT_MSG_NEWRULE) continue;
    RulePtr r(nftnl_rule_alloc());
    ASSERT_GE(nftnl_rule_nlmsg_parse(m.nlh(), r.get()), 0);
    const auto line = canonical_rule(r.get(), index[nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)]++);
    EXPECT_TRUE(std::binary_search(want.lines.begin(), want.lines.end(), line)) << line;
    ++rules;
  }
  // deny 2, inspect 11 SYN-with-data (one per TCP header length) + 2, en_N 3 each, output, forward 1
  EXPECT_EQ(rules, 2u + (kTcpDoffMax - kTcpDoffMin + 1) + 2u + 3u * 2u + rs.find_chain("output")->rules.size() + 1u);
}

TEST(Batch, CompatQueueBlobIsHostOrderAndPadded) {
  auto plan = testing::small_plan();
  plan.kernel.queue_num = 0x1234;
  plan.kernel.queue_total = 3;
  plan.kernel.fail_open = true;
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  auto rule = make_rule(rs.table, "inspect", rs.find_chain("inspect")->rules.back(), {});
  bool seen = false;
  nftnl_expr_foreach(
      rule.get(),
      [](nftnl_expr* e, void* d) -> int {
        if (std::string(nftnl_expr_get_str(e, NFTNL_EXPR_NAME)) != "target") return 0;
        *static_cast<bool*>(d) = true;
        EXPECT_STREQ(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE");
        EXPECT_EQ(nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV), 3u);
        std::uint32_t len = 0;
        const auto* info = static_cast<const std::uint8_t*>(nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len));
        EXPECT_EQ(len, 8u);
        std::uint16_t f[3];
        std::memcpy(f, info, sizeof f);
        EXPECT_EQ(f[0], 0x1234);  // queuenum, host order
        EXPECT_EQ(f[1], 3);       // queues_total >= 1
        EXPECT_EQ(f[2], 1);       // NFQ_FLAG_BYPASS
        EXPECT_EQ(info[6], 0);
        EXPECT_EQ(info[7], 0);
        return 0;
      },
      &seen);
  EXPECT_TRUE(seen);
}

TEST(Batch, UpdateOfIdenticalRulesetsIsEmpty) {
  const auto rs = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  UpdateSummary s;
  const auto b = update_batch(rs, rs, 1, true, &s);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(b.messages(), 0u);
}

TEST(Batch, UpdateSendsOnlyTheDifference) {
  auto plan = many_ranges(10000);
  const auto a = build_ruleset(plan, QueueImpl::Compat);
  plan.v4[500].network = 1 - plan.v4[500].network;
  plan.networks[1].ports.push_back({8080, policy::Verdict::Deny, policy::Inspection::None, {}, {}});
  const auto b = build_ruleset(plan, QueueImpl::Compat);
  UpdateSummary s;
  const auto batch = update_batch(a, b, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.elements_removed, 1u);
  EXPECT_EQ(s.elements_added, 2u);  // the moved range and the new port
  EXPECT_EQ(s.chains_rewritten, 0u);
  EXPECT_LT(batch.bytes(), 2000u);
  const auto m = messages(batch);
  EXPECT_EQ(m[1].type, NFT_MSG_DELSETELEM);
  EXPECT_EQ(m[2].type, NFT_MSG_NEWSETELEM);
}

TEST(Batch, HashMapElementsAreOneKeyEachWithTheSetSize) {
  const auto rs = build_ruleset(testing::many_prefixes(3000), QueueImpl::Compat);
  const auto b = replace_batch(rs, 1);
  std::size_t keys = 0, sized = 0;
  for (const auto& m : messages(b)) {
    if (m.type == NFT_MSG_NEWSET) {
      auto set = SetPtr(nftnl_set_alloc());
      ASSERT_GE(nftnl_set_nlmsg_parse(m.nlh(), set.get()), 0);
      if (std::string(nftnl_set_get_str(set.get(), NFTNL_SET_NAME)) != "dst6_64") continue;
      EXPECT_EQ(nftnl_set_get_u32(set.get(), NFTNL_SET_FLAGS) & NFT_SET_INTERVAL, 0u);
      EXPECT_EQ(nftnl_set_get_u32(set.get(), NFTNL_SET_DESC_SIZE), 4096u);  // 3000 + a quarter, rounded up
      ++sized;
    }
    if (m.type != NFT_MSG_NEWSETELEM) continue;
    const auto here = count_elements(m);
    if (here.set != "dst6_64") continue;
    EXPECT_EQ(here.ends, 0u);
    keys += here.starts;
  }
  EXPECT_EQ(sized, 1u);
  EXPECT_EQ(keys, 3000u);
}

TEST(Batch, UpdateInAHashMapAndAcrossTheThreshold) {
  auto plan = testing::many_prefixes(kHashMapMin + 1);
  const auto a = build_ruleset(plan, QueueImpl::Compat);
  ASSERT_NE(a.find_set("dst6_64"), nullptr);
  plan.v6[7].network = 1 - plan.v6[7].network;
  const auto b = build_ruleset(plan, QueueImpl::Compat);
  UpdateSummary s;
  (void)update_batch(a, b, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.elements_removed, 1u);
  EXPECT_EQ(s.elements_added, 1u);
  EXPECT_EQ(s.chains_rewritten, 0u);
  // two prefixes fewer: below the threshold, the elements move back to the interval map in the same transaction
  plan.v6.resize(kHashMapMin - 1);
  const auto c = build_ruleset(plan, QueueImpl::Compat);
  EXPECT_EQ(c.find_set("dst6_64"), nullptr);
  (void)update_batch(b, c, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.sets_removed, 1u);
  EXPECT_EQ(s.chains_rewritten, 1u);  // output: its dst6_64 lookup goes
  EXPECT_EQ(s.elements_added, kHashMapMin - 1);
}

// Set promises sorted elements; a ruleset that breaks the promise (reversed, or only its last two swapped, which
// the merge reaches last) still gets exactly the difference, through the sorting fallback.
TEST(Batch, UpdateOfUnsortedElementsIsStillTheDifference) {
  auto plan = many_ranges(1000);
  const auto a = build_ruleset(plan, QueueImpl::Compat);
  plan.v4[500].network = 1 - plan.v4[500].network;
  const auto b = build_ruleset(plan, QueueImpl::Compat);
  auto dst4 = [](Ruleset& rs) -> std::vector<Element>& {
    for (auto& s : rs.sets)
      if (s.name == "dst4") return s.elements;
    throw std::runtime_error("no dst4");
  };
  for (int variant = 0; variant < 3; ++variant) {
    auto cur = a, des = b;
    if (variant == 0) std::reverse(dst4(des).begin(), dst4(des).end());
    if (variant == 1) std::swap(dst4(des)[998], dst4(des)[999]);
    if (variant == 2) std::swap(dst4(cur)[0], dst4(cur)[1]);
    UpdateSummary s;
    (void)update_batch(cur, des, 1, true, &s);
    EXPECT_EQ(s.elements_removed, 1u) << "variant " << variant;
    EXPECT_EQ(s.elements_added, 1u) << "variant " << variant;
  }
}

TEST(Batch, QueueImplementationChangeIsAFullReplace) {
  const auto a = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  const auto b = build_ruleset(testing::small_plan(), QueueImpl::Native);
  UpdateSummary s;
  (void)update_batch(a, b, 1, true, &s);
  EXPECT_TRUE(s.full_replace);
}

TEST(Batch, ProbeIsCheckOnly) {
  const auto b = probe_batch(QueueImpl::Native, 7);
  const auto m = messages(b);
  EXPECT_NE(m.back().type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(m.back().type, NFT_MSG_NEWRULE);
  EXPECT_NE(b.object(m.back().seq).find("nft queue expression"), std::string::npos);
}

TEST(Batch, SummaryOfACanonicalListing) {
  for (const auto q : {QueueImpl::Compat, QueueImpl::Native}) {
    const auto rs = build_ruleset(testing::small_plan(), q);
    const auto s = summarize(canonical(rs));
    EXPECT_EQ(s.networks, 2u);
    EXPECT_EQ(s.sets, rs.sets.size());
    EXPECT_EQ(s.chains, rs.chains.size());
    std::size_t elements = 0, rules = 0;
    for (const auto& set : rs.sets) elements += set.elements.size();
    for (const auto& ch : rs.chains) rules += ch.rules.size();
    EXPECT_EQ(s.elements, elements);
    EXPECT_EQ(s.rules, rules);
    ASSERT_TRUE(s.queue);
    EXPECT_EQ(*s.queue, q);
  }
  EXPECT_FALSE(summarize(Canonical{}).queue);
}

}  // namespace
}  // namespace nfegress::netfilter
