// policy/plan.hpp — layer: pure model. The compiled plan for one client namespace: what `init` programs into
// the kernel, what `export` prints and what the enforcer's matcher consults. Produced by compile() in
// policy/compile.hpp; deterministic (same input, same plan, same order).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostic.hpp"
#include "policy/ip.hpp"
#include "policy/model.hpp"

namespace nfegress::policy {

struct CompileOptions {
  std::string global_ns = "linkerd-egress";
  std::vector<IpPrefix> cluster_networks;  // empty = defaults (default_cluster_networks())
  std::vector<std::uint16_t> default_opaque_ports = {25, 587, 3306, 4444, 5432, 6379, 9300, 11211};
  bool allow_udp = false;  // upstream behaviour: non-TCP to a Deny network is let through
  // --audit: every EgressNetwork is compiled in audit (report-only) mode, whatever its nfegress.io/mode says.
  bool audit_all = false;
};

std::vector<IpPrefix> default_cluster_networks();  // 10/8, 100.64/10, 172.16/12, 192.168/16, fd00::/8

// What the kernel layer needs beyond the policy. Lives in the plan so init, export and enforce agree.
struct KernelOptions {
  std::string table = "nfegress";        // table inet <table>; nfegress never touches another table
  // --exempt-uid: traffic of this UID is never touched. Opt-in only (a VM's trusted agent): any process that can
  // take the UID (CAP_SETUID, or the image's choice) passes the whole policy. The enforcer needs none.
  std::optional<std::uint32_t> exempt_uid;
  std::uint16_t queue_num = 100;
  std::uint16_t queue_total = 1;         // >1: flow-hashed balancing over queue_num..queue_num+total-1
  bool fail_open = false;                // queue bypass when no enforcer listens
  std::uint32_t mark_base = 0x00100000;  // ct/packet mark bits: ALLOW = base, DENY = 2*base, PASS = 3*base
  std::vector<std::uint16_t> ignore_ports;  // outbound ports never touched
  std::vector<IpPrefix> ignore_cidrs;       // destinations never touched
  enum class Queue { Auto, Native, Compat } queue = Queue::Auto;
  // The netdev egress guard against packet sockets (netfilter/guard.hpp). `egress_guard` false:
  // --no-egress-guard (a host that bridges other machines' frames). `guard_devices`: the interfaces its chain
  // hooks, listed and probed by the command that programs the kernel (empty: off, `guard_off` says why);
  // nullopt: the command leaves the guard as the kernel has it.
  bool egress_guard = true;
  std::optional<std::vector<std::string>> guard_devices;
  std::string guard_off;
  bool guard_remove = true;  // off: remove a guard table left from before (false: there is none to remove)
  // Names bound to addresses (issue 17, docs/architecture.md "The DNS answer queue"). Resolve: a hostname-matched
  // flow reaches only addresses its name resolved to, and the enforcer resolves the name itself on a miss; Strict:
  // a miss denies; Off: no binding and no DNS rules (an allowed SNI or Host reaches any address of its network,
  // upstream Linkerd's behaviour).
  enum class NameBinding { Off, Strict, Resolve } name_binding = NameBinding::Resolve;
  // The resolvers whose answers are learned (never a loopback address: on lo any process with CAP_NET_RAW can
  // forge an answer). Their answers are queued on the input hook to `dns_queue`, always with bypass.
  std::vector<IpAddr> dns_servers;
  // 0 until the options are finished (init/cli.cpp): then queue_num + queue_total, the queue after the flow
  // queues, unless --dns-queue chose one; never one of the flow queues.
  std::uint16_t dns_queue = 0;
  // Node and gateway mode's --deny-unknown: a forwarded packet from these sources that is no client's is denied
  // (node mode: the pod CIDR, so a pod the watch has not delivered yet is not unjudged). Empty: not judged.
  std::vector<IpPrefix> deny_unknown;
  bool strip_ech = false;  // --strip-ech: the enforcer removes `ech` from HTTPS/SVCB answers it passes on
  // Issue 19, the SYN-ACK anchor (docs/architecture.md "The SYN-ACK anchor"): the kernel has `ct id` and dynamic
  // sets, so the server's SYN-ACK (checked by conntrack) records where the client's stream starts (`ct id . tcp
  // ackseq` in set `first`), a pure SYN to an inspected port sets the conntrack mark PENDING (both mark bits), a
  // PENDING flow's payload-free segments (no FIN or RST) stay in the kernel, and every queued packet carries the
  // packet mark ALLOW (bits of mark_mask()) exactly when its sequence number is that start, none otherwise.
  // Set by the command that programs the kernel, from a probe; false: the handshake's ACK is queued as before.
  bool syn_ack_anchor = false;
  bool anchor_off = false;  // --syn-ack-anchor off: never probed, never on
  std::uint32_t mark_pending() const { return mark_base * 3; }  // ct mark: SYN seen to an inspected port

