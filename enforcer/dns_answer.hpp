// enforcer/dns_answer.hpp — layer: pure parsers (DNS over libldns, issue 17: names bound to addresses).
// Reads the A/AAAA answers of the namespace's resolvers (which name resolved to which addresses, for how long),
// builds the enforcer's own queries (resolve on a miss), splits TCP DNS streams and removes the `ech` SvcParam from
// HTTPS/SVCB answers (`--strip-ech`). The DNS wire format is decoded by ldns (compression, bounds, pointer loops),
// never by hand here. Must not: throw, crash or read past the span on any bytes, log, read a clock, touch a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/ip.hpp"

namespace nfegress::enforcer::dns {

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeCname = 5;
inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kTypeSvcb = 64;
inline constexpr std::uint16_t kTypeHttps = 65;
inline constexpr std::uint16_t kSvcParamMandatory = 0;
inline constexpr std::uint16_t kSvcParamEch = 5;
// Names followed from the question name: the question plus at most 7 CNAME targets (resolvers give up on longer
// chains too: Unbound stops at 11 restarts, and a longer chain gains nothing but work for the enforcer).
inline constexpr std::size_t kMaxChain = 8;

struct Answer {
  std::vector<std::string> names;     // the question name, then each CNAME target followed from it, in order;
                                      // lowercased, no trailing dot
  std::vector<policy::IpAddr> addrs;  // A/AAAA records owned by the last name of the chain (deduplicated)
  std::uint32_t ttl = 0;              // smallest TTL over the CNAME and address records used
  std::uint16_t id = 0;               // the message id
  std::uint16_t qtype = 0;
  std::uint8_t rcode = 0;
};

struct Parsed {
  std::optional<Answer> answer;
  std::string error;  // non-empty: malformed, or not an answer (says which)
};

// One DNS message (a UDP payload, or one TCP message without its 2-byte length). Only a response (QR=1, opcode
// QUERY) with exactly one question of class IN whose name is a host name is an answer. Only answer-section records
// whose owner is on the chain from the question name are used: an unrelated A record in the answer or additional
// section never binds anything (a resolver's answer for evil.example must not bind allowed.example). A CNAME loop
// or a chain longer than kMaxChain stops the chain where it is. An answer without addresses (NXDOMAIN, NODATA) is
// still an answer, with empty addrs.
Parsed parse_answer(std::span<const std::uint8_t> message);

// A recursive query (RD=1) for `name` (A = 1 or AAAA = 28) with id `id`, wire format, built with ldns. Empty when
// the name is not a valid DNS name.
std::vector<std::uint8_t> build_query(std::string_view name, std::uint16_t qtype, std::uint16_t id);

// TCP DNS (RFC 1035 4.2.2, RFC 7766): the messages a segment's payload holds when it starts on a message boundary
// (each behind its 2-byte length). `incomplete` is set when the payload ends inside a message (or its length), so
// the caller can count it. The spans point into `payload`.
std::vector<std::span<const std::uint8_t>> split_tcp_messages(std::span<const std::uint8_t> payload, bool& incomplete);

// `--strip-ech`: a copy of a response with the `ech` SvcParam (key 5) removed from every HTTPS (65) / SVCB (64)
// record of every section (and 5 removed from a `mandatory` list; a list left empty is removed), so clients connect
// with a plain SNI. nullopt when there is nothing to strip, or the message cannot be parsed or rewritten, or the
// rewritten message would be longer than the original (a UDP answer must not outgrow the client's buffer). The
// copy is re-encoded by ldns (same id, flags, records and EDNS; name compression may differ). RRSIGs over the
// changed records no longer validate: a validating stub then rejects the answer (documented with the option).
std::optional<std::vector<std::uint8_t>> strip_ech(std::span<const std::uint8_t> message);

}  // namespace nfegress::enforcer::dns
