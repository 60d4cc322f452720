// init/cmd_suggest.cpp — layer: command line. `nfegress suggest [FILES...]`: read decision-log lines (files, or
// stdin for none or '-'), hand the records to policy::suggest() and print the YAML it returns. Lines that are not
// decision-log records are skipped and counted on stderr (the first few with FILE:LINE). Exit 0 when suggested,
// 1 when an input cannot be read, 2 on a usage error. No policy logic here.
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>

#include "init/cli.hpp"
#include "init/commands.hpp"
#include "policy/suggest.hpp"

namespace nfegress::cli {
namespace {

const char* kUsage =
    "usage: nfegress suggest [FILES...] [--namespace NS] [--global-namespace NS] [--aggregate /N[,/M]]\n"
    "                        [--path-depth N] [--wildcard-depth N] [--no-catch-all] [--opaque-ports PORTS]\n"
    "Prints the EgressNetworks (Deny) and routes that would have allowed every flow in the decision logs given\n"
    "(JSON lines of `nfegress enforce`, files or '-' for stdin; stdin when none), for review and `nfegress check`.";

constexpr std::size_t kShownSkips = 5;

bool parse_len(std::string_view s, unsigned max, unsigned& out) {
  if (!s.empty() && s.front() == '/') s.remove_prefix(1);
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return false;
  out = v;
  return true;
}

// "/N" (IPv4) or "/N,/M" (IPv4, IPv6).
bool parse_aggregate(const std::string& text, policy::SuggestOptions& o) {
  const auto comma = text.find(',');
  if (!parse_len(std::string_view(text).substr(0, comma), 32, o.aggregate_v4)) return false;
  return comma == std::string::npos || parse_len(std::string_view(text).substr(comma + 1), 128, o.aggregate_v6);
}

struct Input {
  std::vector<policy::SuggestRecord> records;
  std::size_t skipped = 0;
  std::vector<std::string> shown;  // "FILE:LINE: why" of the first kShownSkips
};

void read_lines(std::istream& in, const std::string& name, Input& input) {
  std::string line, why;
  for (std::size_t no = 1; std::getline(in, line); ++no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (auto r = policy::parse_decision_line(line, &why)) {
      input.records.push_back(std::move(*r));
    } else if (++input.skipped <= kShownSkips) {
      input.shown.push_back(name + ":" + std::to_string(no) + ": " + why);
    }
  }
}

}  // namespace

int cmd_suggest(int argc, char** argv) {
  CommonOptions common;
  policy::SuggestOptions o;
  std::vector<std::string> files;
  std::string aggregate;
  bool no_catch_all = false;
  po::options_description d("suggest options");
  po::positional_options_description pos;
  pos.add("paths", -1);
  d.add_options()
      ("paths", po::value(&files), "decision-log files ('-': stdin)")
      ("namespace,n", po::value(&o.ns), "put every resource in NS (default: each client namespace's own)")
      ("global-namespace", po::value(&o.global_ns)->default_value("linkerd-egress"),
       "namespace of the resources for records without a client namespace")
      ("aggregate", po::value(&aggregate),
       "merge addresses sharing a /N (IPv4) or /M (IPv6) into their smallest covering prefix (default: none)")
      ("path-depth", po::value(&o.path_depth)->default_value(1), "path segments kept in HTTPRoute PathPrefixes")
      ("wildcard-depth", po::value(&o.wildcard_depth)->default_value(0),
       "name *.LAST-N-LABELS when 2+ hostnames share it (default 0: exact hostnames only)")
      ("no-catch-all", po::bool_switch(&no_catch_all), "no Deny EgressNetwork for the addresses not seen")
      ("opaque-ports", po::value(&common.opaque_ports),
       "ports given a TCPRoute whatever was seen (default 25,587,3306,4444,5432,6379,9300,11211, as check)");
  bool help = false;
  if (!parse(argc, argv, kUsage, d, pos, common, help, std::cout, std::cerr)) return 2;
  if (help) return 0;
  if (!aggregate.empty() && !parse_aggregate(aggregate, o)) {
    std::cerr << "nfegress suggest: --aggregate: '" << aggregate << "' is not /N (0-32) or /N,/M (M 0-128)\n";
    return 2;
  }
  o.catch_all = !no_catch_all;
  o.opaque_ports = common.compile.default_opaque_ports;
  if (files.empty()) files = {"-"};
  Input input;
  for (const auto& f : files) {
    if (f == "-") {
      read_lines(std::cin, "stdin", input);
      continue;
    }
    std::ifstream in(f);
    if (!in) {
      std::cerr << "nfegress suggest: " << f << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    read_lines(in, f, input);
  }
  if (input.skipped) {
    std::cerr << "nfegress suggest: skipped " << input.skipped << " line(s) that are not decision-log records"
              << (input.skipped > kShownSkips ? " (the first " + std::to_string(kShownSkips) + ")" : "") << ":\n";
    for (const auto& s : input.shown) std::cerr << "  " << s << "\n";
  }
  std::cout << policy::suggest(input.records, o);
  return 0;
}

}  // namespace nfegress::cli
