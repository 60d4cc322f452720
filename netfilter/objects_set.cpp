// netfilter/objects_set.cpp — layer: pure rendering. See objects.hpp. Sets as libnftnl objects (the set's flags,
// size and user data as nft writes them), key bytes, and where element messages are cut below the attribute limit
// (the elements themselves: objects_elements.cpp).
// Must not: send anything.
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "netfilter/objects.hpp"

namespace nfegress::netfilter {
namespace {

using UdataPtr = std::unique_ptr<nftnl_udata_buf, CDeleter<nftnl_udata_buf_free>>;

constexpr std::uint16_t kFamily = NFPROTO_INET;

std::uint32_t key_type_id(KeyType k) {
  switch (k) {
    case KeyType::Ipv4: return 7;  // nft TYPE_IPADDR
    case KeyType::Ipv6: return 8;  // TYPE_IP6ADDR
    case KeyType::CtIdSeq: return (4u << 6) | 4u;  // TYPE_INTEGER . TYPE_INTEGER (nft: 6 bits per part)
    case KeyType::Port: break;
  }
  return 13;  // TYPE_INET_SERVICE
}

std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// `typeof ct id . tcp sequence` in the set's user data, the TLVs nft 1.0.6 writes (NFTNL_UDATA_SET_KEY_TYPEOF):
// a concatenation (expression type 13) of a ct expression (12: key NFT_CT_ID, no direction) and a payload one (7:
// protocol tcp (8), field sequence (3), 32 bits). nft needs it to list the set's key (two plain integers else).
void put_typeof_ct_id_seq(nftnl_udata_buf* ud) {
  auto* top = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
  nftnl_udata_put_u32(ud, 0, 13);  // TYPEOF_EXPR: concat
  auto* parts = nftnl_udata_nest_start(ud, 1);  // TYPEOF_DATA
  auto* ct = nftnl_udata_nest_start(ud, 0);     // part 0
  nftnl_udata_put_u32(ud, 0, 12);              // ct
  auto* ct_data = nftnl_udata_nest_start(ud, 1);
  nftnl_udata_put_u32(ud, 0, NFT_CT_ID);
  nftnl_udata_put_u32(ud, 1, 0xffffffffu);  // direction: none
  nftnl_udata_nest_end(ud, ct_data);
  nftnl_udata_nest_end(ud, ct);
  auto* th = nftnl_udata_nest_start(ud, 1);  // part 1
  nftnl_udata_put_u32(ud, 0, 7);            // payload
  auto* th_data = nftnl_udata_nest_start(ud, 1);
  nftnl_udata_put_u32(ud, 0, 8);   // proto_tcp
  nftnl_udata_put_u32(ud, 1, 3);   // TCPHDR_SEQ
  nftnl_udata_put_u32(ud, 4, 32);  // bits
  nftnl_udata_nest_end(ud, th_data);
  nftnl_udata_nest_end(ud, th);
  nftnl_udata_nest_end(ud, parts);
  nftnl_udata_nest_end(ud, top);
}

}  // namespace

std::uint32_t key_len(KeyType k) {
  switch (k) {
    case KeyType::Ipv4: return 4;
    case KeyType::Ipv6: return 16;
    case KeyType::CtIdSeq: return 8;
    case KeyType::Port: break;
  }
  return 2;
}

KeyBytes key_bytes(KeyType k, policy::u128 v) {
  // Big-endian: the top bytes of the key first. Whole words at a time (a byte loop over a 128-bit shift was a
  // sixth of building a 100k-element batch).
  KeyBytes out;
  out.len = key_len(k);
  auto put64 = [&](std::size_t at, std::uint64_t w) {
    for (int i = 7; i >= 0; --i, w >>= 8) out.bytes[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(w);
  };
  if (k == KeyType::CtIdSeq) {
    put64(0, static_cast<std::uint64_t>(v));
    return out;
  }
  if (k == KeyType::Ipv6) {
    put64(0, static_cast<std::uint64_t>(v >> 64));
    put64(8, static_cast<std::uint64_t>(v));
    return out;
  }
  std::uint32_t w = static_cast<std::uint32_t>(v);
  for (std::uint32_t i = out.len; i-- > 0; w >>= 8) out.bytes[i] = static_cast<std::uint8_t>(w);
  return out;
}

SetPtr make_set(const std::string& table, const Set& s, std::uint32_t set_id) {
  SetPtr set(nftnl_set_alloc());
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(set.get(), NFTNL_SET_NAME, s.name.c_str());
  nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, kFamily);
  nftnl_set_set_u32(set.get(), NFTNL_SET_ID, set_id);
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_TYPE, key_type_id(s.key));
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_LEN, key_len(s.key));
  std::uint32_t flags = 0;
  if (s.interval) flags |= NFT_SET_INTERVAL;
  if (s.map) flags |= NFT_SET_MAP;
  if (s.dynamic) flags |= NFT_SET_EVAL;  // `flags dynamic`: rules add elements (update)
  if (s.timeout != 0) flags |= NFT_SET_TIMEOUT;
  nftnl_set_set_u32(set.get(), NFTNL_SET_FLAGS, flags);
  if (s.size != 0) nftnl_set_set_u32(set.get(), NFTNL_SET_DESC_SIZE, s.size);
  if (s.timeout != 0) nftnl_set_set_u64(set.get(), NFTNL_SET_TIMEOUT, std::uint64_t{s.timeout} * 1000);  // ms
  if (s.counter) nftnl_set_add_expr(set.get(), nftnl_expr_alloc("counter"));  // `counter`: one per element
  if (s.map) {
    nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
    nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_LEN, 0);  // as nft sends it; the kernel sizes verdicts itself
  }
  // nft keeps the key/data byte order and the comment in the set's user data and needs them to list the set
  // (the same TLVs nft 1.0.6 writes: key big-endian, verdict data "invalid" byte order, no data interval).
  UdataPtr ud(nftnl_udata_buf_alloc(256));
  // A concatenation's byte order is "invalid" (0): each part keeps its own.
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, s.key == KeyType::CtIdSeq ? 0 : 2);  // 2: big endian
  if (s.key == KeyType::CtIdSeq) put_typeof_ct_id_seq(ud.get());
  if (s.map) {
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATABYTEORDER, 0);
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATA_INTERVAL, 0);
  }
  if (!s.comment.empty()) nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_SET_COMMENT, s.comment.c_str());
  nftnl_set_set_data(set.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
  return set;
}

std::size_t element_wire_size(const Set& s, const Element& e) {
  // one element: list nest (4) + KEY nest (4) + DATA_VALUE (4 + key) + FLAGS (8)
  // + for maps: DATA nest (4) + VERDICT nest (4) + CODE (8) + CHAIN (4 + name + NUL)
  std::size_t one = 4 + 4 + 4 + align4(key_len(s.key)) + 8;
  if (e.verdict) one += 4 + 4 + 8 + (e.verdict->chain.empty() ? 0 : 4 + align4(e.verdict->chain.size() + 1));
  return s.interval ? 2 * one : one;  // an interval is a start and an end element
}

std::size_t chunk_end(const Set& s, const std::vector<Element>& elements, std::size_t first,
                      std::size_t max_nest_bytes) {
  std::size_t i = first, bytes = 0;
  for (; i < elements.size(); ++i) {
    const auto need = element_wire_size(s, elements[i]);
    if (bytes + need > max_nest_bytes && i > first) break;
    bytes += need;
  }
  return i;
}

}  // namespace nfegress::netfilter
