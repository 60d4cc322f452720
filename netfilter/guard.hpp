// netfilter/guard.hpp — layer: pure rendering (and, in guard_kernel.cpp, the thin kernel part). The netdev egress
// guard: a frame written to an AF_PACKET socket (CAP_NET_RAW, which every default container holds) never passes
// the inet output hook, but it does pass the netdev `egress` hook of its interface. So nfegress owns a second
// table, `table netdev <table>`, with one base chain on the egress hook of every non-loopback interface present
// when the kernel is programmed, in the same transaction as `table inet <table>`:
//
//   meta rtclassid >= 0 accept          the frame carries a route: it came through the IP stack (and the output
//                                       chain); the load fails for a frame without one (packet sockets, bridging)
//   @ll,96,16 0x0806 accept             ARP (the kernel's own neighbour resolution has no route)
//   DHCPv4 client broadcast accept      to ff:ff:ff:ff:ff:ff, IPv4 without options, UDP 68 -> 255.255.255.255:67
//                                       (a client without an address sends it through a packet socket)
//   counter drop                        everything else
//
// Every check of the last two reads the frame at link-layer offsets: what the wire carries, not skb->protocol or
// the network-header offset, which a packet socket sets as it likes. The kernel contract is in
// docs/architecture.md ("The egress guard"). Must not: decide policy; here nothing touches a socket.
#pragma once
#include <string>
#include <vector>

#include "netfilter/ruleset.hpp"
#include "policy/plan.hpp"

struct nftnl_chain;
struct nftnl_rule;

namespace nfegress::netfilter {

struct Batch;
namespace detail {
class Builder;
}

inline constexpr const char* kGuardChain = "egress";

// The guard for `k.guard_devices` (empty or --no-egress-guard: a Guard that is off, with `k.guard_off` or
// "--no-egress-guard" as the reason). Deterministic: devices sorted.
Guard build_guard(const policy::KernelOptions& k);

// Messages of the guard inside a batch: NEWTABLE netdev (create if missing), DELTABLE, and when the guard is on
// NEWTABLE, the chain and its rules. So a replace converges whatever was there, and an off guard removes it
// (none at all for an off guard with `remove` false: no table to remove).
void add_guard(detail::Builder& b, const std::string& table, const Guard& g);
// `reset`: NEWTABLE netdev (create if missing) + DELTABLE.
void delete_guard(detail::Builder& b, const std::string& table);

// Check-only batch (no BATCH_END): a scratch netdev table with an egress chain on `device` and the rtclassid rule.
// The chain fails (EOPNOTSUPP/ENOENT) without the egress hook (Linux < 5.16 or no CONFIG_NETFILTER_EGRESS), the
// rule (EOPNOTSUPP) without CONFIG_IP_ROUTE_CLASSID.
Batch guard_probe_batch(const std::string& device, std::uint32_t seq);

// Canonical lines of the guard ("netdev table T", "netdev chain egress ... devices=a,b", "netdev rule egress
// #0000: ..."), the same for the desired guard and a kernel dump (canonical_guard_chain/rule read both).
void canonical_guard(const std::string& table, const Guard& g, std::vector<std::string>& out);
std::string canonical_guard_chain(nftnl_chain* c);
std::string canonical_guard_rule(nftnl_rule* r, std::size_t index);

// Kernel glue (guard_kernel.cpp): the interfaces of the current network namespace the guard hooks (every one but
// loopback devices), sorted.
std::vector<std::string> list_guard_devices();

}  // namespace nfegress::netfilter
