// tests/enforcer/kernel_packet.hpp — test helper: an NFQUEUE packet message laid out as the kernel builds it
// (nfq_msg_test parses it; queue_socket_kernel_test sends it from a userspace socket, as a forger would).
#pragma once
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace nfegress::test {

inline std::vector<std::uint8_t> kernel_packet(std::uint16_t queue, std::uint32_t id,
                                               const std::vector<std::uint8_t>& payload,
                                               std::optional<std::uint32_t> mark = std::nullopt,
                                               std::optional<std::uint32_t> cap_len = std::nullopt) {
  std::vector<std::uint8_t> buf(MNL_SOCKET_BUFFER_SIZE + payload.size());
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->res_id = htons(queue);
  nfqnl_msg_packet_hdr ph{};
  ph.packet_id = htonl(id);
  ph.hw_protocol = htons(0x0800);
  ph.hook = 3;
  mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
  if (mark) mnl_attr_put_u32(nlh, NFQA_MARK, htonl(*mark));
  mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(NFQA_SKB_GSO));
  if (cap_len) mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(*cap_len));
  mnl_attr_put(nlh, NFQA_PAYLOAD, payload.size(), payload.data());
  buf.resize(nlh->nlmsg_len);
  return buf;
}

}  // namespace nfegress::test
