// netfilter/guard.cpp — layer: pure rendering. See guard.hpp: the guard's rules, its batch messages and canonical
// lines. The text and JSON forms are in render_text.cpp / render_json.cpp with the rest. Must not: send anything.
#include "netfilter/guard.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <unistd.h>

#include <algorithm>

#include "netfilter/batch_builder.hpp"
#include "netfilter/canonical.hpp"

namespace nfegress::netfilter {
namespace {

using MK = Match::Kind;

Match ll(std::uint32_t offset, std::uint32_t len, std::uint64_t data) {
  Match m;
  m.kind = MK::LlEq;
  m.offset = offset;
  m.len = len;
  m.data = data;
  return m;
}
Match routed() {
  Match m;
  m.kind = MK::MetaRtclassid;
  return m;
}
Action verdict(Verdict::Kind k) {
  Action a;
  a.kind = Action::Kind::Verdict;
  a.verdict.kind = k;
  return a;
}
Action counter() {
  Action a;
  a.kind = Action::Kind::Counter;
  return a;
}

ChainPtr guard_chain(const std::string& table, const Guard& g) {
  ChainPtr ch(nftnl_chain_alloc());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, kGuardChain);
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FAMILY, NFPROTO_NETDEV);
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, NF_NETDEV_EGRESS);
  nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, 0);  // priority filter
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  std::vector<const char*> devs;
  for (const auto& d : g.devices) devs.push_back(d.c_str());
  devs.push_back(nullptr);
  nftnl_chain_set_data(ch.get(), NFTNL_CHAIN_DEVICES, devs.data(), 0);  // copied (NFTA_HOOK_DEVS)
  return ch;
}

RulePtr guard_rule(const std::string& table, const Rule& r) {
  auto o = make_rule(table, kGuardChain, r, {});
  nftnl_rule_set_u32(o.get(), NFTNL_RULE_FAMILY, NFPROTO_NETDEV);
  return o;
}

std::string devices_text(const Guard& g) {
  std::string s;
  for (const auto& d : g.devices) s += (s.empty() ? "" : ",") + d;
  return s;
}

}  // namespace

Guard build_guard(const policy::KernelOptions& k) {
  Guard g;
  g.remove = k.guard_remove;
  if (!k.egress_guard) {
    g.off_reason = "--no-egress-guard";
    return g;
  }
  if (k.guard_devices) g.devices = *k.guard_devices;
  std::sort(g.devices.begin(), g.devices.end());
  g.devices.erase(std::unique(g.devices.begin(), g.devices.end()), g.devices.end());
  if (g.devices.empty()) {
    g.off_reason = k.guard_off.empty() ? "no interface but loopback" : k.guard_off;
    return g;
  }
  auto& r = g.rules;
  r.push_back({{routed()}, {verdict(Verdict::Kind::Accept)}, "routed by the IP stack: passed the output chain"});
  r.push_back({{ll(12, 2, 0x0806)}, {verdict(Verdict::Kind::Accept)}, "ARP (ether type 0x0806 on the wire)"});
  // Ethernet broadcast; type IPv4; version 4 + a 20-byte header (so UDP is at 34); protocol UDP; destination
  // 255.255.255.255; UDP source port 68, destination 67. Four bytes and six at a time, as nft merges them.
  r.push_back({{ll(0, 6, 0xffffffffffffULL), ll(12, 2, 0x0800), ll(14, 1, 0x45), ll(23, 1, 17),
                ll(30, 4, 0xffffffffULL), ll(34, 4, 0x00440043)},
               {verdict(Verdict::Kind::Accept)},
               "DHCPv4 client broadcast (68 -> 255.255.255.255:67)"});
  r.push_back({{}, {counter(), verdict(Verdict::Kind::Drop)},
               "not routed: a packet socket's frame (CAP_NET_RAW) bypassing the output chain"});
  return g;
}

void add_guard(detail::Builder& b, const std::string& table, const Guard& g) {
  if (!g.on() && !g.remove) return;
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE, table, NFPROTO_NETDEV);
  b.table(NFT_MSG_DELTABLE, 0, table, NFPROTO_NETDEV);
  if (!g.on()) return;
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, table, NFPROTO_NETDEV);
  auto ch = guard_chain(table, g);
  b.msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "chain egress of table netdev " + table + " (devices " + devices_text(g) + ")",
        NFPROTO_NETDEV, [&](nlmsghdr* n) { nftnl_chain_nlmsg_build_payload(n, ch.get()); });
  for (std::size_t i = 0; i < g.rules.size(); ++i) {
    auto r = guard_rule(table, g.rules[i]);
    b.msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
          "rule " + std::to_string(i + 1) + " of chain egress of table netdev " + table + " (" + g.rules[i].comment +
              ")",
          NFPROTO_NETDEV, [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, r.get()); });
  }
}

void delete_guard(detail::Builder& b, const std::string& table) {
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE, table, NFPROTO_NETDEV);
  b.table(NFT_MSG_DELTABLE, 0, table, NFPROTO_NETDEV);
}

Batch guard_probe_batch(const std::string& device, std::uint32_t seq) {
  const std::string table = "nfegress_probe_" + std::to_string(::getpid());
  detail::Builder b(seq, false);
  Guard g;
  g.devices = {device};
  b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE, table, NFPROTO_NETDEV);
  auto ch = guard_chain(table, g);
  b.msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "probe: a chain on the netdev egress hook of " + device, NFPROTO_NETDEV,
        [&](nlmsghdr* n) { nftnl_chain_nlmsg_build_payload(n, ch.get()); });
  auto r = guard_rule(table, Rule{{routed()}, {verdict(Verdict::Kind::Accept)}, {}});
  b.msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "probe: meta rtclassid in a netdev egress chain",
        NFPROTO_NETDEV, [&](nlmsghdr* n) { nftnl_rule_nlmsg_build_payload(n, r.get()); });
  return b.finish();
}

std::string canonical_guard_chain(nftnl_chain* c) {
  std::vector<std::string> devs;
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEV)) devs.push_back(nftnl_chain_get_str(c, NFTNL_CHAIN_DEV));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_DEVICES)) {
    const auto* const* arr = static_cast<const char* const*>(nftnl_chain_get(c, NFTNL_CHAIN_DEVICES));
    for (; arr && *arr; ++arr) devs.push_back(*arr);
  }
  // A kernel reports a single device both ways (NFTA_HOOK_DEV for old tools and NFTA_HOOK_DEVS): once each here.
  std::sort(devs.begin(), devs.end());
  devs.erase(std::unique(devs.begin(), devs.end()), devs.end());
  std::string d;
  for (const auto& x : devs) d += (d.empty() ? "" : ",") + x;
  return "netdev " + canonical_chain(c) + " devices=" + d;
}

std::string canonical_guard_rule(nftnl_rule* r, std::size_t index) { return "netdev " + canonical_rule(r, index); }

void canonical_guard(const std::string& table, const Guard& g, std::vector<std::string>& out) {
  if (!g.on()) return;
  out.push_back("netdev table " + table);
  auto ch = guard_chain(table, g);
  out.push_back(canonical_guard_chain(ch.get()));
  for (std::size_t i = 0; i < g.rules.size(); ++i) {
    auto r = guard_rule(table, g.rules[i]);
    out.push_back(canonical_guard_rule(r.get(), i));
  }
}

}  // namespace nfegress::netfilter
