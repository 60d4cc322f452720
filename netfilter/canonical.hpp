// netfilter/canonical.hpp — layer: pure rendering. libnftnl objects -> one text line each, identical whether the
// object was built by objects.cpp or parsed from a kernel dump (handles, counters and use counts left out).
// `status` and the read-back tests compare these lines. Must not: touch a socket.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "netfilter/handles.hpp"
#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

// Programmed objects in a canonical, order-independent text form. Both the kernel read-back and a desired
// Ruleset turn into this, so `status` is a plain comparison.
struct Canonical {
  std::vector<std::string> lines;  // sorted
  friend bool operator==(const Canonical&, const Canonical&) = default;
};
// The desired side: builds the same libnftnl objects init would send and prints them (the egress guard's lines,
// "netdev ...", when the ruleset manages it and it is on).
Canonical canonical(const Ruleset& rs);
// Lines in `a` that are not in `b`.
std::vector<std::string> canonical_minus(const Canonical& a, const Canonical& b);

// What a canonical listing holds, for `status`: counts, and the queue implementation its queue rule uses
// (nullopt when there is no queue rule).
struct CanonicalSummary {
  std::size_t sets = 0, chains = 0, rules = 0, elements = 0;
  std::size_t networks = 0;  // en_N chains: one per EgressNetwork (node mode: <plan>_en_N, one per plan's network)
  std::size_t clients = 0, plans = 0;  // node mode: elements of clients4/clients6, plan chains (0: pod mode)
  std::size_t deny_unknown = 0;        // node mode: ranges in unknown4/unknown6 (--deny-unknown; 0: not given)
  std::optional<QueueImpl> queue;
  std::string guard_devices;    // the egress guard's devices ("eth0,eth1"); empty: no guard table
  std::size_t guard_rules = 0;
  bool dns = false;                      // chain dns_answers: DNS answers are queued to the enforcer
  std::vector<std::string> dns_servers;  // the elements of dns4/dns6, in listing order
  std::optional<std::uint16_t> dns_queue;
  bool dns_bypass = true;                // false when a dns_answers queue rule lacks the bypass flag
  bool anchor = false;                   // set `first`: the SYN-ACK anchor is programmed (ruleset.hpp)
};
CanonicalSummary summarize(const Canonical& c);

std::string canonical_table(nftnl_table* t);
std::string canonical_set(nftnl_set* s);
std::string canonical_chain(nftnl_chain* c);
std::string set_comment(nftnl_set* s);  // the set's comment (user data), "" when none
std::string canonical_rule(nftnl_rule* r, std::size_t index);  // index: position in its chain
// Every element of `s` (built or parsed) as a line "elem SET key=... [end] [verdict]".
void canonical_elements(nftnl_set* s, const std::string& set_name, std::vector<std::string>& out);

}  // namespace nfegress::netfilter
