// enforcer/forged_reply.hpp — layer: pure packet building. The bytes of the one server->client TCP segment the
// enforcer sends in the server's name when it denies an HTTP/1.x request: an `HTTP/1.1 403` response with the body
// "traffic not allowed", PSH and FIN set, sequence number = the client's acknowledgement (the server's next byte),
// acknowledgement = the end of the client's held bytes. IPv4 or IPv6 with both checksums filled in, no options,
// ready for a header-included raw socket. Must not: open a socket, decide whether a 403 is safe (engine.cpp).
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "enforcer/flow.hpp"

namespace nfegress::enforcer {

// What a denied HTTP/1.x client reads (Linkerd's wording); `connection: close`, as the FIN that follows it.
inline constexpr std::string_view kHttpDenyResponse =
    "HTTP/1.1 403 Forbidden\r\n"
    "content-type: text/plain\r\n"
    "content-length: 20\r\n"
    "connection: close\r\n"
    "\r\n"
    "traffic not allowed\n";

struct ForgedReply {
  FlowKey flow;            // the client's flow as queued: src = client, dst = server
  std::uint32_t seq = 0;   // the client's last acknowledgement: the server's next sequence number
  std::uint32_t ack = 0;   // the end of the client's held bytes (their last sequence number + 1)
  // 0: a client still sending a request body should stop (every further segment of it meets the ct mark DENY
  // and is reset at exactly the client's rcv_nxt, which a client still writing may see before it reads the 403).
  std::uint16_t window = 0;
};

// The whole IP packet (header included) for `r`: src = r.flow.dst:dport, dst = r.flow.src:sport, flags
// ACK|PSH|FIN, payload kHttpDenyResponse. The two addresses of r.flow have the same family.
std::vector<std::uint8_t> build_forged_reply(const ForgedReply& r);
// The same segment with other flags and payload (issue 19: a pure ACK of parked bytes, or RST|ACK).
std::vector<std::uint8_t> build_forged_segment(const ForgedReply& r, std::uint8_t flags, std::string_view payload);

// The Internet checksum (RFC 1071) of `bytes`, starting from the partial sum `sum` (e.g. a pseudo header's).
std::uint16_t internet_checksum(const std::uint8_t* bytes, std::size_t len, std::uint32_t sum = 0);

}  // namespace nfegress::enforcer
