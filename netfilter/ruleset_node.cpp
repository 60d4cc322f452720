// netfilter/ruleset_node.cpp — layer: pure rendering. Node and gateway mode (ruleset.hpp, build_node_ruleset):
// the shared plans and the client list become one table judged on the forward hook. Each plan's maps, chains and
// judging rules are pod mode's own (ruleset_parts.hpp), named after the plan; the forward chain dispatches on the
// source address; the output chain sends what the host itself sends with a client's address (the enforcer's
// parked copies, issue 19) down the same plans. Must not: decide policy (the plans did), touch a socket.
#include <map>

#include "netfilter/guard.hpp"
#include "netfilter/ruleset.hpp"
#include "netfilter/ruleset_parts.hpp"

namespace nfegress::netfilter {
namespace {

Rule dispatch(Action::VmapKey key, const char* map, std::string comment) {
  Action a = act(Action::Kind::Vmap);
  a.vmap_key = key;
  a.set = map;
  return rule({}, {a}, std::move(comment));
}

// --deny-unknown: a source in the ranges that no client map matched (a pod the watch has not delivered yet, an
// address nobody was given) is denied and counted, never forwarded unjudged.
Rule unknown(Match::Kind key, const char* set, const char* family) {
  return rule({in_set(key, set)}, {act(Action::Kind::Counter), verdict(go("deny"))},
              std::string("--deny-unknown: an ") + family + " source that is no client's: denied");
}

// Issue 19: the enforcer parks a client's first segments and, after an allow, sends the copies from this (the host's)
// namespace through its raw socket, with the client's source address. Such a packet takes the OUTPUT hook, not
// FORWARD, so this chain gives it the forward chain's dispatch: its client's plan, where the flow (no ct mark yet)
// is queued again and the engine matches it to what it parked (a carrier). Nothing marks or exempts the copies.
// The host's own packets (its addresses, the router's address inside a gateway's client CIDR included: ICMP
// errors, IPv6 router adverts) are not judged, as before. A non-local source address on this hook takes a raw or
// transparent socket (CAP_NET_RAW / CAP_NET_ADMIN in the host namespace; pods cannot reach it, and marks are
// scrubbed crossing namespaces): such a packet is judged as the client's, which only restricts.
Chain output_chain() {
  Chain c{"output", true, {}, {}, Chain::Hook::Output};
  c.rules.push_back(rule({match(Match::Kind::FibSaddrLocal)}, {verdict(accept())},
                         "the host's own source address: not a client's"));
  c.rules.push_back(dispatch(Action::VmapKey::Saddr4, kClientMap4, "sent by the host with a client's IPv4 address "
                                                                   "(parked copies): its plan"));
  c.rules.push_back(dispatch(Action::VmapKey::Saddr6, kClientMap6, "sent by the host with a client's IPv6 address "
                                                                   "(parked copies): its plan"));
  return c;
}

// Issue 19 too: the enforcer's ACKs (and resets, and the HTTP 403) toward a client, in the server's name, leave
// this namespace's raw socket with the server's address as source. Conntrack would look them up as a new flow:
// when the forwarded connection is NATed on its way out (a node masquerading pod traffic), the real entry's reply
// tuple is the NATed one, the forged segment's reversed tuple clashes with the entry's original one, and the
// new entry fails to confirm: the segment is dropped and the client, never acknowledged, stalls. So a TCP segment
// the host sends to a client from an address that is neither its own nor a client's skips conntrack (notrack,
// before conntrack at priority raw). Only a raw or transparent socket in the host namespace (CAP_NET_RAW /
// CAP_NET_ADMIN there) sends such a packet; the parked copies (a client's source) keep their flow's entry, NAT
// included, and the host's own connections to its pods (its own source address) are tracked as before.
Chain answers_chain() {
  Chain c{kAnswersChain, true, {}, {}, Chain::Hook::Output, kPriorityRaw};
  c.rules.push_back(rule({match(Match::Kind::FibSaddrLocal)}, {verdict(accept())},
                         "the host's own source address: tracked"));
  for (const auto& [kind, map] : {std::pair{Match::Kind::Saddr4In, kClientMap4}, {Match::Kind::Saddr6In, kClientMap6}})
    c.rules.push_back(rule({in_set(kind, map)}, {verdict(accept())},
                           "a client's source (parked copies): tracked, NAT included"));
  for (const auto& [kind, map] : {std::pair{Match::Kind::Daddr4In, kClientMap4}, {Match::Kind::Daddr6In, kClientMap6}})
    c.rules.push_back(rule({match(Match::Kind::L4Tcp), in_set(kind, map)}, {act(Action::Kind::Notrack)},
                           "to a client in the server's name (the enforcer's answers): untracked"));
  return c;
}

// Strict reverse path, before anything else: the source address is the client's identity (it picks the plan)
// and a source that is nobody's is not judged at all, so a client with CAP_NET_RAW forging either would pass its
// own policy. A forwarded packet whose source does not route back through the interface it came in on is dropped
// and counted, whatever the host's rp_filter says (IPv6 has none). Before the plans' `ct state established`
// accept too: a forged packet must not ride another client's allowed connection.
Rule reverse_path() {
  return rule({match(Match::Kind::RpfMissing)}, {act(Action::Kind::Counter), verdict(drop())},
              "forged source: no route back through the input interface (strict reverse path)");
}

}  // namespace

Ruleset build_node_ruleset(const policy::KernelOptions& k, const std::vector<policy::SharedPlan>& plans,
                           const std::vector<policy::Client>& clients, QueueImpl queue, std::size_t hash_map_min) {
  Ruleset rs;
  rs.table = k.table;
  rs.queue = queue;
  add_ignore_sets(k, rs);
  if (k.syn_ack_anchor) rs.sets.push_back(anchor_set());  // one per table, shared by every plan
  // Clients: source prefix -> goto the plan of its namespace. Interval maps, so a gateway's client CIDR is one
  // element like a pod's address; normalize_clients keeps them sorted and disjoint, as the kernel needs.
  std::map<std::string, const policy::SharedPlan*> plan_of;
  for (const auto& p : plans)
    for (const auto& ns : p.namespaces) plan_of[ns] = &p;
  Set c4{kClientMap4, KeyType::Ipv4, true, true, "client IPv4 addresses -> plan", {}};
  Set c6{kClientMap6, KeyType::Ipv6, true, true, "client IPv6 addresses -> plan", {}};
  for (const auto& c : clients) {
    const auto it = plan_of.find(c.ns);
    if (it == plan_of.end()) continue;  // no plan compiled for it: the caller's list and plans disagree
    auto& s = c.prefix.family == policy::Family::V4 ? c4 : c6;
    s.elements.push_back({c.prefix.first(), c.prefix.last(), Verdict{Verdict::Kind::Goto, it->second->id}});
  }
  rs.sets.push_back(std::move(c4));
  rs.sets.push_back(std::move(c6));
  const bool deny_unknown = !k.deny_unknown.empty();
  if (deny_unknown) {  // both families always: the flag changing on a restart is then an element update
    rs.sets.push_back(prefix_set(kUnknownSet4, KeyType::Ipv4, k.deny_unknown, policy::Family::V4, "--deny-unknown"));
    rs.sets.push_back(prefix_set(kUnknownSet6, KeyType::Ipv6, k.deny_unknown, policy::Family::V6, "--deny-unknown"));
  }
  std::vector<Chain> plan_chains, network_chains;
  for (const auto& p : plans) {
    PlanPart part = plan_part(p.plan, p.id + "_", hash_map_min);
    for (auto& s : part.sets) rs.sets.push_back(std::move(s));
    for (auto& c : part.chains) network_chains.push_back(std::move(c));
    Chain c{p.id, false, std::move(part.rules), {}};
    // Named, not listed: a namespace joining a shared plan must not rewrite the plan's chain.
    c.rules.front().comment = "plan " + p.id + ": " + c.rules.front().comment;
    plan_chains.push_back(std::move(c));
  }
  rs.chains.push_back(deny_chain());
  if (k.syn_ack_anchor) rs.chains.push_back(inspect_data_chain(k, queue));  // before inspect, which jumps to it
  rs.chains.push_back(inspect_chain(k, queue));
  for (auto& c : network_chains) rs.chains.push_back(std::move(c));
  for (auto& c : plan_chains) rs.chains.push_back(std::move(c));
  Chain fwd = forward_chain();
  fwd.rules.push_back(reverse_path());
  // The SYN-ACK anchor: a server's SYN-ACK toward a client is forwarded (lo was dropped above, a forged source
  // by the reverse path); before the dispatch, which judges only what clients send.
  if (k.syn_ack_anchor) fwd.rules.push_back(anchor_rule(k));
  fwd.rules.push_back(dispatch(Action::VmapKey::Saddr4, kClientMap4, "a client's IPv4 packet: its namespace's plan"));
  fwd.rules.push_back(dispatch(Action::VmapKey::Saddr6, kClientMap6, "a client's IPv6 packet: its namespace's plan"));
  if (deny_unknown) {  // after the client maps: a client's packet has gone to its plan (goto) before these
    fwd.rules.push_back(unknown(Match::Kind::Saddr4In, kUnknownSet4, "IPv4"));
    fwd.rules.push_back(unknown(Match::Kind::Saddr6In, kUnknownSet6, "IPv6"));
  }
  rs.chains.push_back(std::move(fwd));
  rs.chains.push_back(output_chain());
  rs.chains.push_back(answers_chain());
  // Last: without a resolver to learn from (or name binding off) there is no chain or set, and nothing above moves.
  add_node_dns_answers(k, queue, rs, kClientMap4, kClientMap6);
  return rs;
}

}  // namespace nfegress::netfilter
