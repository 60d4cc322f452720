// tests/netfilter/anchor_test.cpp — the SYN-ACK anchor's kernel contract (KernelOptions::syn_ack_anchor, issue 19):
// goldens of pod and node tables with it on, the inspect chain's rule order, set `first` as libnftnl builds it and
// as `status` compares it, a minimal update that never recreates the set, and the probe batch. Off: nothing of it.
#include <gtest/gtest.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>

#include "fixtures.hpp"
#include "golden.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/canonical.hpp"
#include "netfilter/objects.hpp"
#include "netfilter/render.hpp"
#include "policy/load.hpp"

namespace nfegress::netfilter {
namespace {

using MK = Match::Kind;
using AK = Action::Kind;

policy::Plan anchored(policy::Plan p = testing::small_plan()) {
  p.kernel.syn_ack_anchor = true;
  return p;
}

Ruleset node_anchored() {
  auto r = policy::load_paths({std::string(NFEGRESS_SOURCE_DIR) + "/tests/data/policies/node-namespaces.yaml"});
  EXPECT_FALSE(policy::has_errors(r.diagnostics));
  std::vector<policy::Client> cs;
  std::string err;
  for (const char* s : {"192.0.2.0/28=team-a", "192.0.2.20=team-c", "2001:db8:a::10=team-a"})
    cs.push_back(*policy::parse_client(s, "test", err));
  EXPECT_TRUE(policy::normalize_clients(cs).empty());
  std::vector<std::string> nss;
  for (const auto& c : cs) nss.push_back(c.ns);
  policy::KernelOptions k;
  k.syn_ack_anchor = true;
  return build_node_ruleset(k, policy::plans_by_client(r.resources, nss, {}, k), cs, QueueImpl::Native);
}

TEST(Anchor, GoldenPodAndNode) {
  const auto rs = build_ruleset(anchored(), QueueImpl::Native);
  testing::expect_golden("anchor_native.nft", render_text(rs));
  testing::expect_golden("anchor_native.json", render_json(rs).dump(1) + "\n");
  const auto compat = build_ruleset(anchored(), QueueImpl::Compat);
  testing::expect_golden("anchor_compat.check.nft", render_text(compat, {.checkable = true}));
  testing::expect_golden("anchor_compat.check.json", render_json(compat, {.checkable = true}).dump(1) + "\n");
  testing::expect_golden("anchor_node.nft", render_text(node_anchored()));
}

TEST(Anchor, OffLeavesNothingOfIt) {
  for (const auto& rs : {build_ruleset(testing::small_plan(), QueueImpl::Native),
                         build_ruleset(testing::audit_plan(), QueueImpl::Compat)}) {
    EXPECT_EQ(rs.find_set(kAnchorSet), nullptr);
    EXPECT_EQ(rs.find_chain(kAnchorChain), nullptr);
    EXPECT_EQ(rs.find_chain(kInspectDataChain), nullptr);
    const auto text = render_text(rs);
    EXPECT_EQ(text.find("meta mark set"), std::string::npos);
    EXPECT_EQ(text.find("ct id"), std::string::npos);
  }
}

TEST(Anchor, InspectChainOrder) {
  const auto plan = anchored();
  const auto& k = plan.kernel;
  const auto rs = build_ruleset(plan, QueueImpl::Compat);
  const auto& r = rs.find_chain("inspect")->rules;
  const std::size_t doffs = kTcpDoffMax - kTcpDoffMin + 1;
  ASSERT_EQ(r.size(), doffs + 1 + doffs + 2);
  for (std::size_t i = 0; i < doffs; ++i) {  // TFO: clear the mark bits, queue
    ASSERT_EQ(r[i].actions.size(), 2u);
    EXPECT_EQ(r[i].matches[0].kind, MK::TcpSyn);
    EXPECT_EQ(r[i].actions[0].kind, AK::MetaMarkSet);
    EXPECT_EQ(r[i].actions[0].mask, k.mark_mask());
    EXPECT_EQ(r[i].actions[0].value, 0u);
    EXPECT_EQ(r[i].actions[1].kind, AK::Queue);
  }
  const auto& syn = r[doffs];  // pure SYN: PENDING, accept
  EXPECT_EQ(syn.matches.front().kind, MK::TcpSyn);
  EXPECT_EQ(syn.actions[0].kind, AK::CtMarkSet);
  EXPECT_EQ(syn.actions[0].value, k.mark_pending());
  EXPECT_EQ(syn.actions[1].verdict, (Verdict{Verdict::Kind::Accept, {}}));
  for (std::size_t i = 0; i < doffs; ++i) {  // payload: inspect_data
    const auto& d = r[doffs + 1 + i];
    EXPECT_EQ(d.matches[1].kind, MK::TcpDoff);
    EXPECT_EQ(d.matches[1].value, kTcpDoffMin + i);
    EXPECT_EQ(d.matches[2].kind, MK::ThByte);
    EXPECT_EQ(d.actions[0].verdict, (Verdict{Verdict::Kind::Goto, kInspectDataChain}));
  }
  const auto& quiet = r[2 * doffs + 1];
  EXPECT_EQ(quiet.matches[0].kind, MK::CtMark);
  EXPECT_EQ(quiet.matches[0].value, k.mark_pending());
  EXPECT_EQ(quiet.matches[1].kind, MK::TcpFlags);
  EXPECT_EQ(quiet.matches[1].mask, 0x05u);  // fin | rst
  const auto& last = r.back();
  EXPECT_TRUE(last.matches.empty());
  EXPECT_EQ(last.actions[0].kind, AK::MetaMarkSet);
  EXPECT_EQ(last.actions[1].kind, AK::Queue);
  const auto& data = rs.find_chain(kInspectDataChain)->rules;
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].matches[0].kind, MK::CtIdSeqIn);
  EXPECT_EQ(data[0].actions[0].value, k.mark_allow());
  EXPECT_EQ(data[1].actions[0].value, 0u);
  // inspect_data exists before inspect (a goto needs its chain), the anchor chain on the input hook.
  std::size_t at_data = 0, at_inspect = 0;
  for (std::size_t i = 0; i < rs.chains.size(); ++i) {
    if (rs.chains[i].name == kInspectDataChain) at_data = i;
    if (rs.chains[i].name == "inspect") at_inspect = i;
  }
  EXPECT_LT(at_data, at_inspect);
  const auto* anchor = rs.find_chain(kAnchorChain);
  ASSERT_NE(anchor, nullptr);
  EXPECT_TRUE(anchor->base);
  EXPECT_EQ(anchor->hook, Chain::Hook::Input);
  ASSERT_EQ(anchor->rules.size(), 2u);
  EXPECT_EQ(anchor->rules[0].matches[0].kind, MK::IifLoopback);
  EXPECT_EQ(anchor->rules[1], anchor_rule(k));
}

