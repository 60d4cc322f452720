// init/cmd_status.cpp — layer: command line. `nfegress status [PATHS... --namespace NS]`: read our table back from
// the kernel and say whether it exists, which queue implementation it uses, how many EgressNetworks and elements
// it holds; with manifests, also compile them and compare the programmed table with the desired one (canonical
// listing, order-independent); against a node or gateway table (issue 18), the node table the same inputs would
// program (init/status_node.hpp: a gateway's --client/--clients-file, or a node's clients read back). Exit 0 in sync (or no manifests given), 1 drift / absent when manifests were given /
// invalid input / kernel error, 2 usage. Audited EgressNetworks: the would-denies the kernel counted per port
// (Writer::read_audit). No policy logic and no netlink here.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/program.hpp"
#include "init/node_clients.hpp"
#include "init/source.hpp"
#include "init/status_node.hpp"
#include "netfilter/canonical.hpp"

namespace nfegress::cli {
namespace {

using nlohmann::json;

const char* kUsage =
    "usage: nfegress status [PATHS... --namespace NS] [--table NAME] [--output json] [compile and kernel options]\n"
    "       nfegress status PATHS... [--client CIDR=NS]... [--clients-file F]... [--deny-unknown CIDR]...\n"
    "Shows what table inet NAME in the current network namespace holds; with manifests, also whether it matches\n"
    "what `nfegress init` with the same options would program (\"drift\" when not). A node or gateway table\n"
    "(or --client/--clients-file given) is compared with what `nfegress gateway`/`node` would program: for the\n"
    "clients given, or, without them, for the clients the table lists (its clients maps are then not compared).\n"
    "Exit status: 0 in sync or nothing to compare, 1 drift, table absent, invalid input or kernel error, 2 usage.";

constexpr std::size_t kShown = 20;  // drift lines printed per direction in text output

json summary_json(const netfilter::CanonicalSummary& s) {
  json dns = nullptr;
  if (s.dns)
    dns = {{"servers", s.dns_servers}, {"queue", s.dns_queue ? json(*s.dns_queue) : json(nullptr)},
           {"bypass", s.dns_bypass}};
  return {{"networks", s.networks}, {"clients", s.clients}, {"plans", s.plans},
          {"deny_unknown_ranges", s.deny_unknown}, {"elements", s.elements}, {"sets", s.sets}, {"chains", s.chains},
          {"rules", s.rules},       {"queue", s.queue ? netfilter::queue_impl_name(*s.queue) : nullptr},
          {"egress_guard", s.guard_devices.empty() ? nullptr : json(s.guard_devices)},
          {"syn_ack_anchor", s.anchor},
          {"dns_answers", std::move(dns)}};
}

// What the programmed chain dns_answers queues: the resolvers, the queue and whether it has bypass.
std::string dns_text(const netfilter::CanonicalSummary& s) {
  if (!s.dns) return "not queued (no chain dns_answers: name binding off, or no resolver to learn from)";
  std::string servers;
  for (const auto& a : s.dns_servers) servers += (servers.empty() ? "" : ", ") + a;
  return "answers from " + servers + " queued to " + (s.dns_queue ? std::to_string(*s.dns_queue) : "?") +
         (s.dns_bypass ? " with bypass (they pass unlearned when no enforcer listens)"
                       : " WITHOUT bypass: name resolution stops while no enforcer listens");
}

// Audited EgressNetworks (chains audit_N) and the would-denies the kernel counted for them (their sets' elements).
std::size_t audited_networks(const netfilter::Canonical& c) {
  return static_cast<std::size_t>(std::count_if(c.lines.begin(), c.lines.end(), [](const std::string& l) {
    return l.rfind("chain ", 0) == 0 && netfilter::parse_audit_chain(l.substr(6, l.find(' ', 6) - 6));
  }));
}

json audit_json(const std::vector<netfilter::AuditCount>& counts) {
  json a = json::array();
  for (const auto& c : counts)
    a.push_back({{"egressNetwork", c.network}, {"plan", c.plan}, {"protocol", c.proto}, {"port", c.port},
                 {"flows", c.flows}, {"bytes", c.bytes}});
  return a;
}

void print_lines(const char* sign, const std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size() && i < kShown; ++i) std::cout << "  " << sign << " " << lines[i] << "\n";
  if (lines.size() > kShown) std::cout << "  " << sign << " ... " << lines.size() - kShown << " more\n";
}

}  // namespace

