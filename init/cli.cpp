// init/cli.cpp — layer: command line. See cli.hpp.
#include "init/cli.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <sstream>
#include <thread>

#include "init/dns_options.hpp"

namespace nfegress::cli {

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

namespace {

bool parse_ports(const std::string& opt, const std::string& text, std::vector<std::uint16_t>& out,
                 std::ostream& err) {
  out.clear();
  for (const auto& p : split_csv(text)) {
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc{} || ptr != p.data() + p.size() || v == 0 || v > 65535) {
      err << "nfegress: --" << opt << ": '" << p << "' is not a port (1-65535)\n";
      return false;
    }
    out.push_back(static_cast<std::uint16_t>(v));
  }
  return true;
}

bool parse_cidrs(const std::string& opt, const std::string& text, std::vector<policy::IpPrefix>& out,
                 std::ostream& err) {
  out.clear();
  for (const auto& c : split_csv(text)) {
    auto p = policy::parse_prefix(c);
    if (!p) {
      err << "nfegress: --" << opt << ": '" << c << "' is not a CIDR or IP\n";
      return false;
    }
    out.push_back(*p);
  }
  return true;
}

}  // namespace

void add_input_options(po::options_description& d, po::positional_options_description& pos, CommonOptions& o) {
  d.add_options()
      ("paths", po::value(&o.paths)->multitoken(), "manifest files or directories ('-' = stdin)")
      ("source", po::value(&o.source)->default_value("files"),
       "files|kube: read manifests (PATHS) or list the Kubernetes API (client and global namespace)")
      ("kubeconfig", po::value(&o.kubeconfig),
       "kubeconfig for --source kube (default: the pod's service account)")
      ("default-namespace", po::value(&o.load.default_namespace)->default_value("default"),
       "namespace of resources without metadata.namespace")
      ("verbose,v", po::bool_switch(&o.load.verbose), "list skipped resources");
  pos.add("paths", -1);
}

void add_compile_options(po::options_description& d, CommonOptions& o) {
  d.add_options()
      ("namespace,n", po::value(&o.ns), "client namespace the policy is compiled for (required)")
      ("global-namespace", po::value(&o.compile.global_ns)->default_value("linkerd-egress"),
       "global egress namespace")
      ("cluster-networks", po::value(&o.cluster_networks),
       "comma-separated cluster networks (default 10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8)")
      ("opaque-ports", po::value(&o.opaque_ports),
       "default opaque ports (default 25,587,3306,4444,5432,6379,9300,11211)")
      ("allow-udp", po::bool_switch(&o.compile.allow_udp),
       "let non-TCP traffic to Deny networks through (upstream behaviour)")
      ("audit", po::bool_switch(&o.compile.audit_all),
       "audit (report-only) mode for every EgressNetwork: what it would deny is let through and recorded as a "
       "would-deny (decision log \"audit\":\"deny\", metrics error=\"audit\", kernel counters in `status`); "
       "per network: annotation nfegress.io/mode: audit");
}

void add_kernel_options(po::options_description& d, CommonOptions& o) {
  d.add_options()
      ("table", po::value(&o.kernel.table)->default_value("nfegress"), "name of nfegress's inet table")
      ("exempt-uid", po::value(&o.exempt_uid),
       "opt-in: a UID whose traffic is never touched (none by default). RISK: every process that runs as this UID "
       "passes the whole policy, and root in a container can setuid() to it; for a trusted agent on a VM only. "
       "The enforcer needs no exemption")
      ("queue-num", po::value(&o.kernel.queue_num)->default_value(100), "first NFQUEUE number")
      ("queue-total", po::value(&o.queue_total)->default_value(o.queue_total),
       "number of flow queues (the kernel hashes each packet's address pair to one), each served by its own enforcer thread; "
       "auto: one per online CPU, at most 16")
      ("fail-open", po::bool_switch(&o.kernel.fail_open),
       "let inspected flows through when no enforcer listens (default: fail closed)")
      ("mark-base", po::value(&o.mark_base)->default_value("0x00100000"),
       "lowest of the two ct/packet mark bits nfegress uses")
      ("ignore-ports", po::value(&o.ignore_ports), "comma-separated outbound ports never touched")
      ("ignore-cidrs", po::value(&o.ignore_cidrs), "comma-separated destinations never touched")
      ("queue-impl", po::value(&o.queue_impl)->default_value("auto"),
       "auto|native|compat: nft queue expression or xt NFQUEUE via nft_compat")
      ("syn-ack-anchor", po::value(&o.syn_ack_anchor)->default_value("auto"),
       "auto|off: each inspected stream starts where the server's SYN-ACK says (kept in the kernel; auto: when the "
       "kernel has `ct id`); off: the handshake's ACK is queued and sets the start (a client with CAP_NET_RAW can "
       "forge it)")
      ("no-egress-guard", po::bool_switch(&o.no_egress_guard),
       "do not program table netdev TABLE, the egress guard that drops frames which did not come through the IP "
       "stack (packet sockets, CAP_NET_RAW). Only for hosts that bridge other machines' frames (they carry no "
       "route and would be dropped); packet sockets then bypass the policy")
      ("name-binding", po::value(&o.name_binding)->default_value("resolve"),
       "strict|resolve|off: a flow allowed by a hostname (SNI, Host) reaches only addresses that name resolved to, "
       "learned from the DNS answers of --dns-servers; on a miss `resolve` lets the enforcer resolve the name, "
       "`strict` denies; `off`: no DNS rules, an allowed SNI or Host reaches any address of its network (upstream "
       "Linkerd's behaviour)")
      ("dns-servers", po::value(&o.dns_servers),
       "comma-separated resolvers whose answers are learned (default: the nameservers of /etc/resolv.conf, or of "
       "/run/systemd/resolve/resolv.conf when those are loopback only; node/gateway: none, give the clients' "
       "resolvers as seen on the forward path); loopback resolvers are never learned from")
      ("dns-queue", po::value(&o.kernel.dns_queue),
       "NFQUEUE number of the DNS answers, always with bypass (default: the queue after the flow queues, "
       "--queue-num + --queue-total); must not be one of the flow queues")
      ("strip-ech", po::bool_switch(&o.kernel.strip_ech),
       "remove the ech parameter from HTTPS/SVCB answers the enforcer passes on, so clients send a plain SNI");
}