TEST(Anchor, NodeForwardChainAnchorsAfterReversePathBeforeDispatch) {
  const auto rs = node_anchored();
  ASSERT_NE(rs.find_set(kAnchorSet), nullptr);
  EXPECT_EQ(rs.find_chain(kAnchorChain), nullptr);  // the forward chain holds the rule
  const auto& f = rs.find_chain("forward")->rules;
  ASSERT_GE(f.size(), 4u);
  EXPECT_EQ(f[0].matches[0].kind, MK::IifLoopback);
  EXPECT_EQ(f[1].matches[0].kind, MK::RpfMissing);
  EXPECT_EQ(f[2], anchor_rule(policy::KernelOptions{}));
  EXPECT_EQ(f[3].actions[0].kind, AK::Vmap);
  std::size_t sets = 0;
  for (const auto& s : rs.sets) sets += s.name == kAnchorSet;
  EXPECT_EQ(sets, 1u);  // one per table, no plan prefix
}

TEST(Anchor, SetAsLibnftnlBuildsIt) {
  const Set s = anchor_set();
  auto o = make_set("t", s, 1);
  EXPECT_EQ(nftnl_set_get_u32(o.get(), NFTNL_SET_FLAGS), static_cast<std::uint32_t>(NFT_SET_EVAL | NFT_SET_TIMEOUT));
  EXPECT_EQ(nftnl_set_get_u32(o.get(), NFTNL_SET_KEY_LEN), 8u);
  EXPECT_EQ(nftnl_set_get_u32(o.get(), NFTNL_SET_KEY_TYPE), 260u);  // integer . integer, as nft sends it
  EXPECT_EQ(nftnl_set_get_u64(o.get(), NFTNL_SET_TIMEOUT), 60000u);
  EXPECT_EQ(nftnl_set_get_u32(o.get(), NFTNL_SET_DESC_SIZE), 262144u);
  EXPECT_EQ(canonical_set(o.get()), "set first flags=48 keytype=260 keylen=8 size=262144 timeout=60000");
  EXPECT_TRUE(summarize(canonical(build_ruleset(anchored(), QueueImpl::Native))).anchor);
  EXPECT_FALSE(summarize(canonical(build_ruleset(testing::small_plan(), QueueImpl::Native))).anchor);
  // The audit sets keep their per-element counter; the anchor has none.
  const auto audit = build_ruleset(testing::audit_plan(), QueueImpl::Native);
  for (const auto& a : audit.sets)
    if (a.dynamic) {
      EXPECT_TRUE(a.counter) << a.name;
    }
  EXPECT_FALSE(s.counter);
}

