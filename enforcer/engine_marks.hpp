// enforcer/engine_marks.hpp — layer: pure decision (part of Engine, engine.hpp). The verdicts and marks every
// part of the engine gives a packet: nfegress's mark bits, the SYN-ACK anchor's mark, a decided flow's verdict.
// Must not: touch a socket, read a clock.
#pragma once
#include <cstdint>
#include <optional>

#include "enforcer/engine.hpp"

namespace nfegress::enforcer::engine_marks {

using nfq::Verdict;

inline std::uint32_t with_mark(std::uint32_t old, std::uint32_t mask, std::uint32_t value) {
  return (old & ~mask) | value;
}
// An accepted packet leaves with nfegress's bits of its mark cleared: with the SYN-ACK anchor the kernel queues the
// packet at a flow's start with the bits ALLOW (the anchor), which must not reach other tables or the routing.
inline std::optional<std::uint32_t> unmarked(std::uint32_t old, const policy::KernelOptions& ko) {
  if ((old & ko.mark_mask()) == 0) return std::nullopt;
  return old & ~ko.mark_mask();
}
// The kernel queued this packet at exactly the stream's start the server's SYN-ACK recorded (SYN-ACK anchor: the
// inspect_data chain sets nfegress's bits to ALLOW there and clears them on every other queued packet).
inline bool at_anchor(std::uint32_t mark, const policy::KernelOptions& ko) {
  return (mark & ko.mark_mask()) == ko.mark_allow();
}
// A decided flow's packet. Allow: NF_ACCEPT, with (when `mark_ct`) the ctnetlink update that sets the conntrack
// mark ALLOW right after it, so the rest of the connection is accepted by the output chain's first rules. No
// packet mark: a process with CAP_NET_RAW can forge one (SO_MARK), so the ruleset no longer takes ALLOW from a packet mark.
// Deny: NF_REPEAT with the DENY packet mark; the output chain copies it into the conntrack mark and resets (a
// forged DENY only denies its sender).
inline VerdictOut decided(std::uint16_t queue, std::uint32_t id, std::uint32_t old_mark, bool allow, const FlowKey& k,
                          const policy::KernelOptions& ko, bool mark_ct) {
  if (!allow) return {queue, id, Verdict::Repeat, with_mark(old_mark, ko.mark_mask(), ko.mark_deny()), std::nullopt};
  VerdictOut v{queue, id, Verdict::Accept, unmarked(old_mark, ko), std::nullopt};
  if (mark_ct) v.ct = CtMarkSet{k, ko.mark_mask(), ko.mark_allow()};
  return v;
}

}  // namespace nfegress::enforcer::engine_marks
