// tests/enforcer/reload_netns_helper.cpp — test-only driver for tests/netns/reload_live.sh: the live-reload half
// of `nfegress enforce` without the queue. Programs the table of the current network namespace from PATHS, then
// reloads on SIGHUP and file changes (the production Reloader + ReloadWatch + WriterSink) until SIGTERM.
//   usage: reload_netns_helper NAMESPACE CLUSTER_NETWORKS PATH...
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>

#include "enforcer/reload.hpp"
#include "enforcer/reload_watch.hpp"
#include "policy/ip.hpp"

using namespace nfegress;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: reload_netns_helper NAMESPACE CLUSTER_NETWORKS PATH...\n";
    return 2;
  }
  std::vector<std::string> paths(argv + 3, argv + argc);
  enforcer::ReloadConfig cfg;
  cfg.client_ns = argv[1];
  cfg.compile.cluster_networks = {*policy::parse_prefix(argv[2])};
  cfg.load = [paths] { return policy::load_paths(paths); };

  netfilter::KernelError kerr;
  auto writer = netfilter::Writer::open(kerr);
  if (!writer) {
    std::cerr << "netlink: " << kerr.format() << "\n";
    return 1;
  }
  std::string probe_log;
  auto queue = writer->probe_queue(kerr, probe_log);
  if (!queue) {
    std::cerr << "queue probe: " << kerr.format() << "\n";
    return 1;
  }
  cfg.queue = *queue;
  std::cerr << probe_log << "\n";

  enforcer::Metrics metrics;
  enforcer::WriterSink sink(*writer);
  enforcer::Reloader reloader(cfg, sink, nullptr, &metrics, std::cerr);
  if (!reloader.reload("start").applied) return 1;

  boost::asio::io_context io;
  enforcer::ReloadWatch watch(io, paths, [&](const std::string& why) { reloader.reload(why); });
  std::string err;
  if (!watch.start(err)) {
    std::cerr << err << "\n";
    return 1;
  }
  boost::asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&](const boost::system::error_code&, int) {
    watch.stop();
    io.stop();
  });
  std::cerr << "ready\n";
  io.run();
  std::cerr << "reloads=" << metrics.reloads << " failures=" << metrics.reload_failures << "\n";
  return 0;
}
