// netfilter/objects.cpp — layer: pure rendering. See objects.hpp. Each typed rule term becomes the same
// expression sequence `nft` generates for the phrase (so `nft list` shows it back as that phrase).
// Must not: send anything.
#include "netfilter/objects.hpp"

#include <arpa/inet.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <functional>

namespace nfegress::netfilter {
namespace {

using UdataPtr = std::unique_ptr<nftnl_udata_buf, CDeleter<nftnl_udata_buf_free>>;

constexpr std::uint16_t kFamily = NFPROTO_INET;

ExprPtr expr(const char* name) { return ExprPtr(nftnl_expr_alloc(name)); }

void add(nftnl_rule* r, ExprPtr e) { nftnl_rule_add_expr(r, release_into(e)); }

void meta_load(nftnl_rule* r, std::uint32_t key) {
  auto e = expr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, NFT_REG_1);
  add(r, std::move(e));
}

void ct_load(nftnl_rule* r, std::uint32_t key) {
  auto e = expr("ct");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_DREG, NFT_REG_1);
  add(r, std::move(e));
}

void cmp(nftnl_rule* r, std::uint32_t op, const void* data, std::uint32_t len) {
  auto e = expr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
  add(r, std::move(e));
}
void cmp_u32(nftnl_rule* r, std::uint32_t v) { cmp(r, NFT_CMP_EQ, &v, sizeof v); }  // host order (meta/ct values)
void cmp_u8(nftnl_rule* r, std::uint8_t v) { cmp(r, NFT_CMP_EQ, &v, 1); }

// reg1 = (reg1 & mask) ^ xor
void bitwise(nftnl_rule* r, const void* mask, const void* x, std::uint32_t len) {
  auto e = expr("bitwise");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, mask, len);
  nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, x, len);
  add(r, std::move(e));
}

void payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len,
             std::uint32_t dreg = NFT_REG_1) {
  auto e = expr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, dreg);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
  add(r, std::move(e));
}

void lookup(nftnl_rule* r, const std::string& set, const SetIds& ids, bool vmap) {
  auto e = expr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  if (vmap) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, set.c_str());
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_FLAGS, 0);  // the kernel always reports it back
  if (auto it = ids.find(set); it != ids.end()) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, it->second);
  add(r, std::move(e));
}

void l4_tcp(nftnl_rule* r) {
  meta_load(r, NFT_META_L4PROTO);
  cmp_u8(r, IPPROTO_TCP);
}
void nfproto(nftnl_rule* r, std::uint8_t p) {
  meta_load(r, NFT_META_NFPROTO);
  cmp_u8(r, p);
}
void daddr4(nftnl_rule* r) {
  nfproto(r, NFPROTO_IPV4);
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
}
void daddr6(nftnl_rule* r) {
  nfproto(r, NFPROTO_IPV6);
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16);
}
void saddr4(nftnl_rule* r) {
  nfproto(r, NFPROTO_IPV4);
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
}
void saddr6(nftnl_rule* r) {
  nfproto(r, NFPROTO_IPV6);
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16);
}
// `udp sport N` / `tcp sport N`: the l4 protocol, then the first two bytes of the transport header (big-endian).
void sport(nftnl_rule* r, std::uint8_t proto, std::uint32_t port) {
  meta_load(r, NFT_META_L4PROTO);
  cmp_u8(r, proto);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
  const std::uint16_t be = htons(static_cast<std::uint16_t>(port));
  cmp(r, NFT_CMP_EQ, &be, 2);
}
void tcp_dport(nftnl_rule* r) {
  l4_tcp(r);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
}

// `ct id . tcp sequence` (th + 4) or `. tcp ackseq` (th + 8), as nft loads a concatenation: the first 4-byte part
// in NFT_REG_1 (= NFT_REG32_00, the number nft sends and the kernel dumps), the second in NFT_REG32_01.
void ct_id_seq(nftnl_rule* r, std::uint32_t th_offset) {
  ct_load(r, NFT_CT_ID);
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, th_offset, 4, NFT_REG32_01);
}

// `ct mark set ct mark & ~MASK | VALUE` / `meta mark set ...`: load, (reg & ~MASK) ^ VALUE, store.
void mark_set(nftnl_rule* r, bool ct, const Action& a) {
  if (ct) ct_load(r, NFT_CT_MARK);
  else meta_load(r, NFT_META_MARK);
  const std::uint32_t keep = ~a.mask;
  bitwise(r, &keep, &a.value, 4);
  auto e = expr(ct ? "ct" : "meta");
  if (ct) {
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CT_SREG, NFT_REG_1);
  } else {
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, NFT_META_MARK);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_SREG, NFT_REG_1);
  }
  add(r, std::move(e));
}

