// enforcer/reply_socket.hpp — layer: kernel glue (thin). Header-included raw sockets (AF_INET and AF_INET6,
// SOCK_RAW + IPPROTO_RAW) in the enforcer's network namespace that send the forged `403 traffic not allowed`
// segments (forged_reply.hpp). Each is opened once, at start; a family whose socket cannot be opened (no
// CAP_NET_RAW: EPERM; IPv6 off: EAFNOSUPPORT) sends nothing, so its clients get the reset alone. The segment goes
// to a local address: through OUTPUT (oif lo, accepted first by the kernel contract) straight to the client's socket.
// Must not: build or decide anything (forged_reply.cpp, engine.cpp), throw.
#pragma once
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
  // For the start-up log line: "on", "off (socket(AF_INET, SOCK_RAW, IPPROTO_RAW): Operation not permitted)", or
  // "on for IPv4 only (...)".
  std::string status() const;
  bool any() const { return fd4_ >= 0 || fd6_ >= 0; }

 private:
  int fd4_ = -1, fd6_ = -1;
  std::string err4_, err6_;
};

}  // namespace nfegress::enforcer
