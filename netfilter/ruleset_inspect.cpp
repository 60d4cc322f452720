// netfilter/ruleset_inspect.cpp — layer: pure rendering. The inspect chain (what reaches the enforcer's queue) and
// the SYN-ACK anchor's set, chains and rule (ruleset.hpp, "The SYN-ACK anchor"; docs/architecture.md "Kernel
// contract"). Must not: decide policy, touch a socket.
#include <algorithm>

#include "netfilter/ruleset.hpp"
#include "netfilter/ruleset_parts.hpp"

namespace nfegress::netfilter {
namespace {

using MK = Match::Kind;
using AK = Action::Kind;

// TCP flag bits (RFC 9293 header byte 13).
constexpr std::uint32_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

Action queue_action(const policy::KernelOptions& k, QueueImpl q) {
  Action a = act(AK::Queue);
  a.queue_num = k.queue_num;
  a.queue_total = std::max<std::uint16_t>(1, k.queue_total);
  a.bypass = k.fail_open;
  a.queue_impl = q;
  return a;
}

Action marks(AK kind, std::uint32_t mask, std::uint32_t value) {
  Action a = act(kind);
  a.mask = mask;
  a.value = value;
  return a;
}

const char* queue_comment(QueueImpl q) {
  return q == QueueImpl::Native ? "to the enforcer (nft queue)" : "to the enforcer (xt NFQUEUE rev 3 via nft_compat)";
}

}  // namespace

Chain inspect_chain(const policy::KernelOptions& k, QueueImpl q) {
  Chain c{"inspect", false, {}, {}};
  const Action a = queue_action(k, q);
  const bool anchor = k.syn_ack_anchor;
  // With the anchor on, every queued packet carries the mark bits ALLOW exactly when it starts the anchored stream
  // (inspect_data), none otherwise: a mark the sender set itself (SO_MARK, CAP_NET_RAW) is overwritten.
  const Action clear = marks(AK::MetaMarkSet, k.mark_mask(), 0);
  // TCP Fast Open (or any SYN with data): the bytes in the SYN reach the server with the handshake, so such a
  // SYN is held like any first data. Matched on the payload itself, not on the TFO option (kind 34, or the
  // experimental 254): a server with TFO_SERVER_COOKIE_NOT_REQD takes data in a SYN that carries no option.
  // One rule per TCP header length (data offset 5..15 words): "a byte right after the header" is a transport
  // header load at that offset, which every nf_tables kernel has (the inner-header base @ih would say it in one
  // rule but only exists since Linux 5.16, and a kernel without it refuses the whole table).
  for (std::uint32_t doff = kTcpDoffMin; doff <= kTcpDoffMax; ++doff) {
    std::vector<Action> acts;
    if (anchor) acts.push_back(clear);
    acts.push_back(a);
    c.rules.push_back(rule({match(MK::TcpSyn), match(MK::TcpDoff, 0, doff), match(MK::ThByte, 0, 4 * doff)},
                           std::move(acts), "data in the SYN (TCP Fast Open)"));
  }
  if (!anchor) {
    c.rules.push_back(rule({match(MK::TcpSyn)}, {verdict(accept())}, "the handshake is not delayed"));
    c.rules.push_back(rule({}, {a}, queue_comment(q)));
    return c;
  }
  // The SYN marks its flow PENDING: the server's SYN-ACK then records where the client's stream starts.
  c.rules.push_back(rule({match(MK::TcpSyn)},
                         {marks(AK::CtMarkSet, k.mark_mask(), k.mark_pending()), verdict(accept())},
                         "the handshake is not delayed; SYN-ACK anchor pending"));
  for (std::uint32_t doff = kTcpDoffMin; doff <= kTcpDoffMax; ++doff)
    c.rules.push_back(rule({match(MK::L4Tcp), match(MK::TcpDoff, 0, doff), match(MK::ThByte, 0, 4 * doff)},
                           {verdict(go(kInspectDataChain))}, "a segment with payload"));
  // Payload-free segments of a flow whose start the kernel anchors (the handshake's ACK, ACKs of the server's data,
  // window updates) carry no bytes for the enforcer to judge. A FIN or RST still goes to it (it ends the flow).
  c.rules.push_back(rule({match(MK::CtMark, k.mark_mask(), k.mark_pending()), match(MK::TcpFlags, kFin | kRst, 0)},
                         {verdict(accept())}, "no payload, SYN-ACK anchored: stays in the kernel"));
  c.rules.push_back(rule({}, {clear, a}, std::string(queue_comment(q)) + "; no anchor"));
  return c;
}

Chain inspect_data_chain(const policy::KernelOptions& k, QueueImpl q) {
  Chain c{kInspectDataChain, false, {}, {}};
  const Action a = queue_action(k, q);
  c.rules.push_back(rule({in_set(MK::CtIdSeqIn, kAnchorSet)},
                         {marks(AK::MetaMarkSet, k.mark_mask(), k.mark_allow()), a},
                         "the first byte of the client's stream, as the server's SYN-ACK said: mark ALLOW"));
  c.rules.push_back(rule({}, {marks(AK::MetaMarkSet, k.mark_mask(), 0), a}, "data elsewhere: no mark"));
  return c;
}

Set anchor_set() {
  Set s{kAnchorSet, KeyType::CtIdSeq, false, false, {}, {}};
  s.size = kAnchorSetSize;
  s.dynamic = true;
  s.timeout = kAnchorTimeout;
  return s;
}

Rule anchor_rule(const policy::KernelOptions& k) {
  Action add = act(AK::AddCtIdAckseq);
  add.set = kAnchorSet;
  return rule({match(MK::TcpFlags, kSyn | kAck, kSyn | kAck), match(MK::CtDirectionReply),
               match(MK::CtMark, k.mark_mask(), k.mark_pending())},
              {add}, "the server's SYN-ACK: where the client's stream starts");
}

// Pod mode: the SYN-ACK arrives on the input hook. A raw socket (CAP_NET_RAW) can loop a forged SYN-ACK through
// lo, which conntrack would take as the reply: nothing from lo anchors anything.
Chain anchor_chain(const policy::KernelOptions& k) {
  Chain c{kAnchorChain, true, {}, {}, Chain::Hook::Input};
  c.rules.push_back(rule({match(MK::IifLoopback)}, {verdict(accept())}, "loopback anchors nothing"));
  c.rules.push_back(anchor_rule(k));
  return c;
}

}  // namespace nfegress::netfilter
