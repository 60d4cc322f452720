// tests/netfilter/guard_test.cpp — the netdev egress guard without a kernel: its rules (link-layer loads only, a
// counted drop last), the table pair in one transaction (replace, update, reset), its canonical lines and its
// text/JSON forms. The kernel half is tests/netns/init_guard.sh.
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "fixtures.hpp"
#include "netfilter/batch.hpp"
#include "netfilter/canonical.hpp"
#include "netfilter/guard.hpp"
#include "netfilter/render.hpp"

namespace nfegress::netfilter {
namespace {

struct Msg {
  std::uint16_t type;
  std::uint8_t family;
  std::string what;
};

// (type, family, object) of every object message of a batch.
std::vector<Msg> objects(const Batch& b) {
  std::vector<char> all;
  for (const auto& v : b.iovecs())
    all.insert(all.end(), static_cast<const char*>(v.iov_base), static_cast<const char*>(v.iov_base) + v.iov_len);
  std::vector<Msg> out;
  int left = static_cast<int>(all.size());
  for (auto* h = reinterpret_cast<const nlmsghdr*>(all.data()); mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
    if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;  // batch begin/end
    const auto* g = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(h));
    out.push_back({static_cast<std::uint16_t>(h->nlmsg_type & 0xff), g->nfgen_family, b.object(h->nlmsg_seq)});
  }
  return out;
}

policy::Plan guarded(std::vector<std::string> devices) {
  auto p = testing::small_plan();
  p.kernel.guard_devices = std::move(devices);
  return p;
}

TEST(Guard, RulesReadTheWireAndDropTheRest) {
  const auto rs = build_ruleset(guarded({"eth1", "eth0", "eth1"}), QueueImpl::Compat);
  ASSERT_TRUE(rs.guard);
  EXPECT_EQ(rs.guard->devices, (std::vector<std::string>{"eth0", "eth1"}));  // sorted, once each
  const auto& r = rs.guard->rules;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(rule_text(r[0]), "meta rtclassid >= 0 accept");
  EXPECT_EQ(rule_text(r[1]), "@ll,96,16 0x0806 accept");
  EXPECT_EQ(rule_text(r[2]),
            "@ll,0,48 0xffffffffffff @ll,96,16 0x0800 @ll,112,8 0x45 @ll,184,8 0x11 @ll,240,32 0xffffffff "
            "@ll,272,32 0x00440043 accept");
  EXPECT_EQ(rule_text(r[3]), "counter drop");
  // Nothing but link-layer loads and the route: no skb->protocol-dependent match a packet socket could fake.
  for (const auto& rule : r)
    for (const auto& m : rule.matches)
      EXPECT_TRUE(m.kind == Match::Kind::LlEq || m.kind == Match::Kind::MetaRtclassid) << rule_text(rule);
}

TEST(Guard, OffOrUnmanaged) {
  EXPECT_FALSE(build_ruleset(testing::small_plan(), QueueImpl::Compat).guard);  // nobody listed interfaces
  auto none = build_ruleset(guarded({}), QueueImpl::Compat);
  ASSERT_TRUE(none.guard);
  EXPECT_FALSE(none.guard->on());
  EXPECT_EQ(none.guard->off_reason, "no interface but loopback");
  auto plan = guarded({"eth0"});
  plan.kernel.egress_guard = false;
  const auto off = build_ruleset(plan, QueueImpl::Compat);
  EXPECT_FALSE(off.guard->on());
  EXPECT_EQ(off.guard->off_reason, "--no-egress-guard");
  EXPECT_NE(render_text(off).find("# table netdev nfegress (egress guard against packet sockets): not programmed: "
                                  "--no-egress-guard"),
            std::string::npos);
}

// Both tables in ONE transaction: the kernel applies the pair or neither.
TEST(Guard, ReplaceProgramsBothTablesInOneBatch) {
  const auto rs = build_ruleset(guarded({"eth0"}), QueueImpl::Compat);
  const auto m = objects(replace_batch(rs, 1));
  std::size_t first_netdev = m.size();
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m[i].family == NFPROTO_NETDEV && first_netdev == m.size()) first_netdev = i;
  ASSERT_LT(first_netdev, m.size());
  for (std::size_t i = first_netdev; i < m.size(); ++i) EXPECT_EQ(m[i].family, NFPROTO_NETDEV) << m[i].what;
  const std::vector<std::uint16_t> want = {NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN,
                                           NFT_MSG_NEWRULE,  NFT_MSG_NEWRULE,  NFT_MSG_NEWRULE,  NFT_MSG_NEWRULE};
  ASSERT_EQ(m.size() - first_netdev, want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(m[first_netdev + i].type, want[i]) << i;
  EXPECT_EQ(m[first_netdev].what, "create table netdev nfegress");
  EXPECT_EQ(m[first_netdev + 3].what, "chain egress of table netdev nfegress (devices eth0)");
  EXPECT_NE(m.back().what.find("rule 4 of chain egress of table netdev nfegress (not routed"), std::string::npos);

  // Off: the netdev table is removed in the same transaction (create-if-missing + delete), nothing created.
  auto plan = guarded({"eth0"});
  plan.kernel.egress_guard = false;
  const auto off = objects(replace_batch(build_ruleset(plan, QueueImpl::Compat), 1));
  ASSERT_GE(off.size(), 2u);
  EXPECT_EQ(off[off.size() - 2].type, NFT_MSG_NEWTABLE);
  EXPECT_EQ(off.back().type, NFT_MSG_DELTABLE);
  EXPECT_EQ(off.back().family, NFPROTO_NETDEV);
  // Off with no guard table in the kernel (init looked): nothing to remove, not a single netdev message (a kernel
  // without netdev tables refuses even the removal).
  plan.kernel.guard_remove = false;
  for (const auto& x : objects(replace_batch(build_ruleset(plan, QueueImpl::Compat), 1)))
    EXPECT_NE(x.family, NFPROTO_NETDEV) << x.what;
  // Unmanaged (the enforcer): not a single netdev message.
  for (const auto& x : objects(replace_batch(build_ruleset(testing::small_plan(), QueueImpl::Compat), 1)))
    EXPECT_NE(x.family, NFPROTO_NETDEV) << x.what;
}

TEST(Guard, ResetRemovesBothTables) {
  const auto m = objects(delete_batch("nfegress", 1));
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].type, NFT_MSG_DELTABLE);
  EXPECT_EQ(m[1].family, NFPROTO_INET);
  EXPECT_EQ(m[3].type, NFT_MSG_DELTABLE);
  EXPECT_EQ(m[3].family, NFPROTO_NETDEV);
  EXPECT_EQ(objects(delete_batch("nfegress", 1, false)).size(), 2u);  // no guard table there: inet only
}

