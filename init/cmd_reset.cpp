// init/cmd_reset.cpp — layer: command line. `nfegress reset [--table T]`: remove nfegress's tables (inet and the
// netdev egress guard) from the current network namespace in one transaction (create-if-missing + delete, so an absent table is not an error). Never
// touches any other table. Exit 0 removed or absent, 1 kernel error, 2 usage. No netlink here (netfilter/).
#include <iostream>

#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/program.hpp"
#include "netfilter/batch.hpp"

namespace nfegress::cli {

int cmd_reset(int argc, char** argv) {
  const char* usage =
      "usage: nfegress reset [--table NAME]\n"
      "Removes table inet NAME (default nfegress) and the egress guard table netdev NAME from the current network\n"
      "namespace, in one transaction; other tables are never touched. Exit status: 0 removed or absent, 1 kernel error, 2 usage error.";
  CommonOptions o;
  po::options_description d("reset options");
  po::positional_options_description pos;
  d.add_options()("table", po::value(&o.kernel.table)->default_value("nfegress"), "name of nfegress's inet table");
  bool help = false;
  if (!parse(argc, argv, usage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  auto w = open_writer("reset", std::cerr);
  if (!w) return 1;
  netfilter::KernelError e;
  const bool inet = w->table_exists(o.kernel.table, e);
  const bool guard = !e.err && w->table_exists(o.kernel.table, e, NFPROTO_NETDEV);  // the egress guard
  const bool existed = inet || guard;
  if (e.err) {
    std::cerr << "nfegress reset: " << e.format() << "\n";
    return 1;
  }
  // The netdev message only when that table exists: a kernel without the netdev family refuses any.
  if (auto err = w->send(netfilter::delete_batch(o.kernel.table, w->next_seq(), guard))) {
    std::cerr << "nfegress reset: " << err->format() << "\n";
    return 1;
  }
  std::cout << "nfegress reset: table inet " << o.kernel.table << " and table netdev " << o.kernel.table
            << (existed ? " removed" : " was not present") << "\n";
  return 0;
}

}  // namespace nfegress::cli