  std::uint32_t mark_mask() const { return mark_base * 3; }
  std::uint32_t mark_allow() const { return mark_base; }
  std::uint32_t mark_deny() const { return mark_base * 2; }
  // Both bits: the packet mark that once meant "let this packet through". No rule accepts a packet mark any more
  // (a process with CAP_NET_RAW can set one); tests forge it to prove that.
  std::uint32_t mark_pass() const { return mark_base * 3; }
  // Whether the kernel queues DNS answers at all: binding on and a resolver to learn from.
  bool learns_dns() const { return name_binding != NameBinding::Off && !dns_servers.empty(); }
};

// "off", "strict", "resolve": the --name-binding word.
const char* name_binding_name(KernelOptions::NameBinding b);

enum class Verdict : std::uint8_t { Allow, Deny, Inspect };
enum class Inspection : std::uint8_t { None, Tls, Http, Grpc };

// Which route decided. Default routes are named {http,grpc,tls,tcp}-egress-{allow,deny}, is_default = true.
struct RouteRef {
  std::string kind;  // "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute" or "default"
  std::string ns;
  std::string name;
  bool is_default = false;
  friend bool operator==(const RouteRef&, const RouteRef&) = default;
};

// One destination port of one EgressNetwork that has routes (or is otherwise special).
struct PortPolicy {
  std::uint16_t port = 0;
  Verdict verdict = Verdict::Deny;     // Allow/Deny: decided in the kernel. Inspect: queued to the enforcer.
  Inspection inspection = Inspection::None;
  RouteRef route;                      // for kernel verdicts: the route (or default) that decided
  std::vector<std::size_t> routes;     // indices into Plan::routes that apply here, after conflicts and scoping
  friend bool operator==(const PortPolicy&, const PortPolicy&) = default;
};

struct CompiledNetwork {
  std::string ns;
  std::string name;
  TrafficPolicy traffic_policy = TrafficPolicy::Deny;
  std::vector<PortPolicy> ports;  // sorted by port; every other TCP port gets tcp_default
  Verdict tcp_default = Verdict::Deny;    // Allow or Deny
  Verdict other_default = Verdict::Deny;  // non-TCP (UDP, ICMP, ...): Deny under Deny unless allow_udp
  std::vector<std::uint16_t> opaque_ports;
  // Audit (report-only) mode: `nfegress.io/mode: audit` or --audit. Compiled exactly as enforced (same partition,
  // ports, routes, name binding); what it would deny is let through and recorded as a would-deny instead (the
  // kernel counts its would-drops per port in sets audit_N_tcp/udp, the enforcer logs "audit":"deny").
  bool audit = false;

  const PortPolicy* port(std::uint16_t p) const;  // nullptr = default
  std::string id() const { return ns + "/" + name; }
  friend bool operator==(const CompiledNetwork&, const CompiledNetwork&) = default;
};

// Disjoint, sorted address ranges (inclusive) of one family, each owned by exactly one EgressNetwork.
struct AddrRange {
  u128 lo = 0;
  u128 hi = 0;
  std::uint32_t network = 0;  // index into Plan::networks
  friend bool operator==(const AddrRange&, const AddrRange&) = default;
};

struct Plan {
  std::string client_ns;
  CompileOptions options;
  KernelOptions kernel;
  std::vector<CompiledNetwork> networks;  // sorted by ns/name
  std::vector<AddrRange> v4;
  std::vector<AddrRange> v6;
  std::vector<Route> routes;  // the routes the plan refers to (copies), sorted by kind, ns, name
  Diagnostics diagnostics;    // warnings the compiler found (shadowing, Service backends, conflicts, ...)

  // Binary search; nullopt = no EgressNetwork captures this address.
  std::optional<std::uint32_t> network_for(const IpAddr& a) const;
};

}  // namespace nfegress::policy