TEST(Guard, UpdateRewritesTheGuardOnlyWhenItChanged) {
  const auto a = build_ruleset(guarded({"eth0"}), QueueImpl::Compat);
  UpdateSummary s;
  update_batch(a, a, 1, true, &s);
  EXPECT_TRUE(s.empty());
  const auto b = build_ruleset(guarded({"eth0", "eth1"}), QueueImpl::Compat);  // an interface more
  const auto m = objects(update_batch(a, b, 1, true, &s));
  EXPECT_TRUE(s.guard_replaced);
  EXPECT_FALSE(s.empty());
  ASSERT_FALSE(m.empty());
  for (const auto& x : m) EXPECT_EQ(x.family, NFPROTO_NETDEV) << x.what;  // the inet table is untouched
  // A desired ruleset that does not manage the guard leaves it alone.
  const auto unmanaged = build_ruleset(testing::small_plan(), QueueImpl::Compat);
  update_batch(a, unmanaged, 1, true, &s);
  EXPECT_FALSE(s.guard_replaced);
  EXPECT_TRUE(s.empty());
}

TEST(Guard, ProbeIsCheckOnlyAndNamesWhatItTries) {
  const auto b = guard_probe_batch("eth0", 7);
  EXPECT_FALSE(b.commit);
  const auto m = objects(b);
  ASSERT_EQ(m.size(), 3u);
  for (const auto& x : m) EXPECT_EQ(x.family, NFPROTO_NETDEV) << x.what;
  EXPECT_EQ(m[1].type, NFT_MSG_NEWCHAIN);
  EXPECT_EQ(m[1].what, "probe: a chain on the netdev egress hook of eth0");
  EXPECT_EQ(m[2].what, "probe: meta rtclassid in a netdev egress chain");  // choose_guard reads "rtclassid"
}

TEST(Guard, CanonicalLinesAndRender) {
  const auto rs = build_ruleset(guarded({"eth0", "veth1"}), QueueImpl::Compat);
  const auto c = canonical(rs);
  std::vector<std::string> netdev;
  for (const auto& l : c.lines)
    if (l.rfind("netdev ", 0) == 0) netdev.push_back(l);
  ASSERT_EQ(netdev.size(), 6u);  // table, chain, 4 rules
  EXPECT_NE(std::find(netdev.begin(), netdev.end(), "netdev table nfegress"), netdev.end());
  bool chain = false;
  for (const auto& l : netdev) chain = chain || l.find("chain egress hook=1 prio=0 type=filter policy=accept "
                                                        "devices=eth0,veth1") != std::string::npos;
  EXPECT_TRUE(chain);
  const auto sum = summarize(c);
  EXPECT_EQ(sum.guard_devices, "eth0,veth1");
  EXPECT_EQ(sum.guard_rules, 4u);
  EXPECT_EQ(sum.chains, 6u);  // the inet chains only

  const auto text = render_text(rs);
  EXPECT_NE(text.find("table netdev nfegress {\n\tchain egress {\n\t\ttype filter hook egress devices = { \"eth0\", "
                      "\"veth1\" } priority filter; policy accept;\n"),
            std::string::npos)
      << text;
  const auto json = render_json(rs).dump();
  EXPECT_NE(json.find(R"({"chain":{"dev":["eth0","veth1"],"family":"netdev","hook":"egress")"), std::string::npos)
      << json;
}

}  // namespace
}  // namespace nfegress::netfilter