void masked_mark(nftnl_rule* r, bool ct, std::uint32_t mask, std::uint32_t value) {
  if (ct) ct_load(r, NFT_CT_MARK);
  else meta_load(r, NFT_META_MARK);
  const std::uint32_t zero = 0;
  bitwise(r, &mask, &zero, 4);
  cmp_u32(r, value);
}

void immediate(nftnl_rule* r, const Verdict& v) {
  auto e = expr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  switch (v.kind) {
    case Verdict::Kind::Accept: nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT); break;
    case Verdict::Kind::Drop: nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, NF_DROP); break;
    case Verdict::Kind::Goto:
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(NFT_GOTO));
      nftnl_expr_set_str(e.get(), NFTNL_EXPR_IMM_CHAIN, v.chain.c_str());
      break;
  }
  add(r, std::move(e));
}

void queue(nftnl_rule* r, const Action& a) {
  if (a.queue_impl == QueueImpl::Native) {
    auto e = expr("queue");
    nftnl_expr_set_u16(e.get(), NFTNL_EXPR_QUEUE_NUM, a.queue_num);
    nftnl_expr_set_u16(e.get(), NFTNL_EXPR_QUEUE_TOTAL, a.queue_total);
    nftnl_expr_set_u16(e.get(), NFTNL_EXPR_QUEUE_FLAGS, a.bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
    add(r, std::move(e));
    return;
  }
  // struct xt_NFQ_info_v3 { __u16 queuenum, queues_total, flags; } in HOST byte order (xt structs are
  // native-endian), sent as XT_ALIGN(6) = 8 zero-padded bytes like iptables; queues_total must be >= 1.
  // libnftnl's target expression takes ownership of the info buffer (it frees it), so it is malloc'ed.
  constexpr std::size_t kInfoLen = 8;
  auto* info = static_cast<std::uint8_t*>(std::calloc(1, kInfoLen));
  const std::uint16_t fields[3] = {a.queue_num, a.queue_total, static_cast<std::uint16_t>(a.bypass ? 0x1 : 0)};
  std::memcpy(info, fields, sizeof fields);
  auto e = expr("target");
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_TG_NAME, "NFQUEUE");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_TG_REV, 3);
  nftnl_expr_set(e.get(), NFTNL_EXPR_TG_INFO, info, kInfoLen);  // ownership passes to the expression
  add(r, std::move(e));
}

// As nft emits `ct state STATE`: load, & the state bit, != 0.
void ct_state(nftnl_rule* r, std::uint32_t bit) {
  ct_load(r, NFT_CT_STATE);
  const std::uint32_t zero = 0;
  bitwise(r, &bit, &zero, 4);
  cmp(r, NFT_CMP_NEQ, &zero, sizeof zero);
}

// As nft emits `fib saddr . iif oif missing`: the route back to the source, restricted to the input interface,
// looked up for existence only; 0 when there is none.
void rpf_missing(nftnl_rule* r) {
  auto e = expr("fib");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_OIF);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_SADDR | NFTA_FIB_F_IIF | NFTA_FIB_F_PRESENT);
  add(r, std::move(e));
  cmp_u32(r, 0);
}

