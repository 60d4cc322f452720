// init/cmd_node.cpp — layer: command line. Node and gateway mode (docs/architecture.md, "Node mode"):
// `nfegress gateway PATHS... --client CIDR=NS... --clients-file F...` and `nfegress node PATHS... --node-name N`
// run in the host's network namespace, program one table whose forward chain enforces each client's namespace
// policy by source address, and decide the flows it queues, until SIGTERM/SIGINT. `--export` prints the table
// instead (no privileges). Clients come from the flags (gateway) or the pods of this node (node, node_pods.cpp);
// the policy from files or, with --source kube, every namespace's from the API (node_input.cpp).
// No decisions here (policy/plan_groups, netfilter/ruleset_node, enforcer/engine).
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <memory>

#include "enforcer/ops.hpp"
#include "enforcer/runtime.hpp"
#include "init/cli.hpp"
#include "init/kube/node.hpp"
#include "init/commands.hpp"
#include "init/gateway_clients.hpp"
#include "init/node_clients.hpp"
#include "init/node_input.hpp"
#include "init/node_pods.hpp"
#include "init/program.hpp"
#include "init/runtime_options.hpp"
#include "init/source.hpp"
#include "netfilter/render.hpp"

namespace nfegress::cli {
namespace {

const char* kGatewayUsage =
    "usage: nfegress gateway (PATHS... | --source kube) (--client CIDR=NAMESPACE)... [--clients-file F]...\n"
    "       [--deny-unknown CIDR]... [--export] [...]\n"
    "Enforces, on this host's forward path, the egress policy of each client's namespace on the traffic it routes\n"
    "for that client (by source address; other hosts' traffic is not judged, except that a source inside\n"
    "--deny-unknown that is no client's is denied), and decides the flows a hostname decides, until SIGTERM or\n"
    "SIGINT. --export prints the table instead.";
const char* kNodeUsage =
    "usage: nfegress node (PATHS... | --source kube) --node-name NAME [--deny-unknown node|POD_CIDR]...\n"
    "       [--kubeconfig F] [--export] [...]\n"
    "Enforces, on this node's forward path, the egress policy of each pod's namespace on that pod's traffic (pods\n"
    "of spec.nodeName NAME, by status.podIPs; host-network pods are not enforced; a source inside --deny-unknown\n"
    "that is no listed pod is denied), until SIGTERM or SIGINT. Give --deny-unknown this node's pod CIDR, or `node`:\n"
    "this Node's spec.podCIDRs from the API (the start fails when it has none).\n"
    "--source kube reads the policy of every namespace from the API (cluster-wide list and watch).";

struct NodeFlags {
  std::vector<std::string> clients, clients_files, deny_unknown;
  std::string node_name;
  bool export_only = false;
  std::string format = "nft";
  std::string http_deny = "403";
};

int run(int argc, char** argv, bool node) {
  const char* name = node ? "node" : "gateway";
  CommonOptions o;
  o.watches_pods = node;
  o.all_namespaces = true;  // --source kube: every client's namespace, whichever it is (one list/watch per kind)
  NodeFlags f;
  po::options_description d(std::string(name) + " options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_compile_options(d, o);
  add_kernel_options(d, o);
  enforcer::RuntimeOptions ro;
  enforcer::OpsConfig ops_cfg;
  d.add_options()("export", po::bool_switch(&f.export_only), "print the table (--format nft|json) and exit")(
      "format", po::value(&f.format)->default_value(f.format), "--export format: nft or json")(
      "max-flows", po::value(&ro.limits.max_flows)->default_value(ro.limits.max_flows),
      "undecided flows and inspected HTTP connections tracked at once by each queue thread (more are denied)")(
      "http-deny", po::value(&f.http_deny)->default_value(f.http_deny), "a denied HTTP/1.x request: 403 or reset")(
      "admin-addr", po::value(&ops_cfg.admin_addr)->default_value(ops_cfg.admin_addr),
      "admin server IP:PORT (/metrics, /ready, /live)")(
      "deny-unknown", po::value(&f.deny_unknown),
      "CIDR[,CIDR...] (repeatable): forwarded traffic from these sources that is no client's is denied (node: the "
      "pod CIDR, or `node`: this Node's spec.podCIDRs from the API)");
  if (node)
    d.add_options()("node-name", po::value(&f.node_name), "this node (spec.nodeName of the pods enforced)");
  else
    d.add_options()("client", po::value(&f.clients), "CIDR=NAMESPACE: traffic from CIDR follows NAMESPACE's policy")(
        "clients-file", po::value(&f.clients_files),
        "a file of CIDR=NAMESPACE lines ('#' comments), watched: a change is applied, a malformed one refused");
  bool help = false;
  if (!parse(argc, argv, node ? kNodeUsage : kGatewayUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (o.paths.empty() || (node && f.node_name.empty()) || (!node && f.clients.empty() && f.clients_files.empty())) {
    std::cerr << "nfegress " << name << ": give the manifests (PATHS... or --source kube) and "
              << (node ? "--node-name" : "--client or --clients-file") << "\n"
              << (node ? kNodeUsage : kGatewayUsage) << "\n";
    return 2;
  }
  // Options that mean something only in a pod's own namespace: refused rather than silently ignored.
  const char* pod_only = !o.ns.empty()             ? "--namespace (each client's own namespace applies)"
                         : o.kernel.exempt_uid     ? "--exempt-uid (the host's own traffic is not judged)"
                         : o.kernel.strip_ech      ? "--strip-ech (answers on the forward path are not rewritten)"
                                                   : nullptr;
  if (pod_only) {
    std::cerr << "nfegress " << name << ": " << pod_only << " is a pod-mode option\n";
    return 2;
  }
  bool node_cidrs = false;  // `--deny-unknown node`: this Node's spec.podCIDRs, read below
  // The clients' resolvers are not the host's (a pod asks the cluster DNS): answers are learned on the forward
  // path only from the resolvers --dns-servers names, never from the resolv.conf default of pod mode.
  if (o.dns_servers.empty()) o.kernel.dns_servers.clear();
  for (const auto& list : f.deny_unknown)
    for (const auto& c : split_csv(list)) {
      if (c == "node") {
        if (!node) {
          std::cerr << "nfegress gateway: --deny-unknown node: only `nfegress node` has a Node to read\n";
          return 2;
        }
        node_cidrs = true;
        continue;
      }
      const auto p = policy::parse_prefix(c);
      if (!p) {
        std::cerr << "nfegress " << name << ": --deny-unknown: '" << c << "' is not a CIDR or IP\n";
        return 2;
      }
      o.kernel.deny_unknown.push_back(*p);
    }
  if (node_cidrs) {  // before anything is programmed; never a silent start without the ranges asked for
    std::string found, err;
    if (!read_node_pod_cidrs(o, f.node_name, o.kernel.deny_unknown, found, err)) {
      std::cerr << "nfegress node: " << err << "; not starting\n";
      return 1;
    }
    std::cerr << "nfegress node: --deny-unknown node: " << found << "\n";
  }
  // Without it a pod's first packets, before the watch has delivered its address, are forwarded unjudged.
  if (node && o.kernel.deny_unknown.empty() && !f.export_only)
    std::cerr << "nfegress node: warning: no --deny-unknown: a new pod's traffic is not judged until the pod watch "
                 "delivers its address; give --deny-unknown node or this node's pod CIDR (docs/security.md)\n";
  o.load.validation.global_ns = o.compile.global_ns;
  o.load.validation.cluster_networks = o.compile.cluster_networks;
  o.load.validation.default_opaque_ports = o.compile.default_opaque_ports;
  auto clients = std::make_shared<NodeClients>();
  if (!node) {
    std::vector<std::string> errors;
    clients->set(read_clients(f.clients, f.clients_files, errors));
    for (const auto& e : errors) std::cerr << "nfegress gateway: " << e << "\n";
    if (!errors.empty()) return 1;
  }
  auto& cfg = ops_cfg.reload;
  cfg.command = name;  // "nfegress node: policy applied ...", not enforce's prefix
  cfg.compile = o.compile;
  cfg.kernel = o.kernel;
  cfg.clients = [clients] { return clients->get(); };
  cfg.node_cache = std::make_shared<enforcer::NodeCache>();
  if (f.export_only) {
    const auto input = load_valid(o, name, std::cerr);
    if (!input) return 1;
    cfg.queue = choose_queue_offline(o, std::cerr);
    {
      netfilter::KernelError kerr;
      auto w = netfilter::Writer::open(kerr);
      cfg.kernel.syn_ack_anchor = choose_anchor(o.kernel, w ? &*w : nullptr, std::cerr);
    }
    const auto prepared = enforcer::prepare_policy(cfg, *input);
    for (const auto& e : prepared.errors) std::cerr << e << "\n";
    if (!prepared.desired) return 1;
    if (f.format == "json") std::cout << netfilter::render_json(*prepared.desired).dump(1) << "\n";
    else std::cout << netfilter::render_text(*prepared.desired);
    return 0;
  }

  boost::asio::io_context io;
  std::unique_ptr<enforcer::Operations> ops;
  // The policy before the pods, both before anything is programmed (init/node_input.hpp). Every version keeps the
  // previous policy in the kernel until it is applied whole: a pod change re-applies the last valid input with the
  // new clients (with the plans cached, it then costs a ruleset and a diff); a new version from the API is applied
  // as it comes (an invalid one is refused by the Reloader, which logs its errors).
  auto input = NodeInput::start(o, name, [&io, &ops](NodeInput::Version v) {
    boost::asio::post(io, [&ops, v = std::move(v)] {
      if (ops) ops->background().apply(v, "watch");
    });
  }, std::cerr);
  if (!input) return 1;
  cfg.load = input->loader();
  ops_cfg.watch_paths = o.source == "kube" ? std::vector<std::string>{} : o.paths;  // kube: followed
  std::unique_ptr<PodWatch> pods;
  if (node) {  // the first list before anything is programmed: the table starts with this node's pods
    std::string err;
    NodeInput* in = input.get();
    pods = PodWatch::start(o, f.node_name, [&io, &ops, clients, in](std::vector<policy::Client> c) {
      clients->set(std::move(c));
      boost::asio::post(io, [&ops, in] {
        if (ops) ops->background().apply(in->last(), "pods");
      });
    }, err);
    if (!pods) {
      std::cerr << "nfegress node: " << err << "; not starting\n";
      return 1;
    }
    if (node_cidrs) {  // pods outside the Node's ranges: the CNI does not use them, so neither may we
      const auto outside = kube::outside_ranges(clients->get(), o.kernel.deny_unknown);
      if (!outside.empty()) {
        std::cerr << "nfegress node: --deny-unknown node: " << outside.size() << " pod address(es) of this node lie "
                  << "outside its spec.podCIDRs and the ranges given (first: " << outside.front() << "): the CNI "
                  << "does not allocate from them (e.g. Calico IPAM); give this node's pod CIDR(s) as --deny-unknown "
                  << "CIDR instead; not starting\n";
        return 1;
      }
    }
  }
  std::string err;
  auto sink = enforcer::open_kernel_sink(cfg.kernel, cfg.queue, err, std::cerr);
  if (!sink) {
    std::cerr << "nfegress " << name << ": " << err << "\n";
    return 1;
  }
  enforcer::PreparedPolicy first = enforcer::prepare_policy(cfg, *input->last());
  for (const auto& e : first.errors) std::cerr << e << "\n";
  if (!first.policy) return 1;

  ro.http_deny_403 = f.http_deny == "403";
  // Issue 19: parking is on (the table's output chain queues the copies the host sends with a client's address).
  fill_runtime_options(o, ro);
  // Issue 18: the answers the table's dns_answers chain queues from the forward path (none without --dns-servers).
  ro.dns_queue = o.kernel.learns_dns() ? o.kernel.dns_queue : 0;
  std::unique_ptr<enforcer::Runtime> rt;
  try {
    rt = std::make_unique<enforcer::Runtime>(io, first.policy, ro);
  } catch (const std::exception& e) {
    std::cerr << "nfegress " << name << ": " << e.what() << "\n";
    return 1;
  }
  ops = enforcer::Operations::start(
      io, ops_cfg, std::move(sink),
      [&rt](std::shared_ptr<const enforcer::CompiledPolicy> p) { rt->swap_policy(std::move(p)); }, std::cout,
      std::cerr, err);
  if (!ops) {
    std::cerr << "nfegress " << name << ": " << err << "\n";
    return 1;
  }
  ops->reloader().set_clients_handoff(
      [&rt](std::shared_ptr<const enforcer::ClientPolicies> c) { rt->swap_clients(std::move(c)); });
  if (!ops->reloader().commit(std::move(first), "start").applied) {
    std::cerr << "nfegress " << name << ": the first policy could not be applied\n";
    return 1;
  }
  std::unique_ptr<ClientsReload> clients_reload;  // gateway: a changed clients file is a small update
  if (!node && !f.clients_files.empty()) {
    NodeInput* in = input.get();
    auto apply = [&ops, in] { ops->background().apply(in->last(), "clients"); };
    clients_reload = ClientsReload::start(io, f.clients, f.clients_files, clients, apply, std::cerr, err);
    if (!clients_reload) {
      std::cerr << "nfegress gateway: watching the clients files: " << err << "\n";
      return 1;
    }
  }
  enforcer::Runtime* runtime = rt.get();
  ops->attach_reader([runtime] { return runtime->counters(); });
  rt->set_decision_output(ops->decision_output());
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (pods) pods->stop();
    if (clients_reload) clients_reload->stop();
    input->stop();
    rt->stop();
    ops->stop();
    io.stop();
  });
  rt->start();
  std::cerr << "nfegress " << name << ": name binding: " << rt->name_binding_status() << "\n";
  std::cerr << "nfegress " << name << ": " << clients->get().size() << " clients, policy from "
            << (o.source == "kube" ? "the Kubernetes API (all namespaces)" : "files") << ", " << rt->queues_status()
            << ", " << (o.kernel.fail_open ? "fail-open" : "fail-closed") << ", HTTP 403 answers "
            << rt->http_deny_status() << ", parking first-flight segments " << rt->park_status() << ", ready\n";
  io.run();
  rt->stop();
  print_counters(rt->counters());
  std::cerr << "queues: " << rt->queue_packets() << "\n";
  return 0;
}

}  // namespace

int cmd_gateway(int argc, char** argv) { return run(argc, argv, false); }
int cmd_node(int argc, char** argv) { return run(argc, argv, true); }

}  // namespace nfegress::cli
