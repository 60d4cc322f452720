// init/cmd_export.cpp — layer: command line. `nfegress export PATHS... --namespace NS --format nft|json`: the
// complete ruleset `init` would program, rendered from the same Ruleset value (netfilter/render.hpp), for auditors.
// Exit 0 on success, 1 when the manifests are invalid, 2 on a usage error. No policy logic here.
#include <iostream>

#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/program.hpp"
#include "init/source.hpp"
#include "netfilter/render.hpp"

namespace nfegress::cli {
namespace {
const char* kUsage =
    "usage: nfegress export PATHS... --namespace NS [--format nft|json] [--checkable] [compile and kernel options]\n"
    "Prints the complete nftables ruleset `nfegress init` programs for the client namespace NS: the table, its\n"
    "sets and verdict maps with every element, chains and rules, each commented with the EgressNetwork or route it\n"
    "comes from, and the egress guard table netdev TABLE on the interfaces of the current network namespace (a\n"
    "comment says so when it is off, and why). --format nft is `nft -f` syntax, --format json the `nft -j` schema\n"
    "(as `nft -j list table` prints).\n"
    "The queue implementation is probed in this kernel when possible (--queue-impl to choose).\n"
    "--checkable leaves out the xt NFQUEUE rule nft cannot parse, so `nft -c -f` can validate the rest.\n"
    "Exit status: 0 printed, 1 invalid manifests, 2 usage error.";
}  // namespace

int cmd_export(int argc, char** argv) {
  CommonOptions o;
  std::string format = "nft";
  bool checkable = false;
  po::options_description d("export options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_compile_options(d, o);
  add_kernel_options(d, o);
  d.add_options()("format,f", po::value(&format)->default_value("nft"), "nft|json")(
      "checkable", po::bool_switch(&checkable), "omit what nft itself cannot parse (the xt NFQUEUE rule)");
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (format != "nft" && format != "json") {
    std::cerr << "nfegress export: --format must be nft or json\n";
    return 2;
  }
  if (!require_namespace(o, "export", std::cerr)) return 2;
  const auto input = load_valid(o, "export", std::cerr);
  if (!input) return o.paths.empty() ? 2 : 1;
  auto plan = compile_input(o, *input, std::cerr);
  const auto queue = choose_queue_offline(o, std::cerr);
  {  // the egress guard as init would program it here: this namespace's interfaces, probed when possible
    netfilter::KernelError err;
    auto w = netfilter::Writer::open(err);
    choose_guard(o.kernel, w ? &*w : nullptr, std::cerr).apply(plan.kernel);
    plan.kernel.syn_ack_anchor = choose_anchor(o.kernel, w ? &*w : nullptr, std::cerr);
  }
  const auto rs = netfilter::build_ruleset(plan, queue);
  const netfilter::RenderOptions ro{.checkable = checkable};
  if (format == "json") std::cout << netfilter::render_json(rs, ro).dump() << "\n";
  else std::cout << netfilter::render_text(rs, ro);
  return 0;
}

}  // namespace nfegress::cli