void add_match(nftnl_rule* r, const Match& m, const SetIds& ids) {
  using K = Match::Kind;
  switch (m.kind) {
    case K::RpfMissing: rpf_missing(r); break;
    case K::OifLoopback:
      meta_load(r, NFT_META_OIF);
      cmp_u32(r, 1);  // the loopback device is ifindex 1 in every network namespace
      break;
    case K::IifLoopback:
      meta_load(r, NFT_META_IIF);
      cmp_u32(r, 1);
      break;
    case K::SkUid:
      meta_load(r, NFT_META_SKUID);
      cmp_u32(r, m.value);
      break;
    case K::CtMark: masked_mark(r, true, m.mask, m.value); break;
    case K::MetaMark: masked_mark(r, false, m.mask, m.value); break;
    case K::L4Tcp: l4_tcp(r); break;
    case K::TcpSyn: {
      l4_tcp(r);
      payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
      const std::uint8_t mask = 0x12, zero = 0;  // syn | ack
      bitwise(r, &mask, &zero, 1);
      cmp_u8(r, 0x02);  // syn
      break;
    }
    case K::TcpFlags: {  // as TcpSyn: the protocol, byte 13, & MASK, == VALUE
      l4_tcp(r);
      payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
      const auto mask = static_cast<std::uint8_t>(m.mask), zero = std::uint8_t{0};
      bitwise(r, &mask, &zero, 1);
      cmp_u8(r, static_cast<std::uint8_t>(m.value));
      break;
    }
    case K::CtDirectionReply:
      ct_load(r, NFT_CT_DIRECTION);
      cmp_u8(r, 1);  // IP_CT_DIR_REPLY (enum ip_conntrack_dir, not in the uapi headers); a one-byte key
      break;
    case K::CtIdSeqIn:  // nft adds the protocol dependency of `tcp sequence` first
      l4_tcp(r);
      ct_id_seq(r, 4);
      lookup(r, m.set, ids, false);
      break;
    case K::TcpDoff: {  // the high nibble of byte 12, as nft emits `tcp doff N`
      payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 12, 1);
      const std::uint8_t mask = 0xf0, zero = 0;
      bitwise(r, &mask, &zero, 1);
      cmp_u8(r, static_cast<std::uint8_t>(m.value << 4));
      break;
    }
    case K::ThByte: {
      // A load past the end of the segment fails, which ends the rule (NFT_BREAK); `>= 0` is then always true:
      // nft emits the same for @th,N,8 >= 0.
      payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, m.value, 1);
      const std::uint8_t zero = 0;
      cmp(r, NFT_CMP_GTE, &zero, 1);
      break;
    }
    case K::Icmp6Type:  // as nft: meta nfproto ipv6, meta l4proto ipv6-icmp, the type byte
      nfproto(r, NFPROTO_IPV6);
      meta_load(r, NFT_META_L4PROTO);
      cmp_u8(r, IPPROTO_ICMPV6);
      payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
      cmp_u8(r, static_cast<std::uint8_t>(m.value));
      break;
    case K::Icmp6Code:  // after Icmp6Type (its nfproto and l4proto checks)
      payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1);
      cmp_u8(r, static_cast<std::uint8_t>(m.value));
      break;
    case K::Ip6HopLimit:  // after an IPv6 match (Icmp6Type)
      payload(r, NFT_PAYLOAD_NETWORK_HEADER, 7, 1);
      cmp_u8(r, static_cast<std::uint8_t>(m.value));
      break;
    case K::Ip6LengthMax: {  // the payload length field, big-endian: a byte-wise compare orders it
      payload(r, NFT_PAYLOAD_NETWORK_HEADER, 4, 2);
      const std::uint16_t be = htons(static_cast<std::uint16_t>(m.value));
      cmp(r, NFT_CMP_LTE, &be, 2);
      break;
    }
    case K::MetaRtclassid: {
      // As nft emits `meta rtclassid >= 0`. The load fails (NFT_BREAK) when the skb has no route (dst), which is
      // the whole point; `>= 0` then never decides anything by itself.
      meta_load(r, NFT_META_RTCLASSID);
      auto e = expr("byteorder");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_LEN, 4);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_SIZE, 4);
      add(r, std::move(e));
      const std::uint32_t zero = 0;
      cmp(r, NFT_CMP_GTE, &zero, 4);
      break;
    }
    case K::LlEq: {  // link-layer header base: the frame's bytes from its first one, as the wire carries them
      payload(r, NFT_PAYLOAD_LL_HEADER, m.offset, m.len);
      std::uint8_t bytes[8] = {};
      for (std::uint32_t i = 0; i < m.len && i < 8; ++i)
        bytes[i] = static_cast<std::uint8_t>(m.data >> (8 * (m.len - 1 - i)));
      cmp(r, NFT_CMP_EQ, bytes, m.len);
      break;
    }
    case K::DportIn:
      tcp_dport(r);
      lookup(r, m.set, ids, false);
      break;
    case K::Daddr4In:
      daddr4(r);
      lookup(r, m.set, ids, false);
      break;
    case K::Daddr6In:
      daddr6(r);
      lookup(r, m.set, ids, false);
      break;
    case K::Saddr4In:
      saddr4(r);
      lookup(r, m.set, ids, false);
      break;
    case K::Saddr6In:
      saddr6(r);
      lookup(r, m.set, ids, false);
      break;
    case K::CtEstablished: ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED)); break;
    case K::UdpSport: sport(r, IPPROTO_UDP, m.value); break;
    case K::TcpSport: sport(r, IPPROTO_TCP, m.value); break;
    case K::CtNew: ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW)); break;
    case K::FibSaddrLocal: {  // as nft emits `fib saddr type local`: the address type of the source, RTN_LOCAL
      auto e = expr("fib");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_DREG, NFT_REG_1);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_SADDR);
      add(r, std::move(e));
      cmp_u32(r, RTN_LOCAL);
      break;
    }
  }
}

// A dynset on the key in NFT_REG_1 (and the registers after it): `update` adds or refreshes, `add` only adds.
void dynset(nftnl_rule* r, std::uint32_t op, const std::string& set, const SetIds& ids) {
  auto e = expr("dynset");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_OP, op);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_DYNSET_SET_NAME, set.c_str());
  if (auto it = ids.find(set); it != ids.end()) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DYNSET_SET_ID, it->second);
  add(r, std::move(e));
}

