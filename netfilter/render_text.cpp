// netfilter/render_text.cpp — layer: pure rendering. Ruleset -> `nft -f` text, laid out like `nft list`.
// Must not: touch a socket or the kernel.
#include <cstdio>
#include <sstream>

#include <netinet/in.h>

#include "netfilter/render.hpp"

namespace nfegress::netfilter {
namespace {

void guard_text(std::ostringstream& o, const std::string& table, const Guard& g);

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' ? '\'' : c);  // nft strings cannot escape quotes
  return out + "\"";
}

const char* key_type(KeyType k) {
  switch (k) {
    case KeyType::Ipv4: return "type ipv4_addr";
    case KeyType::Ipv6: return "type ipv6_addr";
    case KeyType::CtIdSeq: return "typeof ct id . tcp sequence";  // integers: nft lists the expressions
    case KeyType::Port: break;
  }
  return "type inet_service";
}

// TCP flag bits by name, in nft's order (the header's bit order): "fin | rst", "syn | ack".
std::string tcp_flags(std::uint32_t bits) {
  static constexpr const char* kNames[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};
  std::string out;
  for (unsigned i = 0; i < 8; ++i)
    if (bits & (1u << i)) out += (out.empty() ? "" : " | ") + std::string(kNames[i]);
  return out.empty() ? "0" : out;
}

// `ct mark set ct mark & A | B` / `meta mark set ...`, as nft lists the bitwise expression (mask ~MASK, xor
// VALUE): `& A | B` with A = ~MASK | VALUE, the `& A` left out when A keeps every bit, the `| B` when B is 0.
std::string mark_set_text(const char* key, const Action& a) {
  const std::string k = key;
  const std::uint32_t keep = ~a.mask | a.value;
  std::string s = k + " set " + k;
  if (keep != 0xffffffffu) s += " & " + hex32(keep);
  if (a.value != 0) s += " | " + hex32(a.value);
  return s;
}

// nft's time format: "1m", "1h30m", "45s".
std::string duration(std::uint32_t seconds) {
  std::string out;
  for (const auto& [unit, n] : {std::pair{"d", 86400u}, {"h", 3600u}, {"m", 60u}, {"s", 1u}})
    if (seconds >= n) {
      out += std::to_string(seconds / n) + unit;
      seconds %= n;
    }
  return out.empty() ? "0s" : out;
}

std::string verdict_text(const Verdict& v) {
  switch (v.kind) {
    case Verdict::Kind::Accept: return "accept";
    case Verdict::Kind::Drop: return "drop";
    case Verdict::Kind::Goto: break;
  }
  return "goto " + v.chain;
}

std::string element_text(KeyType k, const Element& e) {
  std::string key;
  unsigned len = 0;
  const unsigned bits = k == KeyType::Ipv4 ? 32 : k == KeyType::Ipv6 ? 128 : 16;
  if (e.lo == e.hi) key = format_key(k, e.lo);
  else if (k != KeyType::Port && element_is_prefix(k, e, len) && len < bits)
    key = format_key(k, e.lo) + "/" + std::to_string(len);
  else key = format_key(k, e.lo) + "-" + format_key(k, e.hi);
  if (e.verdict) key += " : " + verdict_text(*e.verdict);
  return key;
}

