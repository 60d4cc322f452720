// netfilter/ruleset.cpp — layer: pure rendering. See ruleset.hpp. Builds the kernel contract of
// docs/architecture.md from a Plan; no policy decisions (verdicts come from the Plan), no I/O.
#include "netfilter/ruleset.hpp"

#include "netfilter/address_maps.hpp"
#include "netfilter/guard.hpp"
#include "netfilter/ruleset_parts.hpp"

#include <algorithm>
#include <bit>

namespace nfegress::netfilter {
namespace {

using policy::u128;
using MK = Match::Kind;
using AK = Action::Kind;

Action ct_mark_set(std::uint32_t mask, std::uint32_t value) {
  Action a = act(AK::CtMarkSet);
  a.mask = mask;
  a.value = value;
  return a;
}
Action vmap(Action::VmapKey k, std::string set, unsigned key_prefix = 0) {
  Action a = act(AK::Vmap);
  a.vmap_key = k;
  a.set = std::move(set);
  a.key_prefix = static_cast<std::uint8_t>(key_prefix);
  return a;
}

Verdict port_verdict(const policy::Plan& plan, std::size_t i, policy::Verdict v, const std::string& prefix) {
  switch (v) {
    case policy::Verdict::Allow: return accept();
    case policy::Verdict::Inspect: return go("inspect");
    case policy::Verdict::Deny: break;
  }
  return deny_target(plan, i, true, prefix);
}


// The rules that judge a client's packet under `plan`: pod mode's output chain after its loopback and exempt-uid
// rules, node mode's chain of the plan. The maps they read are named after `v4`/`v6`.
std::vector<Rule> judge_rules(const policy::Plan& plan, const AddressMaps& v4, const AddressMaps& v6) {
  const auto& k = plan.kernel;
  const auto m = k.mark_mask();
  std::vector<Rule> r;
  // A new connection never inherits an old decision: conntrack reuses an entry in CLOSE (or TIME_WAIT) for a SYN
  // of the same 5-tuple together with its mark, so a SYN clears nfegress's bits before the ct mark is read.
  r.push_back(rule({match(MK::TcpSyn)}, {ct_mark_set(m, 0)}, "a SYN starts undecided (conntrack reuses entries)"));
  r.push_back(rule({match(MK::CtMark, m, k.mark_allow())}, {verdict(accept())}, "flow decided: allow"));
  r.push_back(rule({match(MK::CtMark, m, k.mark_deny())}, {verdict(go("deny"))}, "flow decided: deny"));
  // The enforcer allows a flow by setting the conntrack mark ALLOW itself (ctnetlink, CAP_NET_ADMIN) and accepting
  // its packets; a packet mark never allows anything, since any process with CAP_NET_RAW can set one (SO_MARK).
  // DENY still travels as a packet mark with NF_REPEAT: a forged one only denies its sender's own flow.
  r.push_back(rule({match(MK::MetaMark, m, k.mark_deny())}, {ct_mark_set(m, k.mark_deny()), verdict(go("deny"))},
                   "enforcer verdict: deny the flow"));
  r.push_back(rule({match(MK::DportIn, 0, 0, "ignore_ports")}, {verdict(accept())}, "--ignore-ports"));
  r.push_back(rule({match(MK::Daddr4In, 0, 0, "ignore4")}, {verdict(accept())}, "--ignore-cidrs"));
  r.push_back(rule({match(MK::Daddr6In, 0, 0, "ignore6")}, {verdict(accept())}, "--ignore-cidrs"));
  // IPv6 resolves its neighbours (the default router included) with ICMPv6 to solicited-node multicast and
  // unicast addresses that a network-less EgressNetwork (::/0) captures; IPv4's ARP never reaches an inet hook.
  // Dropping them would cut all IPv6 of the pod, cluster networks included, so they pass like ARP does — but only
  // as neighbour discovery: code 0, hop limit 255 (RFC 4861 7.1.1: a receiver drops anything else) and no longer
  // than the message needs, so no payload rides along. Anything else goes down the policy like any packet.
  for (std::uint32_t t : {kIcmp6RouterSolicit, kIcmp6NeighborSolicit, kIcmp6NeighborAdvert})
    r.push_back(rule({match(MK::Icmp6Type, 0, t), match(MK::Icmp6Code, 0, 0), match(MK::Ip6HopLimit, 0, 255),
                      match(MK::Ip6LengthMax, 0, t == kIcmp6RouterSolicit ? kNdRouterSolicitMax : kNdNeighborMax)},
                     {verdict(accept())}, "IPv6 neighbour discovery (like ARP), bounded"));
  for (const auto* m : {&v4, &v6}) {
    const bool is4 = m == &v4;
    const auto key = is4 ? Action::VmapKey::Daddr4 : Action::VmapKey::Daddr6;
    const std::string what = is4 ? "captured IPv4 destinations" : "captured IPv6 destinations";
    for (std::size_t i = 0; i < m->hashed.size(); ++i) {
      const unsigned len = m->hashed_len[i];
      r.push_back(rule({}, {vmap(key, m->hashed[i].name, len == (is4 ? 32u : 128u) ? 0 : len)},
                       what + " (/" + std::to_string(len) + ")"));
    }
    r.push_back(rule({}, {vmap(key, m->interval.name)}, what));
  }
  return r;
}

Chain network_chain_for(const policy::Plan& plan, std::size_t i, const std::string& prefix) {
  const policy::CompiledNetwork& n = plan.networks[i];
  Chain c{network_chain(i, prefix), false, {}, n.id()};
  const std::string who = "EgressNetwork " + n.id();
  c.rules.push_back(rule({}, {vmap(Action::VmapKey::TcpDport, network_ports(i, prefix))}, who + ": ports"));
  c.rules.push_back(rule({match(MK::L4Tcp)},
                         {verdict(n.tcp_default == policy::Verdict::Allow ? accept() : deny_target(plan, i, true, prefix))},
                         who + ": TCP default"));
  c.rules.push_back(
      rule({}, {verdict(n.other_default == policy::Verdict::Allow ? accept() : deny_target(plan, i, false, prefix))},
           who + ": non-TCP default"));
  return c;
}

}  // namespace

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

Chain deny_chain() {
  Chain c{"deny", false, {}, {}};
  c.rules.push_back(rule({match(MK::L4Tcp)}, {act(AK::RejectTcpReset)}, "denied TCP: reset (ECONNREFUSED)"));
  c.rules.push_back(rule({}, {verdict(drop())}, "denied non-TCP: drop"));
  return c;
}

// With forwarding on (a pod inherits net.ipv4.ip_forward=1 from the node), a frame written to `lo` by a packet
// socket (CAP_NET_RAW) is received and forwarded out of the namespace: it passes neither the output chain nor the
// egress guard (it has a route). Nothing legitimate is forwarded from lo (the kernel drops martian lo sources).
Chain forward_chain() {
  Chain c{"forward", true, {}, {}, Chain::Hook::Forward};
  c.rules.push_back(rule({match(MK::IifLoopback)}, {act(AK::Counter), verdict(drop())},
                         "received on lo and forwarded: injected by a packet socket"));
  return c;
}

const char* queue_impl_name(QueueImpl q) { return q == QueueImpl::Native ? "native" : "compat"; }

std::string network_chain(std::size_t i, const std::string& prefix) { return prefix + "en_" + std::to_string(i); }
std::string network_ports(std::size_t i, const std::string& prefix) { return prefix + "ports_" + std::to_string(i); }

u128 key_max(KeyType k) {
  switch (k) {
    case KeyType::Ipv4: return 0xffffffffu;
    case KeyType::Port: return 0xffffu;
    case KeyType::CtIdSeq: return ~std::uint64_t{0};
    case KeyType::Ipv6: break;
  }
  return ~u128{0};
}

u128 prefix_mask(KeyType k, unsigned len) {
  const unsigned bits = k == KeyType::Ipv4 ? 32 : k == KeyType::Ipv6 ? 128 : k == KeyType::CtIdSeq ? 64 : 16;
  if (len == 0) return 0;
  if (len >= bits) return key_max(k);
  return key_max(k) & ~((u128{1} << (bits - len)) - 1);
}

std::string format_key(KeyType k, u128 v) {
  switch (k) {
    case KeyType::Ipv4: return policy::format_ip(policy::Family::V4, v);
    case KeyType::Ipv6: return policy::format_ip(policy::Family::V6, v);
    case KeyType::CtIdSeq:  // `ct id . tcp sequence`: two 32-bit numbers
      return std::to_string(static_cast<std::uint32_t>(v >> 32)) + " . " + std::to_string(static_cast<std::uint32_t>(v));
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
  const unsigned bits = k == KeyType::Ipv4 ? 32 : k == KeyType::Ipv6 ? 128 : k == KeyType::CtIdSeq ? 64 : 16;
  const u128 size_minus_one = e.hi - e.lo;
  // size must be 2^n and lo aligned to it
  if ((size_minus_one & (size_minus_one + 1)) != 0) return false;
  if ((e.lo & size_minus_one) != 0) return false;
  // size_minus_one is 2^host - 1: all ones below bit `host`
  const auto host = static_cast<unsigned>(std::popcount(static_cast<std::uint64_t>(size_minus_one)) +
                                          std::popcount(static_cast<std::uint64_t>(size_minus_one >> 64)));
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

void add_ignore_sets(const policy::KernelOptions& k, Ruleset& rs) {
  Set ports{"ignore_ports", KeyType::Port, false, false, "--ignore-ports", {}};
  auto ip = k.ignore_ports;
  std::sort(ip.begin(), ip.end());
  ip.erase(std::unique(ip.begin(), ip.end()), ip.end());
  for (auto p : ip) ports.elements.push_back({p, p, std::nullopt});
  rs.sets.push_back(std::move(ports));
  rs.sets.push_back(prefix_set("ignore4", KeyType::Ipv4, k.ignore_cidrs, policy::Family::V4, "--ignore-cidrs"));
  rs.sets.push_back(prefix_set("ignore6", KeyType::Ipv6, k.ignore_cidrs, policy::Family::V6, "--ignore-cidrs"));
}

PlanPart plan_part(const policy::Plan& plan, const std::string& prefix, std::size_t hash_map_min) {
  PlanPart part;
  auto v4 = address_maps(plan, policy::Family::V4, std::max<std::size_t>(hash_map_min, 1), prefix);
  auto v6 = address_maps(plan, policy::Family::V6, std::max<std::size_t>(hash_map_min, 1), prefix);
  part.rules = judge_rules(plan, v4, v6);
  for (auto* m : {&v4, &v6}) {
    part.sets.push_back(std::move(m->interval));
    for (auto& h : m->hashed) part.sets.push_back(std::move(h));
  }
  for (std::size_t i = 0; i < plan.networks.size(); ++i) {
    const auto& n = plan.networks[i];
    Set s{network_ports(i, prefix), KeyType::Port, false, true, "EgressNetwork " + n.id(), {}};
    for (const auto& p : n.ports) s.elements.push_back({p.port, p.port, port_verdict(plan, i, p.verdict, prefix)});
    std::sort(s.elements.begin(), s.elements.end(), [](const Element& a, const Element& b) { return a.lo < b.lo; });
    part.sets.push_back(std::move(s));
    part.chains.push_back(network_chain_for(plan, i, prefix));
  }
  add_audit_sets(plan, part.sets, prefix);  // after the ports maps
  std::vector<Chain> chains;
  add_audit_chains(plan, chains, prefix);  // before the en_N chains that goto them
  for (auto& c : part.chains) chains.push_back(std::move(c));
  part.chains = std::move(chains);
  return part;
}

Ruleset build_ruleset(const policy::Plan& plan, QueueImpl queue, std::size_t hash_map_min) {
  Ruleset rs;
  rs.table = plan.kernel.table;
  rs.queue = queue;
  add_ignore_sets(plan.kernel, rs);
  if (plan.kernel.syn_ack_anchor) rs.sets.push_back(anchor_set());
  PlanPart part = plan_part(plan, {}, hash_map_min);
  for (auto& s : part.sets) rs.sets.push_back(std::move(s));
  rs.chains.push_back(deny_chain());
  if (plan.kernel.syn_ack_anchor) rs.chains.push_back(inspect_data_chain(plan.kernel, queue));  // inspect's goto
  rs.chains.push_back(inspect_chain(plan.kernel, queue));
  for (auto& c : part.chains) rs.chains.push_back(std::move(c));  // audit_N, then en_N
  Chain output{"output", true, {}, {}};
  output.rules.push_back(rule({match(MK::OifLoopback)}, {verdict(accept())}, "loopback is never touched"));
  if (plan.kernel.exempt_uid)  // opt-in: whoever can take the UID passes everything
    output.rules.push_back(
        rule({match(MK::SkUid, 0, *plan.kernel.exempt_uid)}, {verdict(accept())}, "--exempt-uid (opt-in)"));
  for (auto& r : part.rules) output.rules.push_back(std::move(r));
  rs.chains.push_back(std::move(output));
  rs.chains.push_back(forward_chain());
  if (plan.kernel.syn_ack_anchor) rs.chains.push_back(anchor_chain(plan.kernel));
  add_dns_answers(plan.kernel, queue, rs);  // after every other chain and set: absent, nothing above moves
  if (plan.kernel.guard_devices) rs.guard = build_guard(plan.kernel);
  return rs;
}

}  // namespace nfegress::netfilter
