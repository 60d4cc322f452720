// enforcer/nfq_msg.hpp — layer: pure codec. Builds NFQUEUE (nfnetlink_queue) config and verdict messages into
// byte buffers and parses packet messages the kernel sends into plain values. No sockets, no clock, no policy:
// queue_runtime.cpp sends and receives the bytes; tests build and parse without root.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nfegress::enforcer::nfq {

// Kernel verdict codes (linux/netfilter.h): NF_DROP 0, NF_ACCEPT 1, NF_REPEAT 4.
enum class Verdict : std::uint32_t { Drop = 0, Accept = 1, Repeat = 4 };

struct QueueConfig {
  std::uint16_t queue = 0;
  std::uint32_t copy_range = 0xffff;  // the kernel caps it at 65531 (16-bit nla_len)
  std::uint32_t maxlen = 4096;        // packets waiting in the kernel for a verdict (default 1024)
  bool fail_open = false;             // NFQA_CFG_F_FAIL_OPEN: accept instead of drop when the queue is full
  bool gso = true;                    // NFQA_CFG_F_GSO: take GSO packets whole (up to 64 KB) unsegmented
  bool conntrack = false;             // NFQA_CFG_F_CONNTRACK: NFQA_CT in each packet (not needed: the enforcer
                                      // sets an allowed flow's ct mark through ctnetlink); cleared explicitly
};

// One nlmsg per call, appended to `out` (several can go out in one send). `seq` fills nlmsg_seq.
void append_bind(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint32_t seq);
void append_unbind(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint32_t seq);
// Copy mode PACKET with copy_range, NFQA_CFG_QUEUE_MAXLEN, and NFQA_CFG_FLAGS with NFQA_CFG_MASK covering every
// flag we set or clear (without the mask the kernel rejects flags with EINVAL).
void append_params(std::vector<std::uint8_t>& out, const QueueConfig& cfg, std::uint32_t seq);
// NFQNL_MSG_VERDICT for one packet id, with NFQA_MARK when `mark` is set, and NFQA_PAYLOAD (the packet's new
// bytes, at most 65531) when `payload` is not empty.
void append_verdict(std::vector<std::uint8_t>& out, std::uint16_t queue, std::uint32_t id, Verdict v,
                    std::optional<std::uint32_t> mark, std::uint32_t seq, std::span<const std::uint8_t> payload = {});

// A packet message, decoded. `payload` points into the receive buffer (valid while that buffer lives).
struct PacketMsg {
  std::uint16_t queue = 0;
  std::uint32_t id = 0;
  std::uint16_t hw_protocol = 0;  // ETH_P_IP / ETH_P_IPV6 (host order)
  std::uint8_t hook = 0;
  std::optional<std::uint32_t> mark;
  std::optional<std::uint32_t> uid;
  std::uint32_t skb_info = 0;  // NFQA_SKB_GSO, NFQA_SKB_CSUMNOTREADY ...
  std::uint32_t cap_len = 0;   // original length when truncated (NFQA_CAP_LEN), else payload size
  bool truncated = false;
  std::span<const std::uint8_t> payload;
};

// What one netlink message in a receive buffer is.
struct Message {
  enum class Kind { Packet, Ack, Error, Other, Malformed } kind = Kind::Other;
  PacketMsg packet;   // Kind::Packet
  int error = 0;      // Kind::Error: positive errno from NLMSG_ERROR
  std::uint32_t seq = 0;
  std::string what;   // Kind::Malformed: why
};

// Splits a datagram into its netlink messages and decodes each. Never reads past `buf`.
std::vector<Message> parse_datagram(std::span<const std::uint8_t> buf);
// The same into `out` (cleared first): a reader keeps one vector for every datagram, no allocation per packet.
void parse_datagram(std::span<const std::uint8_t> buf, std::vector<Message>& out);

}  // namespace nfegress::enforcer::nfq
