// tests/netfilter/ruleset_eval.hpp — test helper: a tiny evaluator of netfilter::Ruleset. Walks one packet through
// the output base chain (or the forward one for a forwarded packet, dns_answers on the input hook for a received one), its verdict maps, sets and goto chains the way the kernel evaluates the expressions
// objects.cpp programs (`ip daddr` only matches IPv4, `tcp dport` only TCP, a vmap miss continues with the next
// rule, falling off a goto chain ends in the base chain's policy accept). Independent of the policy code.
// Shared by ruleset_test, packet_walk_test and docs_example_test: one evaluator, so a new match or action is
// taught to the tests once.
#pragma once
#include <string>
#include <vector>

#include "netfilter/ruleset.hpp"

namespace nfegress::testing {

struct Packet {
  policy::Family family = policy::Family::V4;
  policy::u128 daddr = 0;
  std::uint16_t dport = 0;
  bool tcp = true;            // else UDP (or any non-TCP)
  bool syn_only = false;      // tcp flags & (syn|ack) == syn
  bool syn_ack = false;       // tcp flags syn and ack (the server's answer to a SYN); else ACK set when not syn_only
  bool fin = false, rst = false;
  bool reply = false;         // ct direction reply: from the responder (the server) to the initiator
  std::uint32_t ct_id = 0;    // the conntrack entry's id (ct id)
  std::uint32_t seq = 0, ackseq = 0;  // tcp sequence, tcp ackseq
  std::string base_chain;     // walk this base chain instead of output/forward/dns_answers (e.g. "anchor")
  bool payload = false;       // carries data after the TCP header (TCP Fast Open when syn_only)
  std::uint32_t doff = 10;    // TCP header length in words (a Linux SYN: 20 bytes + 20 of options)
  int icmp6_type = -1;        // an ICMPv6 packet of this type (tcp false, family V6)
  std::uint32_t icmp6_code = 0;
  std::uint32_t hoplimit = 255;      // IPv6 hop limit
  std::uint32_t ip6_length = 32;     // IPv6 payload length (extension headers included)
  bool oif_lo = false;
  bool forwarded = false;     // walks the forward base chain instead of output
  bool iif_lo = false;        // received on lo (forward chain, dns_answers)
  bool spoofed = false;       // no route back to saddr through the input interface (forward chain: RpfMissing)
  bool input = false;         // received by this host: walks the input base chain dns_answers
  policy::u128 saddr = 0;     // source address and port (the DNS answer queue matches them)
  std::uint16_t sport = 0;
  std::uint32_t skuid = 0;
  std::uint32_t ct_mark = 0;
  std::uint32_t mark = 0;
  bool ct_established = true;  // conntrack has seen both directions (a reply to a query the namespace sent)
  bool local_saddr = false;    // the source is one of the host's own addresses (fib saddr type local)
};

enum class Outcome { Accept, Drop, Reset, Queue };
inline const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Accept: return "accept";
    case Outcome::Drop: return "drop";
    case Outcome::Reset: return "reset";
    case Outcome::Queue: return "queue";
  }
  return "?";
}

struct Walk {
  Outcome outcome = Outcome::Accept;
  std::uint32_t ct_mark = 0;      // after ct mark set
  std::vector<std::string> path;  // chains visited; "!..." on an evaluator error
  std::string counted;            // the audit set an `update` counted the packet in, "" when none
  std::uint32_t mark = 0;         // the packet mark after `meta mark set`
  std::vector<policy::u128> added;  // keys an `add @first { ct id . tcp ackseq }` added (ct id << 32 | ackseq)
  bool ok() const { return path.empty() || path.back().front() != '!'; }
};

inline const netfilter::Element* lookup(const netfilter::Set& s, policy::u128 key) {
  for (const auto& e : s.elements)
    if (e.lo <= key && key <= e.hi) return &e;
  return nullptr;
}

