// enforcer/dns_answer.cpp — layer: pure parsers. DNS answers read with ldns (ldns_wire2pkt checks every length,
// compression pointer and label; the owned handles are freed by their deleters on every path). Must not: throw,
// log, read a clock, touch a socket.
#include "enforcer/dns_answer.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>

#include "enforcer/dns_name.hpp"
#include "enforcer/dns_ldns.hpp"

namespace nfegress::enforcer::dns {
namespace {

using detail::CharPtr;
using detail::PktPtr;

// A DNAME rdf as a normalised host name (lowercased, no trailing dot); empty when it is not a host name (root,
// escaped bytes such as "\000" or "\.", too long).
std::string host_name(const ldns_rdf* dname) {
  if (dname == nullptr || ldns_rdf_get_type(dname) != LDNS_RDF_TYPE_DNAME) return {};
  const CharPtr text(ldns_rdf2str(dname));
  if (!text) return {};
  std::array<char, kMaxDnsName> out{};
  const std::size_t n = normalize_dns_name(text.get(), out.data(), out.size());
  return std::string(out.data(), n);
}

std::optional<policy::IpAddr> address_of(const ldns_rr* rr) {
  if (ldns_rr_rd_count(rr) != 1) return std::nullopt;
  const ldns_rdf* rd = ldns_rr_rdf(rr, 0);
  const std::uint8_t* d = ldns_rdf_data(rd);
  policy::IpAddr a;
  if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
    a.family = policy::Family::V4;
  } else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
    a.family = policy::Family::V6;
  } else {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < ldns_rdf_size(rd); ++i) a.value = (a.value << 8) | d[i];
  return a;
}

// The CNAME owned by `name` in the answer section (the first one: a name has at most one, RFC 2181 10.1).
// owners[i] is the answer record i's owner as a host name (converted once per message).
const ldns_rr* cname_of(const ldns_rr_list* answers, const std::vector<std::string>& owners, std::string_view name) {
  for (std::size_t i = 0; i < owners.size(); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answers, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
        ldns_rr_rd_count(rr) == 1 && owners[i] == name)
      return rr;
  }
  return nullptr;
}

Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }

}  // namespace

Parsed parse_answer(std::span<const std::uint8_t> message) {
  ldns_status st = LDNS_STATUS_OK;
  const PktPtr pkt = detail::decode(message, st);
  if (!pkt) return fail(std::string("malformed: ") + ldns_get_errorstr_by_id(st));
  if (!ldns_pkt_qr(pkt.get())) return fail("not a response (QR=0)");
  if (ldns_pkt_get_opcode(pkt.get()) != LDNS_PACKET_QUERY)
    return fail("opcode " + std::to_string(static_cast<int>(ldns_pkt_get_opcode(pkt.get()))) + " is not QUERY");
  const ldns_rr_list* question = ldns_pkt_question(pkt.get());
  if (ldns_rr_list_rr_count(question) != 1)
    return fail(std::to_string(ldns_rr_list_rr_count(question)) + " questions (an answer has exactly 1)");
  const ldns_rr* q = ldns_rr_list_rr(question, 0);
  if (ldns_rr_get_class(q) != LDNS_RR_CLASS_IN)
    return fail("question class " + std::to_string(static_cast<int>(ldns_rr_get_class(q))) + " is not IN");
  std::string qname = host_name(ldns_rr_owner(q));
  if (qname.empty()) return fail("question name is not a host name");

  Answer a;
  a.id = ldns_pkt_id(pkt.get());
  a.qtype = static_cast<std::uint16_t>(ldns_rr_get_type(q));
  a.rcode = static_cast<std::uint8_t>(ldns_pkt_get_rcode(pkt.get()));
  a.names.push_back(std::move(qname));
  bool have_ttl = false;
  const auto use_ttl = [&](const ldns_rr* rr) {
    a.ttl = have_ttl ? std::min(a.ttl, ldns_rr_ttl(rr)) : ldns_rr_ttl(rr);
    have_ttl = true;
  };

  const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
  std::vector<std::string> owners(ldns_rr_list_rr_count(answers));
  for (std::size_t i = 0; i < owners.size(); ++i) owners[i] = host_name(ldns_rr_owner(ldns_rr_list_rr(answers, i)));
  while (a.names.size() < kMaxChain) {
    const ldns_rr* cname = cname_of(answers, owners, a.names.back());
    if (cname == nullptr) break;
    std::string target = host_name(ldns_rr_rdf(cname, 0));
    // A loop (a -> b -> a) or a target that is not a host name ends the chain where it is.
    if (target.empty() || std::find(a.names.begin(), a.names.end(), target) != a.names.end()) break;
    use_ttl(cname);
    a.names.push_back(std::move(target));
  }
  for (std::size_t i = 0; i < owners.size(); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answers, i);
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || owners[i] != a.names.back()) continue;
    const auto addr = address_of(rr);
    if (!addr) continue;
    use_ttl(rr);
    if (std::find(a.addrs.begin(), a.addrs.end(), *addr) == a.addrs.end()) a.addrs.push_back(*addr);
  }
  return Parsed{std::move(a), {}};
}

std::vector<std::uint8_t> build_query(std::string_view name, std::uint16_t qtype, std::uint16_t id) {
  std::array<char, kMaxDnsName + 1> norm{};
  const std::size_t n = normalize_dns_name(name, norm.data(), kMaxDnsName);
  if (n == 0) return {};
  norm[n] = '\0';
  ldns_rdf* owner = ldns_dname_new_frm_str(norm.data());
  if (owner == nullptr) return {};
  // ldns_pkt_query_new takes the owner name (freed with the packet).
  const PktPtr pkt(ldns_pkt_query_new(owner, static_cast<ldns_rr_type>(qtype), LDNS_RR_CLASS_IN, LDNS_RD));
  if (!pkt) return {};
  ldns_pkt_set_id(pkt.get(), id);
  return detail::encode(pkt.get());
}

std::vector<std::span<const std::uint8_t>> split_tcp_messages(std::span<const std::uint8_t> payload,
                                                              bool& incomplete) {
  std::vector<std::span<const std::uint8_t>> out;
  incomplete = false;
  while (!payload.empty()) {
    if (payload.size() < 2) {
      incomplete = true;
      break;
    }
    const std::size_t len = std::size_t{payload[0]} << 8 | payload[1];
    if (payload.size() - 2 < len) {
      incomplete = true;
      break;
    }
    out.push_back(payload.subspan(2, len));
    payload = payload.subspan(2 + len);
  }
  return out;
}

}  // namespace nfegress::enforcer::dns
