// init/cmd_explain.cpp — layer: command line. `nfegress explain PATHS... --namespace NS --to IP:PORT ...`: why
// one destination (and what the traffic carried) is allowed, denied or untouched, through the same compile and
// match code the kernel rules and the enforcer use (policy/explain.hpp). No policy logic here.
// Exit 0 when explained (whatever the decision), 1 when the manifests are invalid, 2 on a usage error.
#include <iostream>

#include "enforcer/binding_check.hpp"
#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/program.hpp"
#include "init/source.hpp"
#include "policy/explain.hpp"

namespace nfegress::cli {
namespace {
const char* kUsage =
    "usage: nfegress explain PATHS... --namespace NS --to IP:PORT [--proto tcp|udp] [--sni NAME] [--host NAME]\n"
    "                        [--path P] [--method M] [--header NAME:VALUE]... [--output json] [compile options]\n"
    "Says whether traffic from a pod in namespace NS to IP:PORT ([IPv6]:PORT) is allowed, denied or untouched\n"
    "(no EgressNetwork captures it), which EgressNetwork and route decided, and why: candidates and their sizes,\n"
    "the tie-break, routes considered, conflicts and shadowing. --sni describes a TLS ClientHello; --host, --path,\n"
    "--method and --header an HTTP request. What is not given is absent from the traffic (no --sni on a TLSRoute\n"
    "port means a connection without SNI).\n"
    "Exit status: 0 explained (any decision), 1 invalid manifests, 2 usage error.";
}  // namespace

int cmd_explain(int argc, char** argv) {
  CommonOptions o;
  std::string to, proto = "tcp";
  policy::RequestFlags flags;
  std::string sni, host, path, method;
  std::vector<std::string> resolved;
  po::options_description d("explain options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_compile_options(d, o);
  add_output_options(d, o);
  d.add_options()
      ("to", po::value(&to), "destination IP:PORT or [IPv6]:PORT (required)")
      ("proto", po::value(&proto)->default_value("tcp"), "tcp|udp")
      ("sni", po::value(&sni), "TLS server name the client sends")
      ("host", po::value(&host), "HTTP Host (or :authority)")
      ("path", po::value(&path), "HTTP request path, may include ?query (default /)")
      ("method", po::value(&method), "HTTP method (default GET)")
      ("header", po::value(&flags.headers)->composing(), "HTTP request header NAME:VALUE (repeatable)")
      ("resolved", po::value(&resolved)->composing(),
       "NAME=IP[,IP...]: model the DNS answers the enforcer learned (repeatable); a hostname allow to an address "
       "its name does not resolve to is denied");
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (!require_namespace(o, "explain", std::cerr)) return 2;
  const auto dst = policy::parse_destination(to);
  if (!dst) {
    std::cerr << "nfegress explain: --to '" << to << "' is not IP:PORT or [IPv6]:PORT (port 1-65535)\n";
    return 2;
  }
  const auto pr = policy::parse_proto(proto);
  if (!pr) {
    std::cerr << "nfegress explain: --proto must be tcp or udp\n";
    return 2;
  }
  if (!sni.empty()) flags.sni = sni;
  if (!host.empty()) flags.host = host;
  if (!path.empty()) flags.path = path;
  if (!method.empty()) flags.method = method;
  std::string error;
  const auto request = policy::request_from_flags(flags, error);
  if (!request) {
    std::cerr << "nfegress explain: " << error << "\n";
    return 2;
  }
  const auto input = load_valid(o, "explain", std::cerr);
  if (!input) return o.paths.empty() ? 2 : 1;
  const auto plan = compile_input(o, *input, std::cerr);
  const policy::ExplainQuery q{dst->first, dst->second, *pr, *request};
  auto e = policy::explain(input->resources, plan, q);
  if (!enforcer::explain_binding(e, q, resolved, error)) {
    std::cerr << "nfegress explain: " << error << "\n";
    return 2;
  }
  std::cout << (o.output == "json" ? policy::explanation_json(e) : policy::explanation_text(e));
  return 0;
}

}  // namespace nfegress::cli
