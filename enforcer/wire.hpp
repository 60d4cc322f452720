// enforcer/wire.hpp — layer: pure. The bytes an allowed packet leaves with. A queued packet's pages may belong to
// the sending process (MSG_ZEROCOPY) or to the page cache (sendfile()): the enforcer reads a copy when the packet
// is queued, but the kernel reads the pages again when it transmits, so a process could rewrite an allowed first
// flight between the two (no privilege needed; tests/attack/toctou.sh). Every packet the enforcer accepts after
// reading it therefore goes back with the bytes it read (NFQA_PAYLOAD in the verdict): the kernel copies them into
// the packet, which no longer refers to those pages. Must not: allocate beyond the one copy, read past `l3`.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "enforcer/packet.hpp"

namespace nfegress::enforcer {

// A copy of the decoded TCP packet `l3` with a complete TCP checksum. The kernel marks the packet's checksum
// "none" when it takes new bytes, while a locally sent TCP packet carries only the pseudo-header sum (the
// device finishes it): so the copy's checksum is computed here (a GSO packet's is recomputed by the kernel when
// it segments it). Empty when `p` is not TCP or its offsets do not fit `l3`.
std::vector<std::uint8_t> wire_copy(std::span<const std::uint8_t> l3, const Packet& p);

// `l3` (a decoded UDP datagram) with its payload replaced by `payload`: IP and UDP lengths, the IPv4 header
// checksum and the UDP checksum made right (the kernel verifies a mangled packet's checksum in software). Empty
// when `p` is not UDP or the result would not fit 64 KB. For --strip-ech (DNS answers rewritten on the way in).
std::vector<std::uint8_t> udp_with_payload(std::span<const std::uint8_t> l3, const Packet& p,
                                           std::span<const std::uint8_t> payload);

// Issue 19: `a` (a wire copy, as above) grown by the payload of the TCP segment `b` that follows it in sequence
// space (same addresses and ports; b's first byte is a's end): IP length, IPv4 header checksum and TCP checksum
// made right, PSH kept if either had it; a's header (flags, options, timestamps) stays. The stream's bytes are
// those of the two segments, unchanged. False (a untouched) when they do not follow each other, either is not a
// plain data segment (SYN, FIN, RST, URG) or the result would pass `max_size` bytes.
bool append_segment(std::vector<std::uint8_t>& a, std::span<const std::uint8_t> b, std::size_t max_size);
// Issue 19: the wire copy of a GSO packet (larger than the path MTU until the kernel segments it) cut into
// segments of at most `max_size` bytes, each with the whole header (options included), its own sequence number,
// PSH on the last only, lengths and checksums made right; their payloads in order are the packet's. Empty when it
// is not a plain data segment or its header alone reaches `max_size`.
std::vector<std::vector<std::uint8_t>> split_segment(std::span<const std::uint8_t> wire, std::size_t max_size);

// The Internet checksum of a TCP segment in `l3` (as transmitted: with its checksum field), 0 when it verifies.
std::uint16_t tcp_checksum(std::span<const std::uint8_t> l3, const Packet& p);

}  // namespace nfegress::enforcer
