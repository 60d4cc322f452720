// netfilter/ruleset.cpp — layer: pure rendering. See ruleset.hpp. Builds the kernel contract of
// docs/architecture.md from a Plan; no policy decisions (verdicts come from the Plan), no I/O.
#include "netfilter/ruleset.hpp"

#include <algorithm>

namespace nfegress::netfilter {
namespace {

using policy::u128;
using MK = Match::Kind;
using AK = Action::Kind;
using VK = Verdict::Kind;

Verdict accept() { return {VK::Accept, {}}; }
Verdict drop() { return {VK::Drop, {}}; }
Verdict go(std::string c) { return {VK::Goto, std::move(c)}; }

Action act(AK k) {
  Action a;
  a.kind = k;
  return a;
}
Action verdict(Verdict v) {
  Action a = act(AK::Verdict);
  a.verdict = std::move(v);
  return a;
}
Match match(MK k, std::uint32_t mask = 0, std::uint32_t value = 0, std::string set = {}) {
  Match m;
  m.kind = k;
  m.mask = mask;
  m.value = value;
  m.set = std::move(set);
  return m;
}
Rule rule(std::vector<Match> m, std::vector<Action> a, std::string comment) {
  return Rule{std::move(m), std::move(a), std::move(comment)};
}
Action ct_mark_set(std::uint32_t mask, std::uint32_t value) {
  Action a = act(AK::CtMarkSet);
  a.mask = mask;
  a.value = value;
  return a;
}
Action vmap(Action::VmapKey k, std::string set) {
  Action a = act(AK::Vmap);
  a.vmap_key = k;
  a.set = std::move(set);
  return a;
}

Verdict port_verdict(policy::Verdict v) {
  switch (v) {
    case policy::Verdict::Allow: return accept();
    case policy::Verdict::Inspect: return go("inspect");
    case policy::Verdict::Deny: break;
  }
  return go("deny");
}

Set prefix_set(std::string name, KeyType k, const std::vector<policy::IpPrefix>& cidrs, policy::Family f,
               std::string comment) {
  Set s{std::move(name), k, true, false, std::move(comment), {}};
  for (const auto& p : cidrs)
    if (p.family == f) s.elements.push_back({p.first(), p.last(), std::nullopt});
  std::sort(s.elements.begin(), s.elements.end(), [](const Element& a, const Element& b) { return a.lo < b.lo; });
  // Merge overlapping/adjacent prefixes: the kernel rejects overlapping intervals.
  std::vector<Element> merged;
  for (const auto& e : s.elements) {
    if (!merged.empty() && (merged.back().hi == key_max(k) || e.lo <= merged.back().hi + 1)) {
      merged.back().hi = std::max(merged.back().hi, e.hi);
      continue;
    }
    merged.push_back(e);
  }
  s.elements = std::move(merged);
  return s;
}

Chain output_chain(const policy::Plan& plan) {
  const auto& k = plan.kernel;
  const auto m = k.mark_mask();
  Chain c{"output", true, {}, {}};
  auto& r = c.rules;
  r.push_back(rule({match(MK::OifLoopback)}, {verdict(accept())}, "loopback is never touched"));
  r.push_back(rule({match(MK::SkUid, 0, k.exempt_uid)}, {verdict(accept())}, "exempt uid (the enforcer)"));
  r.push_back(rule({match(MK::CtMark, m, k.mark_allow())}, {verdict(accept())}, "flow decided: allow"));
  r.push_back(rule({match(MK::CtMark, m, k.mark_deny())}, {verdict(go("deny"))}, "flow decided: deny"));
  r.push_back(rule({match(MK::MetaMark, m, k.mark_pass())}, {verdict(accept())},
                   "enforcer: this packet passes, flow still inspected"));
  r.push_back(rule({match(MK::MetaMark, m, k.mark_allow())}, {ct_mark_set(m, k.mark_allow()), verdict(accept())},
                   "enforcer verdict: allow the flow"));
  r.push_back(rule({match(MK::MetaMark, m, k.mark_deny())}, {ct_mark_set(m, k.mark_deny()), verdict(go("deny"))},
                   "enforcer verdict: deny the flow"));
  r.push_back(rule({match(MK::DportIn, 0, 0, "ignore_ports")}, {verdict(accept())}, "--ignore-ports"));
  r.push_back(rule({match(MK::Daddr4In, 0, 0, "ignore4")}, {verdict(accept())}, "--ignore-cidrs"));
  r.push_back(rule({match(MK::Daddr6In, 0, 0, "ignore6")}, {verdict(accept())}, "--ignore-cidrs"));
  // IPv6 resolves its neighbours (the default router included) with ICMPv6 to solicited-node multicast and
  // unicast addresses that a network-less EgressNetwork (::/0) captures; IPv4's ARP never reaches an inet hook.
  // Dropping them would cut all IPv6 of the pod, cluster networks included, so they pass like ARP does.
  for (std::uint32_t t : {kIcmp6RouterSolicit, kIcmp6NeighborSolicit, kIcmp6NeighborAdvert})
    r.push_back(rule({match(MK::Icmp6Type, 0, t)}, {verdict(accept())}, "IPv6 neighbour discovery (like ARP)"));
  r.push_back(rule({}, {vmap(Action::VmapKey::Daddr4, "dst4")}, "captured IPv4 destinations"));
  r.push_back(rule({}, {vmap(Action::VmapKey::Daddr6, "dst6")}, "captured IPv6 destinations"));
  return c;
}

Chain inspect_chain(const policy::Plan& plan, QueueImpl q) {
  Chain c{"inspect", false, {}, {}};
  Action a = act(AK::Queue);
  a.queue_num = plan.kernel.queue_num;
  a.queue_total = std::max<std::uint16_t>(1, plan.kernel.queue_total);
  a.bypass = plan.kernel.fail_open;
  a.queue_impl = q;
  // TCP Fast Open (or any SYN with data): the bytes in the SYN reach the server with the handshake, so such a
  // SYN is held like any first data. Matched on the payload itself, not on the TFO option (kind 34, or the
  // experimental 254): a server with TFO_SERVER_COOKIE_NOT_REQD takes data in a SYN that carries no option.
  // One rule per TCP header length (data offset 5..15 words): "a byte right after the header" is a transport
  // header load at that offset, which every nf_tables kernel has (the inner-header base @ih would say it in one
  // rule but only exists since Linux 5.16, and a kernel without it refuses the whole table).
  for (std::uint32_t doff = kTcpDoffMin; doff <= kTcpDoffMax; ++doff)
    c.rules.push_back(rule({match(MK::TcpSyn), match(MK::TcpDoff, 0, doff), match(MK::ThByte, 0, 4 * doff)}, {a},
                           "data in the SYN (TCP Fast Open)"));
  c.rules.push_back(rule({match(MK::TcpSyn)}, {verdict(accept())}, "the handshake is not delayed"));
  c.rules.push_back(rule({}, {a},
                         q == QueueImpl::Native ? "to the enforcer (nft queue)"
                                                : "to the enforcer (xt NFQUEUE rev 3 via nft_compat)"));
  return c;
}

Chain deny_chain() {
  Chain c{"deny", false, {}, {}};
  c.rules.push_back(rule({match(MK::L4Tcp)}, {act(AK::RejectTcpReset)}, "denied TCP: reset (ECONNREFUSED)"));
  c.rules.push_back(rule({}, {verdict(drop())}, "denied non-TCP: drop"));
  return c;
}

Chain network_chain_for(const policy::CompiledNetwork& n, std::size_t i) {
  Chain c{network_chain(i), false, {}, n.id()};
  const std::string who = "EgressNetwork " + n.id();
  c.rules.push_back(rule({}, {vmap(Action::VmapKey::TcpDport, network_ports(i))}, who + ": ports"));
  c.rules.push_back(rule({match(MK::L4Tcp)},
                         {verdict(n.tcp_default == policy::Verdict::Allow ? accept() : go("deny"))},
                         who + ": TCP default"));
  c.rules.push_back(rule({}, {verdict(n.other_default == policy::Verdict::Allow ? accept() : drop())},
                         who + ": non-TCP default"));
  return c;
}

}  // namespace

const char* queue_impl_name(QueueImpl q) { return q == QueueImpl::Native ? "native" : "compat"; }

std::string network_chain(std::size_t i) { return "en_" + std::to_string(i); }
std::string network_ports(std::size_t i) { return "ports_" + std::to_string(i); }

u128 key_max(KeyType k) {
  switch (k) {
    case KeyType::Ipv4: return 0xffffffffu;
    case KeyType::Port: return 0xffffu;
    case KeyType::Ipv6: break;
  }
  return ~u128{0};
}

std::string format_key(KeyType k, u128 v) {
  switch (k) {
    case KeyType::Ipv4: return policy::format_ip(policy::Family::V4, v);
    case KeyType::Ipv6: return policy::format_ip(policy::Family::V6, v);
    case KeyType::Port: break;
  }
  return std::to_string(static_cast<unsigned>(v));
}

std::string icmp6_type_name(std::uint32_t type) {
  switch (type) {
    case kIcmp6RouterSolicit: return "nd-router-solicit";
    case kIcmp6NeighborSolicit: return "nd-neighbor-solicit";
    case kIcmp6NeighborAdvert: return "nd-neighbor-advert";
    default: return std::to_string(type);
  }
}

bool element_is_prefix(KeyType k, const Element& e, unsigned& len) {
  const unsigned bits = k == KeyType::Ipv4 ? 32 : k == KeyType::Ipv6 ? 128 : 16;
  const u128 size_minus_one = e.hi - e.lo;
  // size must be 2^n and lo aligned to it
  if ((size_minus_one & (size_minus_one + 1)) != 0) return false;
  if ((e.lo & size_minus_one) != 0) return false;
  unsigned host = 0;
  for (u128 s = size_minus_one; s != 0; s >>= 1) ++host;
  len = bits - host;
  return true;
}

const Set* Ruleset::find_set(const std::string& name) const {
  for (const auto& s : sets)
    if (s.name == name) return &s;
  return nullptr;
}
const Chain* Ruleset::find_chain(const std::string& name) const {
  for (const auto& c : chains)
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<Element> address_elements(const policy::Plan& plan, policy::Family f) {
  const auto& ranges = f == policy::Family::V4 ? plan.v4 : plan.v6;
  std::vector<Element> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    Verdict v = go(network_chain(r.network));
    if (!out.empty() && out.back().verdict == v && out.back().hi + 1 == r.lo) {
      out.back().hi = r.hi;
      continue;
    }
    out.push_back({r.lo, r.hi, std::move(v)});
  }
  return out;
}

Ruleset build_ruleset(const policy::Plan& plan, QueueImpl queue) {
  Ruleset rs;
  rs.table = plan.kernel.table;
  rs.queue = queue;

  Set ports{"ignore_ports", KeyType::Port, false, false, "--ignore-ports", {}};
  auto ip = plan.kernel.ignore_ports;
  std::sort(ip.begin(), ip.end());
  ip.erase(std::unique(ip.begin(), ip.end()), ip.end());
  for (auto p : ip) ports.elements.push_back({p, p, std::nullopt});
  rs.sets.push_back(std::move(ports));
  rs.sets.push_back(
      prefix_set("ignore4", KeyType::Ipv4, plan.kernel.ignore_cidrs, policy::Family::V4, "--ignore-cidrs"));
  rs.sets.push_back(
      prefix_set("ignore6", KeyType::Ipv6, plan.kernel.ignore_cidrs, policy::Family::V6, "--ignore-cidrs"));
  rs.sets.push_back({"dst4", KeyType::Ipv4, true, true, "EgressNetwork IPv4 partition",
                     address_elements(plan, policy::Family::V4)});
  rs.sets.push_back({"dst6", KeyType::Ipv6, true, true, "EgressNetwork IPv6 partition",
                     address_elements(plan, policy::Family::V6)});
  for (std::size_t i = 0; i < plan.networks.size(); ++i) {
    const auto& n = plan.networks[i];
    Set s{network_ports(i), KeyType::Port, false, true, "EgressNetwork " + n.id(), {}};
    for (const auto& p : n.ports) s.elements.push_back({p.port, p.port, port_verdict(p.verdict)});
    std::sort(s.elements.begin(), s.elements.end(), [](const Element& a, const Element& b) { return a.lo < b.lo; });
    rs.sets.push_back(std::move(s));
  }

  rs.chains.push_back(deny_chain());
  rs.chains.push_back(inspect_chain(plan, queue));
  for (std::size_t i = 0; i < plan.networks.size(); ++i)
    rs.chains.push_back(network_chain_for(plan.networks[i], i));
  rs.chains.push_back(output_chain(plan));
  return rs;
}

}  // namespace nfegress::netfilter
