// enforcer/reply_socket.hpp — layer: kernel glue (thin). Header-included raw sockets (AF_INET and AF_INET6,
// SOCK_RAW + IPPROTO_RAW) in the enforcer's network namespace that send the forged `403 traffic not allowed`
// segments (forged_reply.hpp). Each is opened once, at start; a family whose socket cannot be opened (no
// CAP_NET_RAW: EPERM; IPv6 off: EAFNOSUPPORT) sends nothing, so its clients get the reset alone. The segment goes
// to a local address: through OUTPUT (oif lo, accepted first by the kernel contract) straight to the client's socket.
// Issue 19 sends two more kinds through the same sockets: pure ACKs (or RST) toward a client whose segments the
// engine parked, and the parked copies of an allowed flow toward the server (they take the output chain like any
// packet and are queued again: the engine matches them to what it read before they leave).
// Must not: build or decide anything (forged_reply.cpp, engine.cpp), throw.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "enforcer/forged_reply.hpp"

namespace nfegress::enforcer {

class ReplySocket {
 public:
  ReplySocket();  // opens both families; failures are kept for status()
  ReplySocket(const ReplySocket&) = delete;
  ReplySocket& operator=(const ReplySocket&) = delete;
  ~ReplySocket();

  // Builds and sends the segment of `r`; false when the family has no socket or sendto failed.
  bool send(const ForgedReply& r);
  // Issue 19: sends a whole IP packet the engine built or parked (engine_park.cpp) to the destination address in
  // its own header; false when it is not IPv4/IPv6, its family has no socket, or sendto failed.
  bool send_packet(std::span<const std::uint8_t> l3);
  // For the start-up log line: "on", "off (socket(AF_INET, SOCK_RAW, IPPROTO_RAW): Operation not permitted)", or
  // "on for IPv4 only (...)".
  std::string status() const;
  bool any() const { return fd4_ >= 0 || fd6_ >= 0; }
  bool has(bool v6) const { return (v6 ? fd6_ : fd4_) >= 0; }

 private:
  int fd4_ = -1, fd6_ = -1;
  std::string err4_, err6_;
};

}  // namespace nfegress::enforcer
