// init/cmd_check.cpp — layer: command line. `nfegress check PATHS...`: load and validate manifests, print every
// diagnostic (stderr, text) or a per-resource report with Linkerd-style conditions (stdout, --output json).
// Exit 0 when valid (warnings allowed), 1 when there are errors, 2 on a usage error. No policy logic here.
#include <iostream>
#include <nlohmann/json.hpp>

#include "init/cli.hpp"
#include "init/commands.hpp"
#include "init/source.hpp"
#include "policy/load.hpp"

namespace nfegress::cli {
namespace {

using nlohmann::json;
using policy::Diagnostic;
using policy::Severity;

const char* kUsage =
    "usage: nfegress check PATHS... [--output json] [--verbose] [--default-namespace NS] [--global-namespace NS]\n"
    "                      [--cluster-networks CIDRS] [--opaque-ports PORTS]\n"
    "Validates EgressNetwork and route manifests (files, directories, '-' for stdin).\n"
    "Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error.";

json diag_json(const Diagnostic& d) {
  json j = {{"file", d.loc.file}, {"line", d.loc.line}, {"column", d.loc.column}, {"field", d.field},
            {"message", d.message}, {"text", d.format()}};
  if (!d.reason.empty()) j["reason"] = d.reason;
  return j;
}

struct Condition {
  std::string type;
  bool ok = true;
  std::string reason;
  std::string message;
};

json resource_json(const std::string& kind, const policy::ObjectMeta& m, bool is_route,
                   const policy::Diagnostics& diags) {
  std::vector<Condition> conds = {{"Accepted", true, "Accepted", ""}};
  if (is_route) conds.push_back({"ResolvedRefs", true, "ResolvedRefs", ""});
  json errors = json::array(), warnings = json::array();
  std::vector<const Diagnostic*> mine;
  for (const auto& d : diags)
    if (d.kind == kind && d.ns == m.ns && d.name == m.name) mine.push_back(&d);
  // An error makes the resource not Accepted ("Invalid") whatever else is found; then the first finding that
  // implies a condition decides it.
  for (const auto* d : mine) {
    (d->severity == Severity::Error ? errors : warnings).push_back(diag_json(*d));
    if (d->severity == Severity::Error && conds[0].ok)
      conds[0] = {"Accepted", false, "Invalid", d->field.empty() ? d->message : d->field + ": " + d->message};
  }
  for (const auto* d : mine)
    for (auto& c : conds)
      if (c.ok && d->condition == c.type) c = {c.type, false, d->reason, d->message};
  json jc = json::array();
  for (const auto& c : conds)
    jc.push_back({{"type", c.type}, {"status", c.ok ? "True" : "False"}, {"reason", c.reason}, {"message", c.message}});
  return {{"kind", kind},         {"namespace", m.ns},  {"name", m.name},       {"file", m.loc.file},
          {"line", m.loc.line},   {"conditions", jc},   {"errors", errors},     {"warnings", warnings}};
}

json report_json(const policy::LoadResult& r) {
  json resources = json::array();
  for (const auto& en : r.resources.networks) resources.push_back(resource_json("EgressNetwork", en.meta, false, r.diagnostics));
  for (const auto& rt : r.resources.routes)
    resources.push_back(resource_json(policy::route_kind_name(rt.kind), rt.meta, true, r.diagnostics));
  json errors = json::array(), warnings = json::array();
  for (const auto& d : r.diagnostics)
    if (d.kind.empty()) (d.severity == Severity::Error ? errors : warnings).push_back(diag_json(d));
  return {{"valid", !policy::has_errors(r.diagnostics)},
          {"files", r.files},
          {"resources", resources},
          {"errors", errors},
          {"warnings", warnings},
          {"skipped", r.skipped}};
}

}  // namespace

int cmd_check(int argc, char** argv) {
  CommonOptions o;
  po::options_description d("check options");
  po::positional_options_description pos;
  add_input_options(d, pos, o);
  add_output_options(d, o);
  d.add_options()
      ("global-namespace", po::value(&o.compile.global_ns)->default_value("linkerd-egress"), "global egress namespace")
      ("cluster-networks", po::value(&o.cluster_networks),
       "comma-separated cluster networks (default 10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8)")
      ("opaque-ports", po::value(&o.opaque_ports), "default opaque ports (default 25,587,3306,4444,5432,6379,9300,11211)");
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, o, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (o.paths.empty()) {
    std::cerr << "nfegress check: no input (give files, directories or '-')\n" << kUsage << "\n";
    return 2;
  }
  const auto result = load_input(o);
  const bool valid = !policy::has_errors(result.diagnostics);
  if (o.output == "json") {
    std::cout << report_json(result).dump(2) << "\n";
    return valid ? 0 : 1;
  }
  std::size_t errors = 0, warnings = 0;
  for (const auto& x : result.diagnostics) {
    std::cerr << x.format() << "\n";
    ++(x.severity == Severity::Error ? errors : warnings);
  }
  if (o.load.verbose)
    for (const auto& s : result.skipped) std::cerr << s << "\n";
  std::cout << (valid ? "valid" : "invalid") << ": " << result.resources.networks.size() << " EgressNetwork(s), "
            << result.resources.routes.size() << " route(s) in " << result.files.size() << " file(s); " << errors
            << " error(s), " << warnings << " warning(s)";
  if (!result.skipped.empty()) std::cout << ", " << result.skipped.size() << " skipped";
  std::cout << "\n";
  return valid ? 0 : 1;
}

}  // namespace nfegress::cli
