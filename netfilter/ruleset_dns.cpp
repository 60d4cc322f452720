// netfilter/ruleset_dns.cpp — layer: pure rendering. See ruleset.hpp (add_dns_answers): the DNS answer queue of
// the kernel contract (docs/architecture.md, "The DNS answer queue"). The enforcer learns which addresses a name
// resolved to from the answers of the namespace's resolvers, so they are queued on their way in, before the
// client's socket can read them (no race between the answer and the connection it leads to).
// Must not: touch a socket, parse DNS, decide policy.
#include <algorithm>

#include "netfilter/ruleset.hpp"
#include "netfilter/ruleset_parts.hpp"

namespace nfegress::netfilter {
namespace {

using NameBinding = policy::KernelOptions::NameBinding;

std::string server_list(const policy::KernelOptions& k) {
  std::string out;
  for (const auto& a : k.dns_servers) out += (out.empty() ? "" : ", ") + policy::format_ip(a);
  return out;
}

}  // namespace

std::string dns_set_name(policy::Family f) { return f == policy::Family::V4 ? "dns4" : "dns6"; }

std::uint16_t dns_queue_num(const policy::KernelOptions& k) {
  if (k.dns_queue != 0) return k.dns_queue;
  return static_cast<std::uint16_t>(k.queue_num + std::max<std::uint16_t>(1, k.queue_total));
}

std::string dns_answers_note(const policy::KernelOptions& k, bool node) {
  const std::string mode = std::string("name binding ") + policy::name_binding_name(k.name_binding);
  if (k.name_binding == NameBinding::Off)
    return "name binding off: an allowed SNI or Host reaches any address of its network (upstream Linkerd's "
           "behaviour)";
  if (!k.learns_dns())
    return mode + ": no DNS server to learn from (--dns-servers): nothing is learned, the enforcer resolves each "
                  "name itself on a miss" + (k.name_binding == NameBinding::Strict ? " (strict: a miss is denied)" : "");
  if (node)
    return mode + ": DNS answers from " + server_list(k) + " forwarded to a client (replies from udp and tcp port 53, "
           "after the reverse-path rule; learned for every client) are counted and queued to " +
           std::to_string(dns_queue_num(k)) + " with bypass (they pass unlearned when no enforcer listens)";
  return mode + ": DNS answers from " + server_list(k) + " (replies from udp and tcp port 53, never on lo) are counted "
         "and queued to " + std::to_string(dns_queue_num(k)) + " with bypass (they pass unlearned when no enforcer "
         "listens)";
}

namespace {

// The queue rules of both modes: per family with a resolver, one set of its addresses and, for UDP and TCP, a rule
// `saddr @dnsN sport 53 ct state established [daddr @to] counter queue ... bypass`.
void add_answer_rules(const policy::KernelOptions& k, QueueImpl queue, Ruleset& rs, Chain& c, const char* to4,
                      const char* to6) {
  // ALWAYS bypass, whatever --fail-open says: when no enforcer listens the answer passes unlearned (the enforcer
  // resolves on a miss), so name resolution survives an enforcer restart or upgrade. Only the flow queue holds.
  const Action counter = act(Action::Kind::Counter);
  Action q = act(Action::Kind::Queue);
  q.queue_num = dns_queue_num(k);
  q.queue_total = 1;
  q.bypass = true;
  q.queue_impl = queue;
  for (const auto f : {policy::Family::V4, policy::Family::V6}) {
    const bool is4 = f == policy::Family::V4;
    Set s{dns_set_name(f), is4 ? KeyType::Ipv4 : KeyType::Ipv6, false, false, "--dns-servers", {}};
    for (const auto& a : k.dns_servers)
      if (a.family == f) s.elements.push_back({a.value, a.value, std::nullopt});
    if (s.elements.empty()) continue;  // no resolver of this family: neither set nor rules
    std::sort(s.elements.begin(), s.elements.end(), [](const Element& a, const Element& b) { return a.lo < b.lo; });
    s.elements.erase(std::unique(s.elements.begin(), s.elements.end()), s.elements.end());
    const char* to = is4 ? to4 : to6;
    for (const auto proto : {Match::Kind::UdpSport, Match::Kind::TcpSport}) {
      Rule r;
      // Only a reply to a query the client sent (conntrack: the resolver's address and port 53 to the port the
      // query left from): a host that spoofs the resolver's address (another pod, the network) must guess that
      // port while the query is open, as it must to fool the client itself.
      r.matches = {in_set(is4 ? Match::Kind::Saddr4In : Match::Kind::Saddr6In, s.name), match(proto, 0, kDnsPort),
                   match(Match::Kind::CtEstablished)};
      if (to) r.matches.push_back(in_set(is4 ? Match::Kind::Daddr4In : Match::Kind::Daddr6In, to));
      r.actions = {counter, q};
      r.comment = std::string("DNS answers over ") + (proto == Match::Kind::UdpSport ? "UDP" : "TCP") +
                  (to ? " forwarded to a client, to" : " to") + " the enforcer (bypass: never held)";
      c.rules.push_back(std::move(r));
    }
    rs.sets.push_back(std::move(s));
  }
}

}  // namespace

void add_dns_answers(const policy::KernelOptions& k, QueueImpl queue, Ruleset& rs) {
  rs.dns_note = dns_answers_note(k);
  if (!k.learns_dns()) return;
  Chain c{kDnsChain, true, {}, {}, Chain::Hook::Input};
  // An answer that arrives on lo (a local stub such as systemd-resolved's 127.0.0.53, or a node-local cache) is
  // never learned: any process with CAP_NET_RAW can write one there. The upstream resolver's answer to the host is
  // learned instead, and a miss is resolved by the enforcer itself.
  c.rules.push_back(rule({match(Match::Kind::IifLoopback)}, {verdict(accept())},
                         "DNS answers on lo are never learned (forgeable)"));
  add_answer_rules(k, queue, rs, c, nullptr, nullptr);
  rs.chains.push_back(std::move(c));
}

// Node and gateway mode: the answers the resolvers send to the clients, on the forward hook after the node table's
// forward chain (priority filter + 10): its strict reverse-path rule has dropped a forged resolver address coming
// from a client's link, and its lo rule what a packet socket injected, before an answer is read here. Only
// answers to a client (daddr in the clients maps, looked up as sets: no verdict taken) are queued.
void add_node_dns_answers(const policy::KernelOptions& k, QueueImpl queue, Ruleset& rs, const char* clients4,
                          const char* clients6) {
  rs.dns_note = dns_answers_note(k, true);
  if (!k.learns_dns()) return;
  Chain c{kDnsChain, true, {}, {}, Chain::Hook::Forward, kPriorityNodeDns};
  add_answer_rules(k, queue, rs, c, clients4, clients6);
  rs.chains.push_back(std::move(c));
}

}  // namespace nfegress::netfilter