// `update @SET { tcp dport }` as nft emits it: the protocol dependency, the port (th + 2), a dynset that adds the
// key or refreshes it. A set with a `counter` gives each element its own counter (the kernel clones the set's
// expressions into the update). A full set fails the update, which ends the rule (nothing else in it).
void update_dport(nftnl_rule* r, const Action& a, const SetIds& ids) {
  meta_load(r, NFT_META_L4PROTO);
  cmp_u8(r, static_cast<std::uint8_t>(a.value));
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
  dynset(r, NFT_DYNSET_OP_UPDATE, a.set, ids);
}

// `add @SET { ct id . tcp ackseq }` as nft emits it after a tcp match (which brought the protocol dependency): the
// key in NFT_REG_1/NFT_REG32_01, a dynset that adds it when absent. The set's own timeout applies to the element
// (nft sends no dynset timeout). A full set fails the add, which ends the rule (nothing follows it).
void add_ct_id_ackseq(nftnl_rule* r, const Action& a, const SetIds& ids) {
  ct_id_seq(r, 8);
  dynset(r, NFT_DYNSET_OP_ADD, a.set, ids);
}

void add_action(nftnl_rule* r, const Action& a, const SetIds& ids) {
  using K = Action::Kind;
  switch (a.kind) {
    case K::Verdict: immediate(r, a.verdict); break;
    case K::RejectTcpReset: {
      auto e = expr("reject");
      nftnl_expr_set_u32(e.get(), NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
      nftnl_expr_set_u8(e.get(), NFTNL_EXPR_REJECT_CODE, 0);
      add(r, std::move(e));
      break;
    }
    case K::CtMarkSet: mark_set(r, true, a); break;
    case K::MetaMarkSet: mark_set(r, false, a); break;
    case K::AddCtIdAckseq: add_ct_id_ackseq(r, a, ids); break;
    case K::Vmap:
      if (a.vmap_key == Action::VmapKey::Daddr4) daddr4(r);
      else if (a.vmap_key == Action::VmapKey::Daddr6) daddr6(r);
      else if (a.vmap_key == Action::VmapKey::Saddr4) saddr4(r);
      else if (a.vmap_key == Action::VmapKey::Saddr6) saddr6(r);
      else tcp_dport(r);
      if (a.key_prefix != 0 && a.vmap_key != Action::VmapKey::TcpDport) {  // `ip6 daddr & ffff:ffff:: vmap @s`
        const KeyType k = a.vmap_key == Action::VmapKey::Daddr4 ? KeyType::Ipv4 : KeyType::Ipv6;
        const auto mask = key_bytes(k, prefix_mask(k, a.key_prefix));
        const KeyBytes zero{{}, mask.size()};
        bitwise(r, mask.data(), zero.data(), mask.size());
      }
      lookup(r, a.set, ids, true);
      break;
    case K::Queue: queue(r, a); break;
    case K::Counter: add(r, expr("counter")); break;
    case K::Notrack: add(r, expr("notrack")); break;
    case K::UpdateDport: update_dport(r, a, ids); break;
  }
}

}  // namespace

TablePtr make_table(const std::string& table) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, kFamily);
  return t;
}

ChainPtr make_chain(const std::string& table, const Chain& c) {
  ChainPtr ch(nftnl_chain_alloc());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, c.name.c_str());
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FAMILY, kFamily);
  if (c.base) {
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM,
                        c.hook == Chain::Hook::Forward ? NF_INET_FORWARD
                        : c.hook == Chain::Hook::Input ? NF_INET_LOCAL_IN
                                                       : NF_INET_LOCAL_OUT);
    nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, c.priority);  // 0: priority filter
    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  return ch;
}

RulePtr make_rule(const std::string& table, const std::string& chain, const Rule& r, const SetIds& ids) {
  RulePtr rule(nftnl_rule_alloc());
  nftnl_rule_set_str(rule.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(rule.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(rule.get(), NFTNL_RULE_FAMILY, kFamily);
  for (const auto& m : r.matches) add_match(rule.get(), m, ids);
  for (const auto& a : r.actions) add_action(rule.get(), a, ids);
  if (!r.comment.empty()) {
    UdataPtr ud(nftnl_udata_buf_alloc(256));
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_RULE_COMMENT, r.comment.substr(0, 127).c_str());
    nftnl_rule_set_data(rule.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.get()),
                        nftnl_udata_buf_len(ud.get()));
  }
  return rule;
}

}  // namespace nfegress::netfilter
