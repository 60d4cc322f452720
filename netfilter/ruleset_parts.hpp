// netfilter/ruleset_parts.hpp — layer: pure rendering (internal to netfilter/). The pieces build_ruleset (pod
// mode) and build_node_ruleset (node mode) share, so both tables judge a client's packet with the same rules:
// the ignore sets, the shared `deny` and `inspect` chains, and one plan's maps, EgressNetwork chains and the rules
// that lead a packet into them. Must not: decide policy, touch a socket.
#pragma once
#include <string>
#include <vector>

#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

// Builders for the rules below and in ruleset*.cpp: one phrase each, as `nft` writes it.
inline Verdict accept() { return {Verdict::Kind::Accept, {}}; }
inline Verdict drop() { return {Verdict::Kind::Drop, {}}; }
inline Verdict go(std::string chain) { return {Verdict::Kind::Goto, std::move(chain)}; }
inline Action act(Action::Kind k) {
  Action a;
  a.kind = k;
  return a;
}
inline Action verdict(Verdict v) {
  Action a = act(Action::Kind::Verdict);
  a.verdict = std::move(v);
  return a;
}
inline Match match(Match::Kind k, std::uint32_t mask = 0, std::uint32_t value = 0, std::string set = {}) {
  Match m;
  m.kind = k;
  m.mask = mask;
  m.value = value;
  m.set = std::move(set);
  return m;
}
inline Match in_set(Match::Kind k, std::string set) { return match(k, 0, 0, std::move(set)); }
inline Rule rule(std::vector<Match> m, std::vector<Action> a, std::string comment) {
  return Rule{std::move(m), std::move(a), std::move(comment)};
}

// One plan's objects, every name starting with `prefix` ("" in pod mode, "<plan id>_" in node mode).
struct PlanPart {
  std::vector<Set> sets;      // dst4 (+ dst4_L), dst6 (+ dst6_L), ports_<i>
  std::vector<Chain> chains;  // en_<i>
  // SYN clears the mark, ct mark ALLOW/DENY, the enforcer's DENY, ignore sets, ND, the address maps: pod mode's
  // output chain after its loopback and exempt-uid rules; node mode's chain of the plan.
  std::vector<Rule> rules;
};
PlanPart plan_part(const policy::Plan& plan, const std::string& prefix, std::size_t hash_map_min);

void add_ignore_sets(const policy::KernelOptions& k, Ruleset& rs);  // ignore_ports, ignore4, ignore6
Chain deny_chain();                                                // reset TCP, drop the rest
// TFO SYNs and data to the enforcer's queue (netfilter/ruleset_inspect.cpp); with the SYN-ACK anchor on, PENDING
// flows' payload-free segments stay in the kernel and data goes through inspect_data_chain.
Chain inspect_chain(const policy::KernelOptions& k, QueueImpl q);
Chain inspect_data_chain(const policy::KernelOptions& k, QueueImpl q);  // anchor on: mark ALLOW at the anchor, queue
Chain anchor_chain(const policy::KernelOptions& k);  // pod mode, anchor on: input hook, `iif "lo" accept`, SYN-ACK rule
Chain forward_chain();                                             // forward hook: drop what lo forwards
// An interval set of the prefixes of family f (merged: the kernel refuses overlapping intervals).
Set prefix_set(std::string name, KeyType k, const std::vector<policy::IpPrefix>& cidrs, policy::Family f,
               std::string comment);

}  // namespace nfegress::netfilter
