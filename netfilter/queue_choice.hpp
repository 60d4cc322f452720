// netfilter/queue_choice.hpp — layer: pure decision + one thin probe. Which queue implementation the ruleset
// uses (the native nft `queue` expression or xt NFQUEUE through nft_compat), decided once for every command that
// programs or shows the kernel contract (init, enforce, export, status). Must not: print, parse options.
#pragma once
#include <optional>
#include <string>

#include "netfilter/ruleset.hpp"
#include "netfilter/writer.hpp"
#include "policy/plan.hpp"

namespace nfegress::netfilter {

// What the kernel said when probed: the implementation it takes (and the probe's own line saying why), or the
// error that stopped the probe. No probe at all (no socket) is a nullptr QueueProbe below.
struct QueueProbe {
  std::optional<QueueImpl> impl;
  std::string line;   // "queue: native nft queue expression (probed ...)"
  KernelError error;  // when impl is nullopt
};

struct QueueChoice {
  std::optional<QueueImpl> impl;  // nullopt: auto, and the probe failed or could not run
  std::string line;               // what was chosen and why, or the probe's error (no "nfegress: " prefix)
};

// --queue-impl native|compat needs no probe; auto does.
bool queue_needs_probe(policy::KernelOptions::Queue wanted);

// Pure: native|compat -> that one; auto -> what `probe` found (nullptr: not probed -> nullopt, empty line).
QueueChoice decide_queue(policy::KernelOptions::Queue wanted, const QueueProbe* probe);

// Thin: decide_queue, probing through `writer` only when --queue-impl is auto.
QueueChoice choose_queue(policy::KernelOptions::Queue wanted, Writer& writer);

// The line of a command that may run without privileges (export) and falls back to compat (what kernels without
// CONFIG_NFT_QUEUE need). `socket_error`: why the socket did not open; nullptr when it opened and the probe failed.
std::string queue_fallback_line(const KernelError* socket_error);

}  // namespace nfegress::netfilter
