// netfilter/objects.hpp — layer: pure rendering. Ruleset parts -> owned libnftnl objects (table, set, element
// chunks, chain, rule with its expressions). No socket; batch.cpp puts them into messages.
// Must not: send anything, decide policy.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <linux/netlink.h>

#include "netfilter/handles.hpp"
#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

// Set name -> NFTA_SET_ID for sets created in the same batch (lookups may name a set not yet committed).
using SetIds = std::map<std::string, std::uint32_t>;

TablePtr make_table(const std::string& table);
ChainPtr make_chain(const std::string& table, const Chain& c);  // no rules
SetPtr make_set(const std::string& table, const Set& s, std::uint32_t set_id);  // no elements
RulePtr make_rule(const std::string& table, const std::string& chain, const Rule& r, const SetIds& ids);

// Elements go into NEWSETELEM/DELSETELEM messages that carry only table, set name (and set id) plus elements. An
// interval [lo, hi] is a start element (with the verdict) and, unless hi is the top of the key space, an end element
// at hi+1 flagged NFT_SET_ELEM_INTERVAL_END — both always in the same message. Each NFTA_SET_ELEM_LIST_ELEMENTS
// nest stays below `max_nest_bytes` (the 16-bit nla_len limit is 65535; the default leaves headroom).
// The largest element message: its nest stays below 64 KiB, plus the message and attribute headers.
inline constexpr std::size_t kMaxElementMessage = 65536 + 4096;
// Where the message that starts at elements[first] ends: [first, chunk_end) fits below `max_nest_bytes` (at least
// one element).
std::size_t chunk_end(const Set& s, const std::vector<Element>& elements, std::size_t first,
                      std::size_t max_nest_bytes = 60000);
// The payload of the NEWSETELEM/DELSETELEM message for elements[first, last), written with libmnl: byte for byte
// what libnftnl's nftnl_set_elems_nlmsg_build_payload builds for the same elements but for the type of each
// element's nest (NFTA_LIST_ELEM here, as in kernel dumps; batch_test holds the two equal otherwise), without a libnftnl object per element (the batch's hot path). set_id 0 = the set exists already
// (referenced by name only). The one element encoder: the batch sends these bytes and canonical.cpp reads them back.
void put_element_payload(nlmsghdr* nlh, const std::string& table, const Set& s, const std::vector<Element>& elements,
                         std::size_t first, std::size_t last, std::uint32_t set_id);

// Upper bound of the netlink bytes one element (start + end for an interval) takes inside the elements nest.
std::size_t element_wire_size(const Set& s, const Element& e);

// A key in network byte order (4, 16 or 2 bytes: key_len(k)), without an allocation (one per set element).
struct KeyBytes {
  std::array<std::uint8_t, 16> bytes{};
  std::uint32_t len = 0;
  const std::uint8_t* data() const { return bytes.data(); }
  std::uint32_t size() const { return len; }
};
KeyBytes key_bytes(KeyType k, policy::u128 v);
std::uint32_t key_len(KeyType k);

}  // namespace nfegress::netfilter