// The SYN-ACK rule and the data lookup as nft --debug=netlink shows them for the same phrases (nft 1.0.6).
TEST(Anchor, ExpressionsAreNftsOwn) {
  const auto rs = build_ruleset(anchored(), QueueImpl::Native);
  const auto c = canonical(rs);
  auto has = [&](const std::string& needle) {
    for (const auto& l : c.lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("[ct load unknown => reg 1 ] [payload load 4b @ transport header + 8 => reg 9 ] "
                  "[dynset op=0 reg_key=1 set=first]"));
  EXPECT_TRUE(has("[ct load unknown => reg 1 ] [payload load 4b @ transport header + 4 => reg 9 ] "
                  "[lookup reg 1 set first"));
  EXPECT_TRUE(has("[ct load direction => reg 1 ] [cmp eq reg 1 0x00000001 ]"));
  EXPECT_TRUE(has("[meta load mark => reg 1 ] [bitwise reg 1 = ( reg 1 & 0xffcfffff ) ^ 0x00100000 ] "
                  "[meta set mark with reg 1 ]"));
  EXPECT_TRUE(has("[bitwise reg 1 = ( reg 1 & 0x00000005 ) ^ 0x00000000 ] [cmp eq reg 1 0x00000000 ]"));
}

TEST(Anchor, MinimalUpdateNeverRecreatesTheSet) {
  auto plan = anchored();
  const auto a = build_ruleset(plan, QueueImpl::Native);
  UpdateSummary s;
  EXPECT_EQ(update_batch(a, a, 1, true, &s).messages(), 0u);
  EXPECT_TRUE(s.empty());
  plan.networks[0].ports.push_back({8443, policy::Verdict::Inspect, policy::Inspection::Tls, {}, {}});
  const auto b = build_ruleset(plan, QueueImpl::Native);
  const auto batch = update_batch(a, b, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.sets_added + s.sets_removed, 0u);
  for (const auto& o : batch.objects) EXPECT_EQ(o.find("set first"), std::string::npos) << o;
  // Turning the anchor on is a set and chains more, not a rebuild.
  const auto off = build_ruleset(testing::small_plan(), QueueImpl::Native);
  (void)update_batch(off, a, 1, true, &s);
  EXPECT_FALSE(s.full_replace);
  EXPECT_EQ(s.sets_added, 1u);
  EXPECT_EQ(s.chains_added, 2u);  // inspect_data, anchor
}

TEST(Anchor, ProbeIsCheckOnlyWithTheSetAndTheRule) {
  const auto b = anchor_probe_batch(5);
  EXPECT_FALSE(b.commit);
  ASSERT_EQ(b.objects.size(), 4u);
  EXPECT_NE(b.objects[1].find("set first"), std::string::npos);
  EXPECT_NE(b.objects[3].find("SYN-ACK"), std::string::npos);
}

}  // namespace
}  // namespace nfegress::netfilter
