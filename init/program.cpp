// init/program.cpp — layer: command line. See program.hpp.
#include "init/program.hpp"

#include <ostream>
#include <sstream>

#include "netfilter/anchor_choice.hpp"
#include "netfilter/guard.hpp"
#include "netfilter/queue_choice.hpp"
#include "policy/compile.hpp"

namespace nfegress::cli {

using netfilter::QueueImpl;

policy::Plan compile_input(const CommonOptions& o, const policy::LoadResult& input, std::ostream& log) {
  auto plan = policy::compile(input.resources, o.ns, o.compile, o.kernel);
  for (const auto& d : plan.diagnostics) log << d.format() << "\n";
  return plan;
}

std::optional<QueueImpl> choose_queue(const CommonOptions& o, netfilter::Writer& writer, std::ostream& log) {
  const auto c = netfilter::choose_queue(o.kernel.queue, writer);
  log << "nfegress: " << c.line << "\n";
  return c.impl;
}

QueueImpl choose_queue_offline(const CommonOptions& o, std::ostream& log) {
  if (!netfilter::queue_needs_probe(o.kernel.queue)) return *netfilter::decide_queue(o.kernel.queue, nullptr).impl;
  netfilter::KernelError err;
  auto w = netfilter::Writer::open(err);
  if (w)
    if (auto q = choose_queue(o, *w, log)) return *q;
  log << netfilter::queue_fallback_line(w ? nullptr : &err) << "\n";
  return QueueImpl::Compat;
}

GuardChoice choose_guard(const policy::KernelOptions& k, netfilter::Writer* writer, std::ostream& log) {
  GuardChoice g;
  // Off: a guard table left from before is removed in the transaction; with none there, no netdev message is sent
  // (a kernel without netdev tables would refuse even the removal).
  const auto nothing_to_remove = [&] {
    netfilter::KernelError err;
    g.no_table = writer && !writer->table_exists(k.table, err, NFPROTO_NETDEV) && err.err == 0;
  };
  if (!k.egress_guard) {
    g.off = "--no-egress-guard";
    log << "nfegress: egress guard: off (--no-egress-guard): frames from packet sockets (CAP_NET_RAW) are not "
           "checked\n";
    nothing_to_remove();
    return g;
  }
  g.devices = netfilter::list_guard_devices();
  if (g.devices.empty()) {
    g.off = "no interface but loopback";
    nothing_to_remove();
    return g;
  }
  if (!writer) return g;  // export without privileges: shown as init would program it on a kernel that has it
  if (auto err = writer->probe_guard(g.devices.front())) {
    const bool rule = err->object.find("rtclassid") != std::string::npos;
    const bool no_netdev = err->object.rfind("create table netdev", 0) == 0;  // no CONFIG_NF_TABLES_NETDEV
    g.no_table = no_netdev;  // then there is no guard table to remove either, and the kernel refuses the message
    g.off = no_netdev   ? "this kernel has no netdev tables (CONFIG_NF_TABLES_NETDEV)"
            : !rule     ? "this kernel has no netdev egress hook (Linux 5.16+ with CONFIG_NETFILTER_EGRESS)"
                        : "this kernel has no meta rtclassid (CONFIG_IP_ROUTE_CLASSID)";
    g.off += ": " + err->format();
    g.devices.clear();
    log << "nfegress: warning: egress guard: not programmed, " << g.off
        << "; continuing without it: frames from packet sockets (CAP_NET_RAW) are not checked\n";
  }
  return g;
}

bool choose_anchor(const policy::KernelOptions& k, netfilter::Writer* writer, std::ostream& log) {
  const auto c = netfilter::choose_anchor(k.anchor_off, writer);
  log << c.log_line();
  return c.on;
}

std::optional<netfilter::Writer> open_writer(const char* command, std::ostream& err) {
  netfilter::KernelError e;
  auto w = netfilter::Writer::open(e);
  if (!w) err << "nfegress " << command << ": " << e.format() << " (needs CAP_NET_ADMIN in this network namespace)\n";
  return w;
}

std::future<KernelSession> prepare_kernel(const CommonOptions& o, const char* command) {
  return std::async(std::launch::async, [&o, command] {
    KernelSession k;
    std::ostringstream log;
    k.writer = open_writer(command, log);
    if (k.writer) k.queue = choose_queue(o, *k.writer, log);
    if (k.writer && k.queue) k.guard = choose_guard(o.kernel, &*k.writer, log);
    if (k.writer && k.queue) k.anchor = choose_anchor(o.kernel, &*k.writer, log);
    k.log = log.str();
    return k;
  });
}

std::size_t element_count(const netfilter::Ruleset& rs) {
  std::size_t n = 0;
  for (const auto& s : rs.sets) n += s.elements.size();
  return n;
}

}  // namespace nfegress::cli