std::string match_text(const Match& m) {
  using K = Match::Kind;
  switch (m.kind) {
    case K::OifLoopback: return "oif \"lo\"";
    case K::IifLoopback: return "iif \"lo\"";
    case K::RpfMissing: return "fib saddr . iif oif missing";
    case K::SkUid: return "meta skuid " + std::to_string(m.value);
    case K::CtMark: return "ct mark & " + hex32(m.mask) + " == " + hex32(m.value);
    case K::MetaMark: return "meta mark & " + hex32(m.mask) + " == " + hex32(m.value);
    case K::L4Tcp: return "meta l4proto tcp";
    case K::TcpSyn: return "tcp flags & (syn | ack) == syn";
    case K::TcpFlags: {
      const auto mask = tcp_flags(m.mask);
      return "tcp flags & " + (m.mask & (m.mask - 1) ? "(" + mask + ")" : mask) + " == " + tcp_flags(m.value);
    }
    case K::CtDirectionReply: return "ct direction reply";
    case K::CtIdSeqIn: return "ct id . tcp sequence @" + m.set;
    case K::TcpDoff: return "tcp doff " + std::to_string(m.value);
    case K::ThByte: return "@th," + std::to_string(8 * m.value) + ",8 >= 0";
    case K::Icmp6Type: return "icmpv6 type " + icmp6_type_name(m.value);
    case K::Icmp6Code: return "icmpv6 code " + (m.value == 0 ? std::string("no-route") : std::to_string(m.value));
    case K::Ip6HopLimit: return "ip6 hoplimit " + std::to_string(m.value);
    case K::Ip6LengthMax: return "ip6 length <= " + std::to_string(m.value);
    case K::MetaRtclassid: return "meta rtclassid >= 0";
    case K::LlEq: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%0*llx", static_cast<int>(2 * m.len), static_cast<unsigned long long>(m.data));
      return "@ll," + std::to_string(8 * m.offset) + "," + std::to_string(8 * m.len) + " " + buf;
    }
    case K::DportIn: return "tcp dport @" + m.set;
    case K::Daddr4In: return "ip daddr @" + m.set;
    case K::Daddr6In: return "ip6 daddr @" + m.set;
    case K::Saddr4In: return "ip saddr @" + m.set;
    case K::Saddr6In: return "ip6 saddr @" + m.set;
    case K::CtEstablished: return "ct state established";
    case K::UdpSport: return "udp sport " + std::to_string(m.value);
    case K::TcpSport: return "tcp sport " + std::to_string(m.value);
    case K::CtNew: return "ct state new";
    case K::FibSaddrLocal: return "fib saddr type local";
  }
  return "";
}

std::string queue_text(const Action& a) {
  std::string s = "queue";
  if (a.bypass) s += " flags bypass";
  s += " to " + std::to_string(a.queue_num);
  if (a.queue_total > 1) s += "-" + std::to_string(a.queue_num + a.queue_total - 1);
  return s;
}

std::string action_text(const Action& a) {
  using K = Action::Kind;
  switch (a.kind) {
    case K::Verdict: return verdict_text(a.verdict);
    case K::RejectTcpReset: return "reject with tcp reset";
    case K::CtMarkSet: return mark_set_text("ct mark", a);
    case K::MetaMarkSet: return mark_set_text("meta mark", a);
    case K::AddCtIdAckseq: return "add @" + a.set + " { ct id . tcp ackseq }";
    case K::Vmap: {
      const char* key = a.vmap_key == Action::VmapKey::Daddr4   ? "ip daddr"
                        : a.vmap_key == Action::VmapKey::Daddr6 ? "ip6 daddr"
                        : a.vmap_key == Action::VmapKey::Saddr4 ? "ip saddr"
                        : a.vmap_key == Action::VmapKey::Saddr6 ? "ip6 saddr"
                                                                : "tcp dport";
      std::string k = key;
      if (a.key_prefix != 0 && a.vmap_key != Action::VmapKey::TcpDport) {
        const KeyType t = a.vmap_key == Action::VmapKey::Daddr4 ? KeyType::Ipv4 : KeyType::Ipv6;
        k += " & " + format_key(t, prefix_mask(t, a.key_prefix));
      }
      return k + " vmap @" + a.set;
    }
    case K::Queue: return queue_text(a);
    case K::Counter: return "counter";
    case K::Notrack: return "notrack";
    case K::UpdateDport:  // nft lists it without the `meta l4proto` it implies
      return "update @" + a.set + (a.value == IPPROTO_UDP ? " { udp dport }" : " { tcp dport }");
  }
  return "";
}

const char* hook_name(Chain::Hook h) {
  switch (h) {
    case Chain::Hook::Forward: return "forward";
    case Chain::Hook::Input: return "input";
    case Chain::Hook::Output: break;
  }
  return "output";
}

bool is_compat_queue(const Rule& r) {
  for (const auto& a : r.actions)
    if (a.kind == Action::Kind::Queue && a.queue_impl == QueueImpl::Compat) return true;
  return false;
}