int cmd_status(int argc, char** argv) {
  CommonOptions o;
  po::options_description d("status options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_compile_options(d, o);
  add_kernel_options(d, o);
  add_output_options(d, o);
  std::vector<std::string> client_flags, client_files, deny_unknown;
  d.add_options()("client", po::value(&client_flags), "CIDR=NAMESPACE: compare as a gateway table with this client")(
      "clients-file", po::value(&client_files), "a gateway's clients file (CIDR=NAMESPACE lines)")(
      "deny-unknown", po::value(&deny_unknown), "CIDR[,CIDR...]: a node/gateway table's --deny-unknown");
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  const bool compare = !o.paths.empty();
  const bool gateway_clients = !client_flags.empty() || !client_files.empty();
  if (gateway_clients && !o.ns.empty()) {
    std::cerr << "nfegress status: --namespace compares a pod-mode table, --client/--clients-file a gateway's\n";
    return 2;
  }
  for (const auto& list : deny_unknown)
    for (const auto& c : split_csv(list)) {
      const auto p = policy::parse_prefix(c);
      if (!p) {
        std::cerr << "nfegress status: --deny-unknown: '" << c << "' is not a CIDR or IP\n";
        return 2;
      }
      o.kernel.deny_unknown.push_back(*p);
    }
  std::vector<policy::Client> clients;
  if (gateway_clients) {
    std::vector<std::string> errors;
    clients = read_clients(client_flags, client_files, errors);
    for (const auto& e : errors) std::cerr << "nfegress status: " << e << "\n";
    if (!errors.empty()) return 1;
  }
  auto w = open_writer("status", std::cerr);
  if (!w) return 1;
  netfilter::KernelError e;
  auto got = w->read_table(o.kernel.table, e);
  if (!got && e.err != ENOENT) {
    std::cerr << "nfegress status: reading table inet " << o.kernel.table << ": " << e.format() << "\n";
    return 1;
  }
  std::vector<std::string> guard_lines;
  if (!w->read_guard(o.kernel.table, guard_lines, e)) {
    std::cerr << "nfegress status: reading table netdev " << o.kernel.table << ": " << e.format() << "\n";
    return 1;
  }
  if (got) {
    got->lines.insert(got->lines.end(), guard_lines.begin(), guard_lines.end());
    std::sort(got->lines.begin(), got->lines.end());
  }
  const auto have = got ? netfilter::summarize(*got) : netfilter::CanonicalSummary{};
  // A node or gateway table: compared with the node table (status_node.hpp), not pod mode's.
  const bool node = compare && (gateway_clients || (o.ns.empty() && have.plans > 0));
  if (compare && !node && !require_namespace(o, "status", std::cerr)) return 2;
  std::optional<policy::LoadResult> input;
  std::optional<policy::Plan> plan;
  if (compare) {
    if (node) {  // as `nfegress node`/`gateway` load it
      o.all_namespaces = true;
      if (o.dns_servers.empty()) o.kernel.dns_servers.clear();  // node mode learns from --dns-servers only
      o.load.validation.global_ns = o.compile.global_ns;
      o.load.validation.cluster_networks = o.compile.cluster_networks;
      o.load.validation.default_opaque_ports = o.compile.default_opaque_ports;
    }
    input = load_valid(o, "status", std::cerr);
    if (!input) return 1;
    if (!node) plan = compile_input(o, *input, std::cerr);
    if (node && !gateway_clients && got) clients = programmed_clients(*got);
  }
  const std::string against = !compare ? ""
                              : !node  ? "namespace " + plan->client_ns
                              : gateway_clients
                                  ? "the gateway's " + std::to_string(clients.size()) + " client(s)"
                                  : "the " + std::to_string(clients.size()) +
                                        " client(s) the table lists (node mode: its clients maps are not compared)";
  std::vector<netfilter::AuditCount> audit;
  if (got) {
    auto counts = w->read_audit(o.kernel.table, e);
    if (!counts) {
      std::cerr << "nfegress status: reading the audit counters of table inet " << o.kernel.table << ": "
                << e.format() << "\n";
      return 1;
    }
    audit = std::move(*counts);
  }

  json out = {{"table", o.kernel.table}, {"exists", got.has_value()},
              {"name_binding", policy::name_binding_name(o.kernel.name_binding)}};
  if (got) {
    out["programmed"] = summary_json(have);
    out["programmed"]["audited_networks"] = audited_networks(*got);
    out["audit"] = audit_json(audit);
  }
  std::vector<std::string> missing, unexpected;
  if (compare) {
    // Compare against the queue implementation that is programmed unless --queue-impl says otherwise: status
    // checks the policy, and the implementation the kernel accepted is the one init chose.
    std::optional<netfilter::QueueImpl> queue = have.queue;
    if (o.kernel.queue != policy::KernelOptions::Queue::Auto || !queue) queue = choose_queue(o, *w, std::cerr);
    if (!queue) return 1;
    // The SYN-ACK anchor likewise: the programmed one (a table set up with --syn-ack-anchor off on a kernel that
    // has `ct id` is what init was told to program), unless --syn-ack-anchor off asks for none; without a table,
    // what this kernel supports. The "SYN-ACK anchor:" line says which the table holds.
    const bool anchor = got && !o.kernel.anchor_off ? have.anchor : choose_anchor(o.kernel, &*w, std::cerr);
    netfilter::Canonical want;
    if (node) {
      const auto desired =
          node_desired(o, *input, clients, *queue, anchor, std::cerr);
      if (!desired) return 1;
      want = netfilter::canonical(*desired);
    } else {
      choose_guard(o.kernel, &*w, std::cerr).apply(plan->kernel);
      plan->kernel.syn_ack_anchor = anchor;
      want = netfilter::canonical(netfilter::build_ruleset(*plan, *queue));
    }
    if (got) {
      missing = netfilter::canonical_minus(want, *got);
      unexpected = netfilter::canonical_minus(*got, want);
    } else {
      missing = want.lines;
    }
    out["desired"] = {{"namespace", node ? json(nullptr) : json(plan->client_ns)}, {"node", node},
                      {"clients", node ? json(clients.size()) : json(nullptr)},
                      {"clients_compared", !node || gateway_clients},
                      {"in_sync", missing.empty() && unexpected.empty()},
                      {"missing", missing}, {"unexpected", unexpected}};
  }
  const bool in_sync = compare ? missing.empty() && unexpected.empty() : true;

  if (o.output == "json") {
    std::cout << out.dump(2) << "\n";
    return in_sync ? 0 : 1;
  }
  if (!got) {
    std::cout << "table inet " << o.kernel.table << ": absent\n";
  } else {
    // nft prints "# Warning: table inet NAME is managed by iptables-nft, do not touch!" for any table holding an
    // xt expression, as the compat queue rule is: say whose table it is before an auditor reads that.
    const std::string compat_note =
        have.queue == netfilter::QueueImpl::Compat
            ? "  note: the queue rule is an xt NFQUEUE target (nft_compat), so nft warns \"table inet " +
                  o.kernel.table + " is managed by iptables-nft\"; it is nfegress's table (docs/auditing.md)\n"
            : "";
    std::cout << "table inet " << o.kernel.table << ": programmed\n"
              << "  queue: " << (have.queue ? netfilter::queue_impl_name(*have.queue) : "none") << "\n"
              << compat_note
              << "  SYN-ACK anchor: "
              << (have.anchor ? "on (set first: each inspected stream starts where the server's SYN-ACK says)"
                              : "off (the handshake's ACK is queued and sets each inspected stream's start)")
              << "\n"
              << "  EgressNetworks: " << have.networks << "\n"
              << (have.plans ? "  node mode: " + std::to_string(have.clients) + " client(s), " +
                                   std::to_string(have.plans) + " plan(s) (nft list map inet " + o.kernel.table +
                                   " clients4 / clients6)\n" +
                                   (have.deny_unknown
                                        ? "  deny-unknown: " + std::to_string(have.deny_unknown) +
                                              " range(s), denied and counted (nft list chain inet " + o.kernel.table +
                                              " forward)\n"
                                        : "  deny-unknown: off (a source that is no client is not judged)\n")
                             : std::string())
              << "  elements: " << have.elements << " in " << have.sets << " set(s)\n"
              << "  chains: " << have.chains << ", rules: " << have.rules << "\n"
              << "  egress guard (table netdev " << o.kernel.table << "): "
              << (have.guard_devices.empty() ? "absent" : "on " + have.guard_devices) << "\n"
              << "  DNS answers (chain dns_answers, " << (have.plans ? "forward" : "input") << " hook): " << dns_text(have) << "\n";
    if (const std::size_t n = audited_networks(*got)) {
      std::cout << "  audit: " << n << " EgressNetwork(s) report only; would-denies the kernel let through"
                << (audit.empty() ? ": none yet" : " (flows, per port):") << "\n";
      for (const auto& c : audit)
        std::cout << "    " << c.network << (c.plan.empty() ? "" : " (plan " + c.plan + ")") << " " << c.proto << "/" << c.port << ": " << c.flows << " flow(s), "
                  << c.bytes << " bytes\n";
    }
  }
  if (o.kernel.name_binding == policy::KernelOptions::NameBinding::Off)
    std::cout << netfilter::dns_answers_note(o.kernel) << "\n";
  if (compare) {
    if (in_sync) {
      std::cout << "in sync with the manifests for " << against << "\n";
    } else {
      std::cout << "drift from the manifests for " << against << ": " << missing.size()
                << " line(s) missing in the kernel, " << unexpected.size() << " unexpected\n";
      print_lines("-", missing);
      print_lines("+", unexpected);
    }
  }
  return in_sync ? 0 : 1;
}

}  // namespace nfegress::cli
