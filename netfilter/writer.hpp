// netfilter/writer.hpp — layer: kernel glue (thin). A NETLINK_NETFILTER socket (libmnl) that sends one Batch in
// one sendmsg, reads EVERY acknowledgement and maps a failure to the object of its sequence number; the queue
// implementation probe; and the read-back of our table (for `status` and tests).
// Must not: decide policy, build rules (batch.cpp does), touch any table but the one it is given.
#pragma once
// glibc's <netinet/in.h> before any <linux/...> header: the other order redefines struct in_addr for every file
// that includes this one and then Boost.Asio or <netinet/in.h>.
#include <netinet/in.h>
#include <linux/netfilter.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "netfilter/batch.hpp"
#include "netfilter/canonical.hpp"
#include "netfilter/handles.hpp"
#include "netfilter/ruleset.hpp"

namespace nfegress::netfilter {

// A kernel or socket failure with its address: errno, the object of the failing message, the kernel's extended
// ack text when it sent one.
struct KernelError {
  int err = 0;
  std::string object;  // "rule 2 of chain inspect (...)", "socket", ...
  std::string detail;  // extended ack message, if any
  bool uncertain = false;  // the batch went out but its ACKs could not all be read: it may have been applied
  std::string format() const;
};

// One element of an audit set (ruleset.hpp, "Audit"): would-deny flows of one EgressNetwork to one port, as the
// kernel counted them (their first packets).
struct AuditCount {
  std::string network;  // "ns/name", from the set's comment
  std::string proto;    // "tcp" / "udp"
  std::uint16_t port = 0;
  std::uint64_t flows = 0;  // the element's packets: one per flow (ct state new), a retransmitted SYN included
  std::uint64_t bytes = 0;
  std::string plan;  // node mode: the plan whose set it is ("global", "ns_<namespace>"); "" in pod mode
  friend bool operator==(const AuditCount&, const AuditCount&) = default;
};

class Writer {
 public:
  // Opens and binds the socket (needs CAP_NET_ADMIN in the current network namespace).
  static std::optional<Writer> open(KernelError& err);

  // Sends the batch and reads every ACK. Check batches (commit = false) are validated and discarded by the kernel.
  std::optional<KernelError> send(const Batch& b);

  // Decides native `queue` vs xt NFQUEUE once, with check-only batches (nothing is left behind). `log` gets one
  // line saying what was chosen and why.
  std::optional<QueueImpl> probe_queue(KernelError& err, std::string& log);

  // Reads our table back. nullopt + err.err == ENOENT: the table does not exist.
  std::optional<Canonical> read_table(const std::string& table, KernelError& err);
  // The audit sets' elements with their counters (writer_audit.cpp), sorted by network, protocol and port. An
  // absent table reads as none.
  std::optional<std::vector<AuditCount>> read_audit(const std::string& table, KernelError& err);
  bool table_exists(const std::string& table, KernelError& err, std::uint16_t family = NFPROTO_INET);
  // The egress guard's table `netdev <table>`, as canonical "netdev ..." lines appended to `out` (none when it
  // does not exist). False + err on a kernel error.
  bool read_guard(const std::string& table, std::vector<std::string>& out, KernelError& err);
  // Whether this kernel takes the guard: a check-only batch with a chain on the egress hook of `device` and the
  // rtclassid rule (nothing stays). nullopt: it does; else the error (its object names what is missing).
  std::optional<KernelError> probe_guard(const std::string& device);
  // Whether this kernel takes the SYN-ACK anchor (anchor_probe_batch: a check-only batch, nothing stays). nullopt:
  // it does; else the error (its object names the set or rule it refused).
  std::optional<KernelError> probe_anchor();

  std::uint32_t next_seq() { return seq_; }
  void advance(const Batch& b) { seq_ = b.last_seq() + 2; }

 private:
  explicit Writer(SocketPtr s);
  std::optional<KernelError> dump(std::uint16_t type, const std::function<void(nlmsghdr*)>& build,
                                  const std::function<void(const nlmsghdr*)>& each, std::uint16_t family = NFPROTO_INET);
  // Every element message of set `set` (inet table `table`), parsed.
  std::optional<KernelError> dump_elements(const std::string& table, const std::string& set,
                                           const std::function<void(nftnl_set*)>& each);

  SocketPtr sock_;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 1;
};

}  // namespace nfegress::netfilter
