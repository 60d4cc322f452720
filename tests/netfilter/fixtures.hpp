// tests/netfilter/fixtures.hpp — hand-built Plans for the netfilter tests (no compiler needed).
#pragma once
#include "policy/plan.hpp"

namespace nfegress::testing {

inline policy::u128 v4(const char* s) { return policy::parse_ip(s)->value; }
inline policy::u128 v6(const char* s) { return policy::parse_ip(s)->value; }

// Two EgressNetworks: egress/deny (Deny: 443 inspected by TLS, 5432 allowed by a TCPRoute, 80 denied) owning
// 203.0.113.0/25 and 2001:db8:ff::/64; egress/open (Allow) owning 203.0.113.128/25 and 2001:db8:fe::/64.
inline policy::Plan small_plan() {
  policy::Plan p;
  p.client_ns = "client";
  policy::CompiledNetwork deny;
  deny.ns = "egress";
  deny.name = "deny";
  deny.traffic_policy = policy::TrafficPolicy::Deny;
  deny.tcp_default = policy::Verdict::Deny;
  deny.other_default = policy::Verdict::Deny;
  policy::PortPolicy tls;
  tls.port = 443;
  tls.verdict = policy::Verdict::Inspect;
  tls.inspection = policy::Inspection::Tls;
  policy::PortPolicy tcp;
  tcp.port = 5432;
  tcp.verdict = policy::Verdict::Allow;
  tcp.route = {"TCPRoute", "egress", "db", false};
  policy::PortPolicy http;
  http.port = 80;
  http.verdict = policy::Verdict::Deny;
  deny.ports = {http, tls, tcp};
  policy::CompiledNetwork open;
  open.ns = "egress";
  open.name = "open";
  open.traffic_policy = policy::TrafficPolicy::Allow;
  open.tcp_default = policy::Verdict::Allow;
  open.other_default = policy::Verdict::Allow;
  p.networks = {deny, open};
  p.v4 = {{v4("203.0.113.0"), v4("203.0.113.127"), 0}, {v4("203.0.113.128"), v4("203.0.113.255"), 1}};
  p.v6 = {{v6("2001:db8:fe::"), v6("2001:db8:fe::ffff:ffff:ffff:ffff"), 1},
          {v6("2001:db8:ff::"), v6("2001:db8:ff::ffff:ffff:ffff:ffff"), 0}};
  p.kernel.ignore_ports = {22};
  p.kernel.ignore_cidrs = {*policy::parse_prefix("192.0.2.0/24"), *policy::parse_prefix("2001:db8:1::/64")};
  return p;
}

// small_plan with egress/deny in audit mode (issue 20): its kernel denials are counted and let through.
inline policy::Plan audit_plan() {
  auto p = small_plan();
  p.networks[0].audit = true;
  return p;
}

// The shape of a plan without `networks`: everything but the cluster networks, so the last range reaches the top
// of the address space (no interval end element) and ranges are not prefixes.
inline policy::Plan everything_plan() {
  policy::Plan p;
  p.client_ns = "client";
  policy::CompiledNetwork all;
  all.ns = "linkerd-egress";
  all.name = "all";
  all.tcp_default = policy::Verdict::Deny;
  all.other_default = policy::Verdict::Allow;
  p.networks = {all};
  p.v4 = {{0, v4("9.255.255.255"), 0}, {v4("11.0.0.0"), v4("255.255.255.255"), 0}};
  p.v6 = {{0, v6("fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0},
          {v6("fe00::"), v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0}};
  p.kernel.queue_total = 4;
  p.kernel.fail_open = true;
  p.kernel.guard_devices = std::vector<std::string>{"eth0"};  // the egress guard, as init programs it in a pod
  return p;
}

// small_plan() that learns DNS answers from one resolver of each family (name binding resolve, the default).
inline policy::Plan dns_plan() {
  auto p = small_plan();
  p.kernel.dns_servers = {*policy::parse_ip("198.51.100.53"), *policy::parse_ip("2001:db8:53::53")};
  p.kernel.dns_queue = 101;  // as the options finish it: the queue after the flow queue 100
  return p;
}

// small_plan() whose IPv6 is `n` /64s from 2001:db8::/32, every other one (so none merge), alternating between
// the two networks: a dense prefix length, programmed as the hash map dst6_64 once n >= kHashMapMin.
inline policy::Plan many_prefixes(std::size_t n) {
  auto p = small_plan();
  p.v6.clear();
  const policy::u128 base = policy::u128{0x20010db8u} << 96;
  for (std::uint32_t i = 0; i < n; ++i) {
    const policy::u128 lo = base | (policy::u128{2 * i} << 64);
    p.v6.push_back({lo, lo | ((policy::u128{1} << 64) - 1), i % 2});
  }
  return p;
}

}  // namespace nfegress::testing
