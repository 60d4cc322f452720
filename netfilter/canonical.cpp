// netfilter/canonical.cpp — layer: pure rendering. See canonical.hpp. Expressions are printed with libnftnl's
// own snprintf (the `nft --debug=netlink` form), so nothing is re-decoded by hand.
// Must not: touch a socket.
#include "netfilter/canonical.hpp"

#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "netfilter/guard.hpp"
#include "netfilter/objects.hpp"

namespace nfegress::netfilter {
namespace {

std::string hex(const void* data, std::uint32_t len) {
  std::string out;
  const auto* p = static_cast<const unsigned char*>(data);
  char b[3];
  for (std::uint32_t i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    out += b;
  }
  return out;
}

// The comment TLV (type `comment_type`) from a user-data blob, "" when absent.
std::string udata_comment(const void* data, std::uint32_t len, std::uint8_t comment_type) {
  std::string out;
  if (!data) return out;
  const nftnl_udata* attr;
  // The macro does arithmetic on `data`: give it a char pointer (void* arithmetic is a GNU extension clang rejects).
  const char* bytes = static_cast<const char*>(data);
  nftnl_udata_for_each_data(bytes, len, attr) {
    if (nftnl_udata_type(attr) == comment_type && nftnl_udata_len(attr) > 0) {
      const char* s = static_cast<const char*>(nftnl_udata_get(attr));
      out.assign(s, strnlen(s, nftnl_udata_len(attr)));
    }
  }
  return out;
}

std::string verdict_name(std::uint32_t v) {
  switch (static_cast<int>(v)) {
    case NF_ACCEPT: return "accept";
    case NF_DROP: return "drop";
    case NFT_GOTO: return "goto";
    case NFT_JUMP: return "jump";
    default: return "verdict" + std::to_string(static_cast<int>(v));
  }
}

int print_expr(nftnl_expr* e, void* data) {
  auto* out = static_cast<std::string*>(data);
  // A counter's values are the kernel's, not the ruleset's: compare the expression, not its packets.
  if (std::strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0) {
    *out += " [counter]";
    return 0;
  }
  // A dynset as built and as dumped: the kernel adds its timeout (0) and the set's expressions (a counter with its
  // values) to the dump; what the rule says is the operation, the key register and the set.
  if (std::strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "dynset") == 0) {
    *out += " [dynset op=" + std::to_string(nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_OP)) +
            " reg_key=" + std::to_string(nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY)) +
            " set=" + nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME) + "]";
    return 0;
  }
  char buf[512];
  nftnl_expr_snprintf(buf, sizeof buf, e, NFTNL_OUTPUT_DEFAULT, 0);
  std::string text = buf;
  // libnftnl prints an xt target by name and revision only; its info holds the queue number and flags of the xt
  // NFQUEUE rules (host-order u16s), which must show in a comparison and in `status`.
  if (std::strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "target") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_TG_INFO)) {
    std::uint32_t len = 0;
    const void* info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
    if (!text.empty() && text.back() != ' ') text += ' ';
    text += "info=" + hex(info, len);
  }
  *out += " [" + std::string(nftnl_expr_get_str(e, NFTNL_EXPR_NAME)) + " " + text + "]";
  return 0;
}

}  // namespace

std::string canonical_table(nftnl_table* t) {
  return std::string("table ") + nftnl_table_get_str(t, NFTNL_TABLE_NAME);
}

std::string canonical_set(nftnl_set* s) {
  std::string out = std::string("set ") + nftnl_set_get_str(s, NFTNL_SET_NAME);
  out += " flags=" + std::to_string(nftnl_set_get_u32(s, NFTNL_SET_FLAGS));
  out += " keytype=" + std::to_string(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE));
  out += " keylen=" + std::to_string(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN));
  if (nftnl_set_is_set(s, NFTNL_SET_DESC_SIZE) && nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE) != 0)
    out += " size=" + std::to_string(nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE));
  if (nftnl_set_is_set(s, NFTNL_SET_TIMEOUT) && nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT) != 0)
    out += " timeout=" + std::to_string(nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT));
  if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE))
    out += " datatype=" + std::to_string(nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE));
  std::uint32_t len = 0;
  const void* ud = nftnl_set_is_set(s, NFTNL_SET_USERDATA) ? nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len) : nullptr;
  const auto c = udata_comment(ud, len, NFTNL_UDATA_SET_COMMENT);
  if (!c.empty()) out += " comment=\"" + c + "\"";
  return out;
}

