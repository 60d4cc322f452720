// netfilter/batch.hpp — layer: pure rendering. Ruleset -> one nftnl_batch (BATCH_BEGIN ... BATCH_END), built in
// memory with no socket, plus a record of which object every message (sequence number) carries so a kernel error
// can name it. Full replace, incremental update, delete, and the queue-implementation probe.
// Must not: send anything (writer.cpp does), decide policy.
#pragma once
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "netfilter/handles.hpp"
#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

struct Batch {
  BatchPtr buf;
  std::uint32_t first_seq = 0;  // seq of BATCH_BEGIN; object messages follow with consecutive seqs
  bool commit = true;           // false: no BATCH_END, the kernel validates every message and discards them
  std::vector<std::string> objects;  // objects[i] describes the message with seq first_seq + 1 + i
  std::size_t element_messages = 0;  // NEWSETELEM/DELSETELEM messages (large sets are split)

  std::size_t messages() const { return objects.size(); }  // object messages; each asks for an ACK
  std::uint32_t last_seq() const { return first_seq + static_cast<std::uint32_t>(objects.size()); }
  // "set dst4 elements 1200-2399 (EgressNetwork ...)" or "" when seq is not one of ours.
  std::string object(std::uint32_t seq) const;
  std::vector<iovec> iovecs() const;
  std::size_t bytes() const;
};

// Atomic replace in ONE transaction: NEWTABLE (create if missing, so the delete cannot fail), DELTABLE, NEWTABLE,
// sets, chains, rules, elements; then the same for table netdev (the egress guard, netfilter/guard.hpp) when the
// ruleset manages it. Re-running converges; there is never a moment without rules.
Batch replace_batch(const Ruleset& rs, std::uint32_t seq, bool commit = true);

// What update_batch changes (for logs and tests).
struct UpdateSummary {
  std::size_t sets_added = 0, sets_removed = 0, chains_added = 0, chains_removed = 0, chains_rewritten = 0;
  std::size_t elements_added = 0, elements_removed = 0;
  bool full_replace = false;  // table, queue implementation, or a set's type or size changed: replace_batch was used
  bool guard_replaced = false;  // the egress guard's table was rewritten (its interfaces or rules changed)
  bool empty() const {
    return !full_replace && !guard_replaced && !sets_added && !sets_removed && !chains_added && !chains_removed && !chains_rewritten &&
           !elements_added && !elements_removed;
  }
};

// Only the differences between what is programmed (`current`) and `desired`, in one transaction: new sets and
// chains, removed then added elements, rewritten (flushed + re-added) chains, removed chains, removed sets.
Batch update_batch(const Ruleset& current, const Ruleset& desired, std::uint32_t seq, bool commit = true,
                   UpdateSummary* summary = nullptr);

// `reset`: NEWTABLE (create if missing) + DELTABLE of table inet and (with `guard_table`) table netdev, the
// guard's, so removing an absent table is not an error. A kernel without the netdev family refuses any netdev
// message: `reset` leaves the guard's out when there is no such table.
Batch delete_batch(const std::string& table, std::uint32_t seq, bool guard_table = true);

// Check-only batch (no BATCH_END, nothing stays): a scratch table with one rule using the queue implementation.
// ENOENT / EOPNOTSUPP on the rule means the kernel lacks it.
Batch probe_batch(QueueImpl q, std::uint32_t seq, std::uint16_t family_override = 0);

// Check-only batch for the SYN-ACK anchor (KernelOptions::syn_ack_anchor): a scratch table with set `first` (a
// `ct id . tcp sequence` key, flags dynamic and timeout) and chain `anchor` on the input hook with the SYN-ACK rule
// (`ct direction`, `ct id`, the dynset add). A kernel without `ct id` (Linux < 5.3) or set timeouts refuses it.
Batch anchor_probe_batch(std::uint32_t seq);

}  // namespace nfegress::netfilter
