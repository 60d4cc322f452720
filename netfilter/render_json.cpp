// netfilter/render_json.cpp — layer: pure rendering. Ruleset -> libnftables JSON, in the exact shape
// `nft -j list table inet T` (nft 1.0.6) prints, minus handles and metainfo, so a read-back compares equal.
// Must not: touch a socket or the kernel.
#include <netinet/in.h>

#include "netfilter/render.hpp"

namespace nfegress::netfilter {
namespace {

using nlohmann::json;

json key_type(KeyType k) {
  switch (k) {
    case KeyType::Ipv4: return "ipv4_addr";
    case KeyType::Ipv6: return "ipv6_addr";
    case KeyType::CtIdSeq: return {"integer", "integer"};  // `typeof ct id . tcp sequence`, as nft 1.0.6 lists it
    case KeyType::Port: break;
  }
  return "inet_service";
}

json verdict_json(const Verdict& v) {
  switch (v.kind) {
    case Verdict::Kind::Accept: return {{"accept", nullptr}};
    case Verdict::Kind::Drop: return {{"drop", nullptr}};
    case Verdict::Kind::Goto: break;
  }
  return {{"goto", {{"target", v.chain}}}};
}

json key_json(KeyType k, const Element& e) {
  if (k == KeyType::Port) {
    if (e.lo == e.hi) return static_cast<unsigned>(e.lo);
    return {{"range", {static_cast<unsigned>(e.lo), static_cast<unsigned>(e.hi)}}};
  }
  const unsigned bits = k == KeyType::Ipv4 ? 32 : 128;
  unsigned len = 0;
  if (e.lo == e.hi) return format_key(k, e.lo);
  if (element_is_prefix(k, e, len) && len < bits)
    return {{"prefix", {{"addr", format_key(k, e.lo)}, {"len", len}}}};
  return {{"range", {format_key(k, e.lo), format_key(k, e.hi)}}};
}

json eq(json left, json right) { return {{"match", {{"op", "=="}, {"left", left}, {"right", right}}}}; }
json meta(const char* key) { return {{"meta", {{"key", key}}}}; }
json payload(const char* proto, const char* field) { return {{"payload", {{"protocol", proto}, {"field", field}}}}; }
json masked(json what, std::uint32_t mask) { return {{"&", {what, mask}}}; }
json ct(const char* key) { return {{"ct", {{"key", key}}}}; }
json ct_id_seq(const char* field) { return {{"concat", {ct("id"), payload("tcp", field)}}}; }

// TCP flag bits by name in nft's order: one name as a string, several as a list (as nft -j lists them).
json tcp_flags(std::uint32_t bits) {
  static constexpr const char* kNames[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};
  json out = json::array();
  for (unsigned i = 0; i < 8; ++i)
    if (bits & (1u << i)) out.push_back(kNames[i]);
  if (out.size() == 1) return out[0];
  return out;
}

// `ct mark set ...` / `meta mark set ...` as nft lists the bitwise (mask ~MASK, xor VALUE): `& A | B` with
// A = ~MASK | VALUE; the `&` left out when A keeps every bit (nft compiles `ct mark & A | B` to mask A & ~B).
json mark_set(json key, const Action& a) {
  const std::uint32_t keep = ~a.mask | a.value;
  json v = keep == 0xffffffffu ? key : masked(key, keep);
  if (a.value != 0) v = {{"|", {std::move(v), a.value}}};
  return {{"mangle", {{"key", std::move(key)}, {"value", std::move(v)}}}};
}

json match_json(const Match& m) {
  using K = Match::Kind;
  switch (m.kind) {
    case K::OifLoopback: return eq(meta("oif"), "lo");
    case K::IifLoopback: return eq(meta("iif"), "lo");
    case K::RpfMissing: return eq({{"fib", {{"result", "oif"}, {"flags", {"saddr", "iif"}}}}}, false);
    case K::SkUid: return eq(meta("skuid"), m.value);
    case K::CtMark: return eq(masked({{"ct", {{"key", "mark"}}}}, m.mask), m.value);
    case K::MetaMark: return eq(masked(meta("mark"), m.mask), m.value);
    case K::L4Tcp: return eq(meta("l4proto"), "tcp");
    case K::TcpSyn: return eq({{"&", {payload("tcp", "flags"), {"syn", "ack"}}}}, "syn");
    case K::TcpFlags:  // nft -j lists `flags & (fin | rst) == 0` as `!` (none of the bits)
      if (m.value == 0) return {{"match", {{"op", "!"}, {"left", payload("tcp", "flags")}, {"right", tcp_flags(m.mask)}}}};
      return eq({{"&", {payload("tcp", "flags"), tcp_flags(m.mask)}}}, tcp_flags(m.value));
    case K::CtDirectionReply: return eq(ct("direction"), "reply");
    case K::CtIdSeqIn: return eq(ct_id_seq("sequence"), "@" + m.set);
    case K::TcpDoff: return eq(payload("tcp", "doff"), m.value);
    case K::ThByte: {  // @th,8*VALUE,8 >= 0
      json th = {{"payload", {{"base", "th"}, {"offset", 8 * m.value}, {"len", 8}}}};
      return {{"match", {{"op", ">="}, {"left", std::move(th)}, {"right", 0}}}};
    }
    case K::Icmp6Type: return eq(payload("icmpv6", "type"), icmp6_type_name(m.value));
    case K::Icmp6Code:  // nft names code 0 "no-route" (its icmpv6_code table)
      return m.value == 0 ? eq(payload("icmpv6", "code"), "no-route") : eq(payload("icmpv6", "code"), m.value);
    case K::Ip6HopLimit: return eq(payload("ip6", "hoplimit"), m.value);
    case K::Ip6LengthMax:
      return {{"match", {{"op", "<="}, {"left", payload("ip6", "length")}, {"right", m.value}}}};
    case K::MetaRtclassid:  // nft lists the realm by its name in /etc/iproute2/rt_realms (0: "cosmos")
      return {{"match", {{"op", ">="}, {"left", meta("rtclassid")}, {"right", 0}}}};
    case K::LlEq: {
      json ll = {{"payload", {{"base", "ll"}, {"offset", 8 * m.offset}, {"len", 8 * m.len}}}};
      return eq(std::move(ll), m.data);
    }
    case K::DportIn: return eq(payload("tcp", "dport"), "@" + m.set);
    case K::Daddr4In: return eq(payload("ip", "daddr"), "@" + m.set);
    case K::Daddr6In: return eq(payload("ip6", "daddr"), "@" + m.set);
    case K::Saddr4In: return eq(payload("ip", "saddr"), "@" + m.set);
    case K::Saddr6In: return eq(payload("ip6", "saddr"), "@" + m.set);
    case K::CtEstablished:
      return {{"match", {{"op", "in"}, {"left", {{"ct", {{"key", "state"}}}}}, {"right", "established"}}}};
    case K::UdpSport: return eq(payload("udp", "sport"), m.value);
    case K::TcpSport: return eq(payload("tcp", "sport"), m.value);
    case K::CtNew: return {{"match", {{"op", "in"}, {"left", {{"ct", {{"key", "state"}}}}}, {"right", "new"}}}};
    case K::FibSaddrLocal:
      return eq({{"fib", {{"result", "type"}, {"flags", json::array({"saddr"})}}}}, "local");
  }
  return {};
}

json queue_json(const Action& a) {
  if (a.queue_impl == QueueImpl::Compat) return {{"xt", {{"type", "target"}, {"name", "NFQUEUE"}}}};
  json q;
  if (a.queue_total > 1) q["num"] = {{"range", {a.queue_num, a.queue_num + a.queue_total - 1}}};
  else q["num"] = a.queue_num;
  if (a.bypass) q["flags"] = "bypass";
  return {{"queue", q}};
}

json action_json(const Action& a) {
  using K = Action::Kind;
  switch (a.kind) {
    case K::Verdict: return verdict_json(a.verdict);
    case K::RejectTcpReset: return {{"reject", {{"type", "tcp reset"}}}};
    case K::CtMarkSet: return mark_set(ct("mark"), a);
    case K::MetaMarkSet: return mark_set(meta("mark"), a);
    case K::AddCtIdAckseq:
      return {{"set", {{"op", "add"}, {"elem", ct_id_seq("ackseq")}, {"set", "@" + a.set}}}};
    case K::Vmap: {
      json key = a.vmap_key == Action::VmapKey::Daddr4   ? payload("ip", "daddr")
                 : a.vmap_key == Action::VmapKey::Daddr6 ? payload("ip6", "daddr")
                 : a.vmap_key == Action::VmapKey::Saddr4 ? payload("ip", "saddr")
                 : a.vmap_key == Action::VmapKey::Saddr6 ? payload("ip6", "saddr")
                                                         : payload("tcp", "dport");
      if (a.key_prefix != 0 && a.vmap_key != Action::VmapKey::TcpDport) {
        const KeyType t = a.vmap_key == Action::VmapKey::Daddr4 ? KeyType::Ipv4 : KeyType::Ipv6;
        key = {{"&", {key, format_key(t, prefix_mask(t, a.key_prefix))}}};
      }
      return {{"vmap", {{"key", key}, {"data", "@" + a.set}}}};
    }
    case K::Queue: return queue_json(a);
    case K::Counter: return {{"counter", {{"packets", 0}, {"bytes", 0}}}};
    case K::Notrack: return {{"notrack", nullptr}};
    case K::UpdateDport:  // as nft -j lists it: without the `meta l4proto` match it implies
      return {{"set", {{"op", "update"}, {"elem", payload(a.value == IPPROTO_UDP ? "udp" : "tcp", "dport")},
                       {"set", "@" + a.set}}}};
  }
  return {};
}

// A rule nft 1.0.6 cannot read back from JSON: it uses the anchor's `ct id . tcp ...` set (RenderOptions).
bool uses_anchor_set(const Rule& r) {
  for (const auto& m : r.matches)
    if (m.kind == Match::Kind::CtIdSeqIn) return true;
  for (const auto& a : r.actions)
    if (a.kind == Action::Kind::AddCtIdAckseq) return true;
  return false;
}

bool is_compat_queue(const Rule& r) {
  for (const auto& a : r.actions)
    if (a.kind == Action::Kind::Queue && a.queue_impl == QueueImpl::Compat) return true;
  return false;
}

// table netdev: the egress guard. "dev" names the devices (a string for one, as nft 1.0.6 reads it); nft 1.0.6's
// own JSON listing leaves them out.
void guard_json(const std::string& table, const Guard& g, json& list) {
  list.push_back({{"table", {{"family", "netdev"}, {"name", table}}}});
  json ch = {{"family", "netdev"}, {"table", table},  {"name", "egress"}, {"type", "filter"},
             {"hook", "egress"},   {"prio", 0},       {"policy", "accept"}};
  if (g.devices.size() == 1) ch["dev"] = g.devices[0];
  else ch["dev"] = g.devices;
  list.push_back({{"chain", std::move(ch)}});
  for (const auto& r : g.rules) {
    json expr = json::array();
    for (std::size_t i = 0; i < r.matches.size(); ++i)
        if (!implied_dependency(r, i)) expr.push_back(match_json(r.matches[i]));
    for (const auto& a : r.actions) expr.push_back(action_json(a));
    json o = {{"family", "netdev"}, {"table", table}, {"chain", "egress"}, {"expr", std::move(expr)}};
    if (!r.comment.empty()) o["comment"] = r.comment;
    list.push_back({{"rule", std::move(o)}});
  }
}

}  // namespace

json render_json(const Ruleset& rs, const RenderOptions& opt) {
  json list = json::array();
  list.push_back({{"table", {{"family", "inet"}, {"name", rs.table}}}});
  // Chains before sets: a verdict map element that says `goto en_0` needs the chain to exist, and `nft -j -f`
  // processes objects in order. (`nft -j list` prints sets first; compare by kind, not position.)
  for (const auto& c : rs.chains) {
    json o = {{"family", "inet"}, {"table", rs.table}, {"name", c.name}};
    if (c.base) {
      o["type"] = "filter";
      o["hook"] = c.hook == Chain::Hook::Forward ? "forward" : c.hook == Chain::Hook::Input ? "input" : "output";
      o["prio"] = c.priority;
      o["policy"] = "accept";
    }
    list.push_back({{"chain", std::move(o)}});
  }
  for (const auto& s : rs.sets) {
    if (opt.checkable && s.key == KeyType::CtIdSeq) continue;
    json o = {{"family", "inet"}, {"name", s.name}, {"table", rs.table}, {"type", key_type(s.key)}};
    if (s.map) o["map"] = "verdict";
    if (s.interval) o["flags"] = {"interval"};
    if (s.size != 0) o["size"] = s.size;
    if (!s.comment.empty()) o["comment"] = s.comment;
    // nft 1.0.6's JSON leaves out `flags dynamic` and shows the set's `counter` as a statement list.
    if (s.counter) o["stmt"] = json::array({{{"counter", nullptr}}});
    if (s.timeout != 0) {
      o["flags"] = {"timeout"};
      o["timeout"] = s.timeout;
    }
    if (!s.elements.empty()) {
      json elem = json::array();
      for (const auto& e : s.elements) {
        if (s.map) elem.push_back({key_json(s.key, e), verdict_json(*e.verdict)});
        else elem.push_back(key_json(s.key, e));
      }
      o["elem"] = std::move(elem);
    }
    list.push_back({{s.map ? "map" : "set", std::move(o)}});
  }
  for (const auto& c : rs.chains) {
    for (const auto& r : c.rules) {
      if (opt.checkable && (is_compat_queue(r) || uses_anchor_set(r))) continue;
      json expr = json::array();
      for (std::size_t i = 0; i < r.matches.size(); ++i)
        if (!implied_dependency(r, i)) expr.push_back(match_json(r.matches[i]));
      for (const auto& a : r.actions) expr.push_back(action_json(a));
      json o = {{"family", "inet"}, {"table", rs.table}, {"chain", c.name}, {"expr", std::move(expr)}};
      if (!r.comment.empty()) o["comment"] = r.comment;
      list.push_back({{"rule", std::move(o)}});
    }
  }
  if (rs.guard && rs.guard->on()) guard_json(rs.table, *rs.guard, list);
  return {{"nftables", std::move(list)}};
}

}  // namespace nfegress::netfilter
