// netfilter/anchor_choice.hpp — layer: pure decision + one thin probe. Whether the ruleset anchors each inspected
// flow's start at the server's SYN-ACK (KernelOptions::syn_ack_anchor, docs/architecture.md "The SYN-ACK anchor"):
// decided once by every command that programs or shows the kernel contract (init, enforce, node, gateway, export,
// status). Older kernels (no `ct id`, Linux < 5.3) get the handshake's ACK queued as before, with a warning; they
// never fail. Must not: print, parse options.
#pragma once
#include <string>

#include "netfilter/writer.hpp"

namespace nfegress::netfilter {

struct AnchorChoice {
  bool on = false;
  bool warn = false;  // the line is a warning: wanted, but the kernel refused it
  std::string line;   // "SYN-ACK anchor: on (probed)" ... (no "nfegress: " prefix)
  // The line as every command logs it: "nfegress: [warning: ]LINE\n".
  std::string log_line() const { return std::string("nfegress: ") + (warn ? "warning: " : "") + line + "\n"; }
};

// Pure: `off` (--syn-ack-anchor off) -> off; else on unless the probe refused it (`refused`: the kernel's error);
// `probed` false: no socket to probe with (export without privileges): shown as a kernel that has it.
AnchorChoice decide_anchor(bool off, bool probed, const KernelError* refused);

// Thin: decide_anchor, probing through `writer` (nullptr: not probed).
AnchorChoice choose_anchor(bool off, Writer* writer);

}  // namespace nfegress::netfilter
