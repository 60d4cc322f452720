// enforcer/ct_msg.hpp — layer: pure codec. Builds the ctnetlink (nf_conntrack_netlink) message that sets
// nfegress's bits of one TCP connection's conntrack mark. The enforcer allows a flow this way, not with a packet
// mark: a packet mark can be forged by any process holding CAP_NET_RAW (SO_MARK, or the SO_MARK control message),
// while only CAP_NET_ADMIN in the namespace can talk to ctnetlink. No sockets, no clock: queue_socket.cpp sends
// the bytes in the same sendmsg as the verdicts, before them, so the mark is set before the packets are accepted.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "policy/ip.hpp"

namespace nfegress::enforcer::ct {

// One TCP connection as the client's packets carry it (original direction; the kernel's lookup by tuple finds
// the entry from either direction).
struct TcpTuple {
  policy::IpAddr src, dst;
  std::uint16_t sport = 0, dport = 0;
};

// IPCTNL_MSG_CT_NEW without NLM_F_CREATE: an update of the existing entry (ENOENT when there is none, e.g. a
// TCP Fast Open SYN whose entry is not confirmed yet). CTA_MARK = value, CTA_MARK_MASK = mask: the kernel keeps
// every other bit of the mark ((mark & ~mask) ^ value). No NLM_F_ACK: the kernel answers failures only.
void append_set_mark(std::vector<std::uint8_t>& out, const TcpTuple& t, std::uint32_t mask, std::uint32_t value,
                     std::uint32_t seq);

// IPCTNL_MSG_CT_GET of a tuple no connection has, with NLM_F_ACK: ENOENT means ctnetlink is there and answers;
// any other error (EOPNOTSUPP, EPERM...) means the enforcer cannot set conntrack marks (start-up probe).
void append_probe(std::vector<std::uint8_t>& out, std::uint32_t seq);

// What a set-mark message says (for tests and diagnostics): false when `msg` is not one.
struct Decoded {
  TcpTuple tuple;
  std::uint32_t mask = 0, value = 0;
  std::uint16_t flags = 0;
};
bool decode_set_mark(std::span<const std::uint8_t> msg, Decoded& out);

}  // namespace nfegress::enforcer::ct