void add_output_options(po::options_description& d, CommonOptions& o) {
  d.add_options()("output,o", po::value(&o.output)->default_value("text"), "text|json");
}

std::optional<std::uint16_t> resolve_queue_total(const std::string& text, unsigned cpus, std::ostream& err) {
  if (text == "auto") return static_cast<std::uint16_t>(std::clamp(cpus, 1u, kMaxAutoQueues));
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0 || v > 65535) {
    err << "nfegress: --queue-total must be auto or a number of queues, at least 1 (got '" << text << "')\n";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(v);
}

bool parse(int argc, char** argv, const std::string& usage, po::options_description& d,
           const po::positional_options_description& pos, CommonOptions& o, bool& help, std::ostream& out,
           std::ostream& err) {
  help = false;
  d.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(d).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    err << "nfegress: " << e.what() << "\n" << usage << "\n";
    return false;
  }
  if (vm.count("help")) {
    // The positional PATHS... is in the usage line; it is not a flag a user types.
    po::options_description visible("options");
    for (const auto& opt : d.options())
      if (opt->long_name() != "paths") visible.add(opt);
    out << usage << "\n\n" << visible << "\n";
    help = true;
    return true;
  }
  if (vm.count("source") && o.source != "files" && o.source != "kube") {
    err << "nfegress: --source must be files or kube\n";
    return false;
  }
  if (o.source == "kube") {
    if (!o.paths.empty()) {
      err << "nfegress: PATHS and --source kube exclude each other\n";
      return false;
    }
    o.paths = {"kube"};  // the API server is the input (commands test paths.empty() for "no input")
  } else if (vm.count("kubeconfig") && !o.watches_pods) {
    err << "nfegress: --kubeconfig needs --source kube\n";
    return false;
  }
  if (vm.count("cluster-networks") && !parse_cidrs("cluster-networks", o.cluster_networks, o.compile.cluster_networks, err))
    return false;
  if (vm.count("opaque-ports") && !parse_ports("opaque-ports", o.opaque_ports, o.compile.default_opaque_ports, err))
    return false;
  if (vm.count("ignore-ports") && !parse_ports("ignore-ports", o.ignore_ports, o.kernel.ignore_ports, err))
    return false;
  if (vm.count("ignore-cidrs") && !parse_cidrs("ignore-cidrs", o.ignore_cidrs, o.kernel.ignore_cidrs, err))
    return false;
  if (o.syn_ack_anchor != "auto" && o.syn_ack_anchor != "off") {
    err << "nfegress: --syn-ack-anchor must be auto or off\n";
    return false;
  }
  o.kernel.anchor_off = o.syn_ack_anchor == "off";
  if (vm.count("queue-impl")) {
    if (o.queue_impl == "auto") o.kernel.queue = policy::KernelOptions::Queue::Auto;
    else if (o.queue_impl == "native") o.kernel.queue = policy::KernelOptions::Queue::Native;
    else if (o.queue_impl == "compat") o.kernel.queue = policy::KernelOptions::Queue::Compat;
    else {
      err << "nfegress: --queue-impl must be auto, native or compat\n";
      return false;
    }
  }
  if (vm.count("mark-base")) {
    try {
      std::size_t used = 0;
      const unsigned long v = std::stoul(o.mark_base, &used, 0);
      // Two adjacent bits: base must be a power of two with room for base*3 in 32 bits.
      if (used != o.mark_base.size() || v == 0 || (v & (v - 1)) != 0 || v > 0x40000000UL) throw std::exception();
      o.kernel.mark_base = static_cast<std::uint32_t>(v);
    } catch (...) {
      err << "nfegress: --mark-base must be a power of two up to 0x40000000\n";
      return false;
    }
  }
  if (vm.count("exempt-uid")) o.kernel.exempt_uid = o.exempt_uid;
  if (vm.count("no-egress-guard")) o.kernel.egress_guard = !o.no_egress_guard;
  if (d.find_nothrow("queue-total", false)) {
    // auto never reaches past queue 65535: from a high --queue-num it takes the queues that are left.
    const unsigned cpus = std::min(std::thread::hardware_concurrency(), 65536u - o.kernel.queue_num);
    const auto total = resolve_queue_total(o.queue_total, cpus, err);
    if (!total) return false;
    if (o.kernel.queue_num + *total - 1u > 65535u) {
      err << "nfegress: --queue-num " << o.kernel.queue_num << " + --queue-total " << *total
          << " goes past queue 65535\n";
      return false;
    }
    o.kernel.queue_total = *total;
  }
  // Only for commands with the kernel options (reset and explain have none: no resolv.conf, no warnings).
  if (d.find_nothrow("name-binding", false) && !finish_dns_options(vm, o, err)) return false;
  if (vm.count("output") && o.output != "text" && o.output != "json") {
    err << "nfegress: --output must be text or json\n";
    return false;
  }
  return true;
}

}  // namespace nfegress::cli