inline Walk walk(const netfilter::Ruleset& rs, const Packet& p) {
  using MK = netfilter::Match::Kind;
  using AK = netfilter::Action::Kind;
  using VK = netfilter::Verdict::Kind;
  Walk w;
  w.ct_mark = p.ct_mark;
  w.mark = p.mark;
  const std::uint32_t flags = p.syn_only ? 0x02u : p.syn_ack ? 0x12u : 0x10u | (p.fin ? 0x01u : 0u) | (p.rst ? 0x04u : 0u);
  const policy::u128 id_seq = (policy::u128{p.ct_id} << 32) | p.seq;
  const bool v4 = p.family == policy::Family::V4, v6 = !v4;
  auto in_set = [&](const std::string& name, policy::u128 key) -> const netfilter::Element* {
    const netfilter::Set* s = rs.find_set(name);
    if (!s) w.path.push_back("!missing set " + name);
    return s ? lookup(*s, key) : nullptr;
  };
  auto matches = [&](const netfilter::Match& m) {
    switch (m.kind) {
      case MK::OifLoopback: return p.oif_lo;
      case MK::IifLoopback: return p.iif_lo;
      case MK::RpfMissing: return p.spoofed;
      case MK::Icmp6Code: return v6 && !p.tcp && p.icmp6_type >= 0 && p.icmp6_code == m.value;
      case MK::Ip6HopLimit: return v6 && p.hoplimit == m.value;
      case MK::Ip6LengthMax: return v6 && p.ip6_length <= m.value;
      case MK::MetaRtclassid:  // netdev only (the guard): never in the inet chains this walks
      case MK::LlEq: w.path.push_back("!netdev match in an inet chain"); return false;
      case MK::SkUid: return p.skuid == m.value;
      case MK::CtMark: return (w.ct_mark & m.mask) == m.value;
      case MK::CtEstablished: return p.ct_established;
      case MK::MetaMark: return (w.mark & m.mask) == m.value;
      case MK::TcpFlags: return p.tcp && (flags & m.mask) == m.value;
      case MK::CtDirectionReply: return p.reply;
      case MK::CtIdSeqIn: return p.tcp && in_set(m.set, id_seq) != nullptr;
      case MK::L4Tcp: return p.tcp;
      case MK::TcpSyn: return p.tcp && p.syn_only;
      case MK::TcpDoff: return p.tcp && p.doff == m.value;
      case MK::ThByte: return p.tcp && (m.value < 4 * p.doff || (p.payload && m.value == 4 * p.doff));
      case MK::Icmp6Type: return v6 && !p.tcp && p.icmp6_type == static_cast<int>(m.value);
      case MK::DportIn: return p.tcp && in_set(m.set, p.dport) != nullptr;
      case MK::Daddr4In: return v4 && in_set(m.set, p.daddr) != nullptr;
      case MK::Daddr6In: return v6 && in_set(m.set, p.daddr) != nullptr;
      case MK::Saddr4In: return v4 && in_set(m.set, p.saddr) != nullptr;
      case MK::Saddr6In: return v6 && in_set(m.set, p.saddr) != nullptr;
      case MK::UdpSport: return !p.tcp && p.icmp6_type < 0 && p.sport == m.value;
      case MK::TcpSport: return p.tcp && p.sport == m.value;
      case MK::CtNew: return !p.ct_established;
      case MK::FibSaddrLocal: return p.local_saddr;
    }
    return false;
  };
  // A received packet meets dns_answers only when the ruleset has it (no chain: the input hook's accept).
  const netfilter::Chain* chain = rs.find_chain(!p.base_chain.empty() ? p.base_chain
                                               : p.forwarded             ? "forward"
                                               : p.input                 ? netfilter::kDnsChain
                                                                         : "output");
  std::size_t i = 0;
  // Applies a verdict; returns true when it ends the walk.
  auto apply = [&](const netfilter::Verdict& v) {
    if (v.kind == VK::Accept) w.outcome = Outcome::Accept;
    if (v.kind == VK::Drop) w.outcome = Outcome::Drop;
    if (v.kind != VK::Goto) return true;
    chain = rs.find_chain(v.chain);
    i = 0;
    if (!chain) w.path.push_back("!missing chain " + v.chain);
    return !chain;
  };
  for (int steps = 0; chain && steps < 1000; ++steps) {
    if (i == 0) w.path.push_back(chain->name);
    if (i >= chain->rules.size()) return w;  // end of a chain: the base chain's policy accept
    const netfilter::Rule& r = chain->rules[i++];
    bool all = true;
    for (const auto& m : r.matches) all = all && matches(m);
    if (!all) continue;
    for (const auto& a : r.actions) {
      const netfilter::Chain* before = chain;
      bool done = false;
      switch (a.kind) {
        case AK::Verdict: done = apply(a.verdict); break;
        case AK::RejectTcpReset: w.outcome = Outcome::Reset; done = true; break;
        case AK::CtMarkSet: w.ct_mark = (w.ct_mark & ~a.mask) | a.value; break;
        case AK::MetaMarkSet: w.mark = (w.mark & ~a.mask) | a.value; break;
        case AK::AddCtIdAckseq:
          if (!rs.find_set(a.set)) w.path.push_back("!missing set " + a.set);
          w.added.push_back((policy::u128{p.ct_id} << 32) | p.ackseq);
          break;
        case AK::Queue: w.outcome = Outcome::Queue; done = true; break;
        case AK::Counter: break;
        case AK::Notrack: break;
        case AK::UpdateDport:  // audit: the flow is counted in this set (the l4proto the update implies)
          if ((a.value == 6 && p.tcp) || (a.value == 17 && !p.tcp && p.icmp6_type < 0)) w.counted = a.set;
          break;
        case AK::Vmap: {
          using VmK = netfilter::Action::VmapKey;
          const bool key_ok = a.vmap_key == VmK::Daddr4 || a.vmap_key == VmK::Saddr4   ? v4
                              : a.vmap_key == VmK::Daddr6 || a.vmap_key == VmK::Saddr6 ? v6
                                                                                       : p.tcp;
          policy::u128 key = p.daddr;
          if (a.vmap_key == VmK::TcpDport) key = p.dport;
          else if (a.vmap_key == VmK::Saddr4 || a.vmap_key == VmK::Saddr6) key = p.saddr;
          else if (a.key_prefix != 0 && key_ok)  // `ip6 daddr & MASK vmap @dst6_L`: the dense prefix lengths
            key &= netfilter::prefix_mask(a.vmap_key == netfilter::Action::VmapKey::Daddr4 ? netfilter::KeyType::Ipv4
                                                                                          : netfilter::KeyType::Ipv6,
                                          a.key_prefix);
          const auto* e = key_ok ? in_set(a.set, key) : nullptr;
          if (e && e->verdict) done = apply(*e->verdict);
          else if (e) w.path.push_back("!element without verdict in " + a.set);
          break;
        }
      }
      if (!w.ok()) return w;
      if (done) return w;
      if (chain != before) break;  // goto: continue in the new chain
    }
  }
  if (chain) w.path.push_back("!too many steps");
  return w;
}

}  // namespace nfegress::testing
