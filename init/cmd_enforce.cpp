// init/cmd_enforce.cpp — layer: command line. `nfegress enforce PATHS... --namespace NS`: load and compile the
// policy, bind the NFQUEUE queue(s) of the kernel contract and decide queued flows until SIGTERM/SIGINT.
// Each decision is logged once, as a JSON line on stdout (decision_log.hpp); the counters go to stderr at exit.
// No decisions here (enforcer/engine.cpp); the enforcer library knows nothing of this file (tests/layering).
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "enforcer/ops.hpp"
#include "enforcer/runtime.hpp"
#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/dns_options.hpp"
#include "init/first_input.hpp"
#include "init/runtime_options.hpp"
#include "init/source.hpp"

namespace nfegress::cli {
namespace {

const char* kUsage =
    "usage: nfegress enforce PATHS... --namespace NS [--queue-num N] [--queue-total N|auto] [--fail-open]\n"
    "                        [--cluster-networks CIDRS] [--mark-base M] [--max-flows N] [--http-deny 403|reset] [...]\n"
    "Decides the flows `nfegress init` queues (TLS SNI, HTTP requests) until SIGTERM or SIGINT.";

}  // namespace

int cmd_enforce(int argc, char** argv) {
  CommonOptions o;
  po::options_description d("enforce options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_compile_options(d, o);
  add_kernel_options(d, o);
  enforcer::RuntimeOptions ro;
  std::string http_deny = "403";
  d.add_options()("max-flows", po::value(&ro.limits.max_flows)->default_value(ro.limits.max_flows),
                  "undecided flows and inspected HTTP connections tracked at once by each queue thread (more are denied)")(
      "http-deny", po::value(&http_deny)->default_value(http_deny),
      "a denied HTTP/1.x request: 403 (the client reads `403 traffic not allowed`, then the connection is reset; "
      "needs CAP_NET_RAW, else reset) or reset");
  // Name binding (issue 17; the mode, servers and DNS queue are kernel options shared with init).
  unsigned dns_min_ttl = static_cast<unsigned>(ro.binding_limits.min_ttl.count());
  unsigned resolve_timeout_ms = static_cast<unsigned>(ro.resolve_timeout.count());
  d.add_options()("dns-min-ttl", po::value(&dns_min_ttl)->default_value(dns_min_ttl),
                  "seconds a learned name-to-address binding lives at least, whatever the answer's TTL")(
      "resolve-timeout", po::value(&resolve_timeout_ms)->default_value(resolve_timeout_ms),
      "milliseconds the enforcer waits for its own lookup of a name it has no binding for (--name-binding resolve)")(
      "max-bound-names", po::value(&ro.binding_limits.max_names)->default_value(ro.binding_limits.max_names),
      "names held at once (a full store forgets the binding that expires first; counted)")(
      "state-dir", po::value(&ro.state_dir),
      "keep the learned bindings in DIR/bindings across restarts (e.g. /run/nfegress)");
  // ---- operations (h4-ops, enforcer/ops.hpp): admin server, metrics, decision log, live reload ----
  enforcer::OpsConfig ops_cfg;
  d.add_options()("admin-addr", po::value(&ops_cfg.admin_addr)->default_value(ops_cfg.admin_addr),
                  "admin server IP:PORT (/metrics, /ready, /live)")(
      "metrics-hostname-label", po::bool_switch(&ops_cfg.metrics.hostname_label),
      "fill the hostname label of the route metrics (one series per SNI/Host)");
  // ---- end operations ----
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (o.paths.empty() || o.ns.empty()) {
    std::cerr << "nfegress enforce: give the manifests (PATHS...) and --namespace\n" << kUsage << "\n";
    return 2;
  }
  if (http_deny != "403" && http_deny != "reset") {
    std::cerr << "nfegress enforce: --http-deny: '" << http_deny << "' is not 403 or reset\n" << kUsage << "\n";
    return 2;
  }
  o.load.validation.global_ns = o.compile.global_ns;
  o.load.validation.cluster_networks = o.compile.cluster_networks;
  o.load.validation.default_opaque_ports = o.compile.default_opaque_ports;
  boost::asio::io_context io;
  std::unique_ptr<enforcer::Operations> ops;
  // --source kube: one list, then a watch from its resourceVersion. The follower's first list is the policy the
  // enforcer starts with; later versions go through the Reloader on io's thread.
  auto first = std::make_shared<FirstInput>();
  auto follow = follow_input(
      o,
      [first, &io, &ops](policy::LoadResult r) {
        if (first->offer(r)) return;
        boost::asio::post(io, [&ops, r = std::move(r)]() mutable {
          if (ops) ops->background().apply(std::move(r), "watch");  // compiled off the event loop
        });
      },
      [first](const std::string& error) { first->fail(error); });
  policy::LoadResult loaded;
  if (follow) {
    auto got = first->wait();
    if (!got) {
      std::cerr << "nfegress enforce: cannot read the policy from the Kubernetes API: " << first->error()
                << "; not starting\n";
      return 1;
    }
    loaded = std::move(*got);
  } else {
    loaded = load_input(o);
  }
  for (const auto& x : loaded.diagnostics) std::cerr << x.format() << "\n";
  if (policy::has_errors(loaded.diagnostics)) return 1;

  ro.http_deny_403 = http_deny == "403";
  ro.client_ns = o.ns;
  const auto& k = o.kernel;
  fill_runtime_options(o, ro);
  ro.dns_queue = k.learns_dns() ? k.dns_queue : 0;
  ro.binding_limits.min_ttl = std::chrono::seconds(dns_min_ttl);
  ro.resolve_timeout = std::chrono::milliseconds(std::clamp(resolve_timeout_ms, 100u, 4000u));
  // ---- operations (h4-ops): the first policy goes through the Reloader too, so /ready means "applied" ----
  ops_cfg.watch_paths = o.source == "kube" ? std::vector<std::string>{} : o.paths;  // kube: followed below
  ops_cfg.reload.client_ns = o.ns;
  ops_cfg.reload.compile = o.compile;
  ops_cfg.reload.kernel = o.kernel;
  ops_cfg.reload.load = [o] { return load_input(o); };
  std::string ops_err;
  auto sink = enforcer::open_kernel_sink(ops_cfg.reload.kernel, ops_cfg.reload.queue, ops_err, std::cerr);
  if (!sink) {
    std::cerr << "nfegress enforce: " << ops_err << "\n";
    return 1;
  }
  // Compiled once: the runtime starts with this policy and the Reloader commits the same one.
  enforcer::PreparedPolicy first_policy = enforcer::prepare_policy(ops_cfg.reload, loaded);
  if (!first_policy.errors.empty()) {
    for (const auto& e : first_policy.errors) std::cerr << e << "\n";
    return 1;
  }

  std::unique_ptr<enforcer::Runtime> rt;
  try {
    rt = std::make_unique<enforcer::Runtime>(io, first_policy.policy, ro);
  } catch (const std::exception& e) {
    std::cerr << "nfegress enforce: " << e.what() << "\n";
    return 1;
  }
  ops = enforcer::Operations::start(
      io, ops_cfg, std::move(sink),
      [&rt](std::shared_ptr<const enforcer::CompiledPolicy> policy) { rt->swap_policy(std::move(policy)); },
      std::cout, std::cerr, ops_err);
  if (!ops || !ops->reloader().commit(std::move(first_policy), "start").applied) {
    std::cerr << "nfegress enforce: " << (ops_err.empty() ? "the first policy could not be applied" : ops_err)
              << "\n";
    return 1;
  }
  enforcer::Runtime* runtime = rt.get();
  ops->attach_reader([runtime] { return runtime->counters(); });  // the workers' sum, read by the admin server
  rt->set_decision_output(ops->decision_output());  // the JSON decision log (stdout) and the metrics
  // ---- end operations ----
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (follow) follow->stop();
    rt->stop();
    ops->stop();  // h4-ops
    io.stop();
  });
  rt->start();
  std::cerr << "nfegress enforce: namespace " << o.ns << ", " << rt->queues_status() << ", "
            << (k.fail_open ? "fail-open" : "fail-closed") << ", ready\n";
  std::cerr << "nfegress enforce: HTTP 403 answers: " << rt->http_deny_status() << "\n";
  std::cerr << "nfegress enforce: parking first-flight segments (issue 19): " << rt->park_status() << "\n";
  std::cerr << "nfegress enforce: name binding: " << rt->name_binding_status() << "\n";
  io.run();
  rt->stop();  // joined: the sum is exact
  print_counters(rt->counters());
  std::cerr << "queues: " << rt->queue_packets() << "\n";
  return 0;
}

}  // namespace nfegress::cli
