// netfilter/address_maps.hpp — layer: pure rendering (internal to netfilter/). The plan's address partition as
// the kernel holds it: one interval map per family (`dst4`/`dst6`), and a hash map `dst4_L`/`dst6_L` for every
// prefix length with at least `hash_map_min` ranges (ruleset.hpp, kHashMapMin). Adjacent ranges of one network
// are merged first (the kernel's intervals). Must not: decide policy, touch a socket.
#pragma once
#include <cstddef>
#include <vector>

#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

// One family's address maps: the interval map and the hash maps split off it (most specific prefix first).
struct AddressMaps {
  Set interval;
  std::vector<Set> hashed;
  std::vector<unsigned> hashed_len;  // prefix length of hashed[i]
};
// `prefix` goes before every map and chain name (node mode: one set of maps per plan).
AddressMaps address_maps(const policy::Plan& plan, policy::Family f, std::size_t hash_map_min,
                         const std::string& prefix = {});

}  // namespace nfegress::netfilter