std::string set_comment(nftnl_set* s) {
  std::uint32_t len = 0;
  const void* ud = nftnl_set_is_set(s, NFTNL_SET_USERDATA) ? nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len) : nullptr;
  return udata_comment(ud, len, NFTNL_UDATA_SET_COMMENT);
}

std::string canonical_chain(nftnl_chain* c) {
  std::string out = std::string("chain ") + nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
    out += " hook=" + std::to_string(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM));
    out += " prio=" + std::to_string(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
    out += std::string(" type=") + nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
    out += " policy=" + verdict_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY));
  }
  return out;
}

std::string canonical_rule(nftnl_rule* r, std::size_t index) {
  char idx[16];
  std::snprintf(idx, sizeof idx, "%04zu", index);
  std::string out = std::string("rule ") + nftnl_rule_get_str(r, NFTNL_RULE_CHAIN) + " #" + idx + ":";
  nftnl_expr_foreach(r, print_expr, &out);
  std::uint32_t len = 0;
  const void* ud =
      nftnl_rule_is_set(r, NFTNL_RULE_USERDATA) ? nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len) : nullptr;
  const auto c = udata_comment(ud, len, NFTNL_UDATA_RULE_COMMENT);
  if (!c.empty()) out += " comment=\"" + c + "\"";
  return out;
}

void canonical_elements(nftnl_set* s, const std::string& set_name, std::vector<std::string>& out) {
  struct Ctx {
    const std::string* name;
    std::vector<std::string>* out;
  } ctx{&set_name, &out};
  nftnl_set_elem_foreach(
      s,
      [](nftnl_set_elem* e, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        std::uint32_t len = 0;
        const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        std::string line = "elem " + *c->name + " key=" + hex(key, len);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
            (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END))
          line += " end";
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
          line += " " + verdict_name(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT));
          if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
            line += std::string(" ") + nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
        }
        c->out->push_back(std::move(line));
        return 0;
      },
      &ctx);
}

namespace {

// The desired side of a set's elements: the messages the batch sends (put_element_payload), parsed back by
// libnftnl as a kernel dump is, one message at a time (100k elements never become 200k libnftnl objects at once).
void desired_elements(const std::string& table, const Set& s, std::vector<std::string>& out) {
  std::vector<char> buf(kMaxElementMessage);
  for (std::size_t first = 0, last = 0; first < s.elements.size(); first = last) {
    last = chunk_end(s, s.elements, first);
    auto* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWSETELEM, NFPROTO_INET, 0, 0);
    put_element_payload(nlh, table, s, s.elements, first, last, 0);
    SetPtr parsed(nftnl_set_alloc());
    if (nftnl_set_elems_nlmsg_parse(nlh, parsed.get()) < 0) {
      // Not expected (libnftnl parses what it would build); a line no kernel dump has makes the diff say so.
      out.push_back("elem " + s.name + " unparsable message [" + std::to_string(first) + ".." +
                    std::to_string(last - 1) + "]");
      continue;
    }
    canonical_elements(parsed.get(), s.name, out);
  }
}

}  // namespace
}  // namespace nfegress::netfilter


