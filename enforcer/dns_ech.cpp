// enforcer/dns_ech.cpp — layer: pure parsers. `--strip-ech` (issue 17): removes the `ech` SvcParam from HTTPS and
// SVCB records so a client connects with a plain SNI that routes and name bindings can check. ldns decodes and
// re-encodes the message; only the SvcParams blob (RFC 9460 2.2: key, length, value, repeated) is walked here,
// because ldns has no call to edit it. Must not: throw, log, read a clock, touch a socket.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "enforcer/dns_answer.hpp"
#include "enforcer/dns_ldns.hpp"

namespace nfegress::enforcer::dns {
namespace {

using detail::PktPtr;
using detail::RdfPtr;

enum class Edit : std::uint8_t { Unchanged, Changed, Malformed };

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

// The SvcParams without key 5; a `mandatory` list loses 5 too (a key listed as mandatory but absent makes the
// record unusable, RFC 9460 8), and goes when nothing is left in it (an empty list is invalid).
Edit without_ech(std::span<const std::uint8_t> params, std::vector<std::uint8_t>& out) {
  Edit edit = Edit::Unchanged;
  while (!params.empty()) {
    if (params.size() < 4) return Edit::Malformed;
    const std::uint16_t key = be16(params.data());
    const std::size_t len = be16(params.data() + 2);
    if (params.size() - 4 < len) return Edit::Malformed;
    const auto value = params.subspan(4, len);
    params = params.subspan(4 + len);
    if (key == kSvcParamEch) {
      edit = Edit::Changed;
      continue;
    }
    if (key == kSvcParamMandatory) {
      if (len % 2 != 0) return Edit::Malformed;
      std::vector<std::uint8_t> keys;
      for (std::size_t i = 0; i < len; i += 2)
        if (be16(value.data() + i) != kSvcParamEch) put16(keys, be16(value.data() + i));
      if (keys.size() != len) edit = Edit::Changed;
      if (keys.empty()) continue;
      put16(out, key);
      put16(out, static_cast<std::uint16_t>(keys.size()));
      out.insert(out.end(), keys.begin(), keys.end());
      continue;
    }
    put16(out, key);
    put16(out, static_cast<std::uint16_t>(len));
    out.insert(out.end(), value.begin(), value.end());
  }
  return edit;
}

// Strips one record in place. The SvcParams are the third rdata field (priority, target, params; ldns leaves the
// field out when the record has no params).
Edit strip_record(ldns_rr* rr) {
  const auto type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  if ((type != kTypeHttps && type != kTypeSvcb) || ldns_rr_rd_count(rr) != 3) return Edit::Unchanged;
  const ldns_rdf* params = ldns_rr_rdf(rr, 2);
  if (params == nullptr || ldns_rdf_get_type(params) != LDNS_RDF_TYPE_SVCPARAMS) return Edit::Unchanged;
  std::vector<std::uint8_t> kept;
  const Edit e = without_ech({ldns_rdf_data(params), ldns_rdf_size(params)}, kept);
  if (e != Edit::Changed) return e;
  if (kept.empty()) {
    const RdfPtr old(ldns_rr_pop_rdf(rr));
    return Edit::Changed;
  }
  ldns_rdf* fresh = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_SVCPARAMS, kept.size(), kept.data());
  if (fresh == nullptr) return Edit::Malformed;
  const RdfPtr old(ldns_rr_set_rdf(rr, fresh, 2));  // the record owns `fresh` now and hands back the old field
  return Edit::Changed;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> strip_ech(std::span<const std::uint8_t> message) {
  ldns_status st = LDNS_STATUS_OK;
  const PktPtr pkt = detail::decode(message, st);
  if (!pkt || !ldns_pkt_qr(pkt.get())) return std::nullopt;
  bool changed = false;
  const std::array<ldns_rr_list*, 3> sections{ldns_pkt_answer(pkt.get()), ldns_pkt_authority(pkt.get()),
                                              ldns_pkt_additional(pkt.get())};
  for (ldns_rr_list* list : sections) {
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
      const Edit e = strip_record(ldns_rr_list_rr(list, i));
      if (e == Edit::Malformed) return std::nullopt;
      changed |= e == Edit::Changed;
    }
  }
  if (!changed) return std::nullopt;
  std::vector<std::uint8_t> out = detail::encode(pkt.get());
  if (out.empty() || out.size() > message.size()) return std::nullopt;
  return out;
}

}  // namespace nfegress::enforcer::dns
