// netfilter/anchor_choice.cpp — layer: pure decision + one thin probe. See anchor_choice.hpp.
#include "netfilter/anchor_choice.hpp"

namespace nfegress::netfilter {

AnchorChoice decide_anchor(bool off, bool probed, const KernelError* refused) {
  if (off)
    return {false, false,
            "SYN-ACK anchor: off (--syn-ack-anchor off): the handshake's ACK is queued and sets each inspected "
            "stream's start"};
  if (!probed) return {true, false, "SYN-ACK anchor: on (not probed: shown as a kernel that has `ct id`)"};
  if (refused)
    return {false, true,
            "SYN-ACK anchor: off, this kernel refuses it (`ct id` and dynamic sets with timeouts: Linux 5.3+): " +
                refused->format() +
                "; the handshake's ACK is queued and sets each inspected stream's start, which a client with "
                "CAP_NET_RAW can forge (docs/security.md, \"gap\")"};
  return {true, false, "SYN-ACK anchor: on (probed): each inspected stream starts where the server's SYN-ACK says"};
}

AnchorChoice choose_anchor(bool off, Writer* writer) {
  if (off || !writer) return decide_anchor(off, writer != nullptr, nullptr);
  const auto err = writer->probe_anchor();
  return decide_anchor(false, true, err ? &*err : nullptr);
}

}  // namespace nfegress::netfilter