namespace nfegress::netfilter {

Canonical canonical(const Ruleset& rs) {
  Canonical c;
  auto t = make_table(rs.table);
  c.lines.push_back(canonical_table(t.get()));
  for (const auto& s : rs.sets) {
    auto set = make_set(rs.table, s, 1);
    c.lines.push_back(canonical_set(set.get()));
    desired_elements(rs.table, s, c.lines);
  }
  for (const auto& ch : rs.chains) {
    auto o = make_chain(rs.table, ch);
    c.lines.push_back(canonical_chain(o.get()));
    for (std::size_t i = 0; i < ch.rules.size(); ++i) {
      auto r = make_rule(rs.table, ch.name, ch.rules[i], {});
      c.lines.push_back(canonical_rule(r.get(), i));
    }
  }
  if (rs.guard) canonical_guard(rs.table, *rs.guard, c.lines);
  std::sort(c.lines.begin(), c.lines.end());
  return c;
}

std::vector<std::string> canonical_minus(const Canonical& a, const Canonical& b) {
  std::vector<std::string> out;
  std::set_difference(a.lines.begin(), a.lines.end(), b.lines.begin(), b.lines.end(), std::back_inserter(out));
  return out;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "c0000235" -> "192.0.2.53" (a dns4/dns6 element key, network order); "" when it is not one.
std::string key_address(policy::Family f, const std::string& text) {
  const std::size_t bytes = f == policy::Family::V4 ? 4 : 16;
  if (text.size() < 2 * bytes) return "";
  policy::u128 v = 0;
  for (std::size_t i = 0; i < 2 * bytes; ++i) {
    const int d = hex_digit(text[i]);
    if (d < 0) return "";
    v = (v << 4) | static_cast<unsigned>(d);
  }
  return policy::format_ip(f, v);
}

// The queue of a dns_answers rule: "[queue num 101 bypass ]" (native) or "[target ... info=HEX]" (xt NFQUEUE:
// xt_NFQ_info_v3 { u16 queuenum, queues_total, flags } in host order, flag 0x1 = bypass).
void dns_queue_of(const std::string& line, CanonicalSummary& s) {
  if (const auto q = line.find(" [queue num "); q != std::string::npos) {
    const auto end = line.find(']', q);
    s.dns_queue = static_cast<std::uint16_t>(std::strtoul(line.c_str() + q + 12, nullptr, 10));
    s.dns_bypass = s.dns_bypass && line.substr(q, end - q).find("bypass") != std::string::npos;
    return;
  }
  const auto i = line.find(" [target ");
  const auto info = i == std::string::npos ? i : line.find("info=", i);
  if (info == std::string::npos || line.size() < info + 5 + 12) return;
  unsigned char raw[6];
  for (std::size_t b = 0; b < 6; ++b) {
    const int hi = hex_digit(line[info + 5 + 2 * b]), lo = hex_digit(line[info + 6 + 2 * b]);
    if (hi < 0 || lo < 0) return;
    raw[b] = static_cast<unsigned char>(hi * 16 + lo);
  }
  std::uint16_t fields[3];
  std::memcpy(fields, raw, sizeof fields);
  s.dns_queue = fields[0];
  s.dns_bypass = s.dns_bypass && (fields[2] & 0x1) != 0;
}

}  // namespace

CanonicalSummary summarize(const Canonical& c) {
  CanonicalSummary s;
  const auto starts = [](const std::string& line, const char* prefix) { return line.rfind(prefix, 0) == 0; };
  for (const auto& line : c.lines) {
    if (starts(line, "set ")) ++s.sets;
    if (starts(line, "elem ") && line.find(" end") == std::string::npos) ++s.elements;
    if (starts(line, "chain ")) ++s.chains;
    if (starts(line, "chain en_")) ++s.networks;
    // Node mode (ruleset_node.cpp): chains "global"/"ns_<namespace>" (a plan) and "<plan>_en_N" (its networks).
    if ((starts(line, "chain global") || starts(line, "chain ns_")) && line.find("_en_") != std::string::npos)
      ++s.networks;
    else if (line == "chain global" || starts(line, "chain ns_")) ++s.plans;
    if ((starts(line, "elem clients4 ") || starts(line, "elem clients6 ")) && line.find(" end") == std::string::npos)
      ++s.clients;
    if ((starts(line, "elem unknown4 ") || starts(line, "elem unknown6 ")) && line.find(" end") == std::string::npos)
      ++s.deny_unknown;
    if (starts(line, "netdev chain ")) s.guard_devices = line.substr(line.find(" devices=") + 9);
    if (starts(line, "netdev rule ")) ++s.guard_rules;
    if (starts(line, "chain dns_answers ")) s.dns = true;
    if (starts(line, (std::string("set ") + kAnchorSet + " ").c_str())) s.anchor = true;
    for (const auto f : {policy::Family::V4, policy::Family::V6})
      if (starts(line, ("elem " + dns_set_name(f) + " key=").c_str()))
        if (auto a = key_address(f, line.substr(line.find("key=") + 4)); !a.empty()) s.dns_servers.push_back(a);
    if (starts(line, "rule dns_answers ")) dns_queue_of(line, s);
    if (!starts(line, "rule ")) continue;
    ++s.rules;
    // print_expr writes " [NAME ...]": the xt target is "target", the native expression "queue".
    if (line.find(" [target ") != std::string::npos) s.queue = QueueImpl::Compat;
    if (line.find(" [queue ") != std::string::npos) s.queue = QueueImpl::Native;
  }
  return s;
}

}  // namespace nfegress::netfilter