void set_text(std::ostringstream& o, const Set& s) {
  o << "\t" << (s.map ? "map " : "set ") << s.name << " {\n";
  o << "\t\t" << key_type(s.key) << (s.map ? " : verdict" : "") << "\n";
  if (s.interval) o << "\t\tflags interval\n";
  if (s.size != 0) o << "\t\tsize " << s.size << "\n";
  // As nft lists them: after size, the flags in one line, then the counter and the timeout.
  if (s.dynamic) o << "\t\tflags dynamic" << (s.timeout != 0 ? ",timeout" : "") << "\n";
  if (s.counter) o << "\t\tcounter\n";
  if (s.timeout != 0) o << "\t\ttimeout " << duration(s.timeout) << "\n";
  if (!s.comment.empty()) o << "\t\tcomment " << quote(s.comment) << "\n";
  if (!s.elements.empty()) {
    o << "\t\telements = { ";
    for (std::size_t i = 0; i < s.elements.size(); ++i) {
      if (i) o << ",\n\t\t\t     ";
      o << element_text(s.key, s.elements[i]);
    }
    o << " }\n";
  }
  o << "\t}\n";
}

void guard_text(std::ostringstream& o, const std::string& table, const Guard& g) {
  if (!g.on()) {
    o << "# table netdev " << table << " (egress guard against packet sockets): not programmed: " << g.off_reason
      << "\n";
    return;
  }
  o << "# egress guard: frames that did not come through the IP stack (packet sockets) are dropped\n";
  o << "table netdev " << table << " {\n\tchain egress {\n\t\ttype filter hook egress devices = { ";
  for (std::size_t i = 0; i < g.devices.size(); ++i) o << (i ? ", " : "") << quote(g.devices[i]);
  o << " } priority filter; policy accept;\n";
  for (const auto& r : g.rules) {
    std::string line = rule_text(r);
    if (!r.comment.empty()) line += " comment " + quote(r.comment);
    o << "\t\t" << line << "\n";
  }
  o << "\t}\n}\n";
}

}  // namespace

std::string rule_text(const Rule& r) {
  std::string s;
  for (std::size_t i = 0; i < r.matches.size(); ++i) {
    if (implied_dependency(r, i)) continue;
    s += (s.empty() ? "" : " ") + match_text(r.matches[i]);
  }
  for (const auto& a : r.actions) s += (s.empty() ? "" : " ") + action_text(a);
  return s;
}

std::string render_text(const Ruleset& rs, const RenderOptions& opt) {
  std::ostringstream o;
  o << "# nfegress ruleset; queue implementation: " << queue_impl_name(rs.queue) << "\n";
  if (!rs.dns_note.empty()) o << "# " << rs.dns_note << "\n";
  o << "table inet " << rs.table << " {\n";
  bool first = true;
  for (const auto& s : rs.sets) {
    if (!first) o << "\n";
    first = false;
    set_text(o, s);
  }
  for (const auto& c : rs.chains) {
    if (!first) o << "\n";
    first = false;
    o << "\tchain " << c.name << " {\n";
    if (c.base)
      o << "\t\ttype filter hook " << hook_name(c.hook)
        << " priority " << (c.priority == kPriorityRaw ? "raw" : c.priority == 0 ? "filter"
                                               : c.priority > 0 ? "filter + " + std::to_string(c.priority)
                                                                : std::to_string(c.priority))
        << "; policy accept;\n";
    for (const auto& r : c.rules) {
      std::string line = rule_text(r);
      if (!r.comment.empty()) line += " comment " + quote(r.comment);
      if (is_compat_queue(r)) {
        o << "\t\t# programmed as xt NFQUEUE (revision 3) through nft_compat: nft cannot write that target;\n"
             "\t\t# the native statement below has the same meaning\n";
        if (opt.checkable) line = "# " + line;
      }
      o << "\t\t" << line << "\n";
    }
    o << "\t}\n";
  }
  o << "}\n";
  if (rs.guard) guard_text(o, rs.table, *rs.guard);
  return o.str();
}

}  // namespace nfegress::netfilter
