// init/dns_options.cpp — layer: command line. See dns_options.hpp. Pure but for read_default_dns_servers.
#include "init/dns_options.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "init/cli.hpp"

namespace nfegress::cli {
namespace {

using NameBinding = policy::KernelOptions::NameBinding;

std::string joined(const std::vector<policy::IpAddr>& v) {
  std::string out;
  for (const auto& a : v) out += (out.empty() ? "" : ", ") + policy::format_ip(a);
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kNothingLearned = "nothing is learned: the enforcer resolves each name itself when a flow needs it";

}  // namespace

std::vector<policy::IpAddr> resolv_conf_nameservers(std::string_view text, const std::string& source,
                                                    std::vector<std::string>& warnings) {
  std::vector<policy::IpAddr> out;
  std::size_t lineno = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    const auto word = [&line]() {
      const auto b = line.find_first_not_of(" \t\r");
      if (b == std::string_view::npos) return std::string_view{};
      line.remove_prefix(b);
      const auto e = line.find_first_of(" \t\r");
      const auto w = line.substr(0, e);
      line.remove_prefix(w.size());
      return w;
    };
    if (word() != "nameserver") continue;  // comments (# ;), search, options, ...
    std::string_view addr = word();
    addr = addr.substr(0, addr.find('%'));  // fe80::1%eth0: the zone does not change the source address
    if (auto a = policy::parse_ip(addr)) {
      out.push_back(*a);
      continue;
    }
    warnings.push_back(source + ":" + std::to_string(lineno) + ": nameserver '" + std::string(addr) +
                       "' is not an IP address; skipped");
  }
  return out;
}

bool is_loopback_resolver(const policy::IpAddr& a) {
  if (a.family == policy::Family::V4) return (a.value >> 24) == 127 || a.value == 0;
  const policy::u128 v4mapped = policy::u128{0xffff} << 32;
  if ((a.value >> 32) == (v4mapped >> 32)) return ((a.value >> 24) & 0xff) == 127 || (a.value & 0xffffffffu) == 0;
  return a.value == 1 || a.value == 0;
}

DnsServers learnable_dns_servers(const std::vector<policy::IpAddr>& servers) {
  DnsServers out;
  std::vector<policy::IpAddr> loopback;
  for (const auto& a : servers) {
    auto& into = is_loopback_resolver(a) ? loopback : out.servers;
    if (std::find(into.begin(), into.end(), a) == into.end()) into.push_back(a);
  }
  if (!loopback.empty())
    out.warnings.push_back("DNS answers of " + joined(loopback) +
                           " (loopback) are never learned: on lo any process with CAP_NET_RAW can forge an answer; "
                           "the answers the upstream resolver sends to this host are learned instead, and the "
                           "enforcer resolves a name itself on a miss");
  return out;
}

DnsServers default_dns_servers(std::optional<std::string_view> etc_resolv, const std::string& etc_path,
                               std::optional<std::string_view> resolved_upstreams, const std::string& resolved_path) {
  std::vector<std::string> parse_warnings;
  const auto etc = etc_resolv ? resolv_conf_nameservers(*etc_resolv, etc_path, parse_warnings)
                              : std::vector<policy::IpAddr>{};
  DnsServers out = learnable_dns_servers(etc);
  std::string from = etc_path;
  if (out.servers.empty() && !etc.empty() && resolved_upstreams) {
    // Only a local stub: learn from the upstream resolvers it forwards to (their answers reach this host).
    auto up = learnable_dns_servers(resolv_conf_nameservers(*resolved_upstreams, resolved_path, parse_warnings));
    out.servers = std::move(up.servers);
    from = etc_path + " (loopback only) and " + resolved_path;
    if (!out.warnings.empty() && !out.servers.empty())
      out.warnings.back() += ": here the upstream resolvers of " + resolved_path + ", " + joined(out.servers);
  }
  out.warnings.insert(out.warnings.begin(), parse_warnings.begin(), parse_warnings.end());
  if (out.servers.empty())
    out.warnings.push_back("name binding: no DNS resolver to learn from in " +
                           (etc_resolv ? from : etc_path + " (unreadable)") + " (--dns-servers to name them); " +
                           kNothingLearned);
  return out;
}

DnsServers read_default_dns_servers(const CommonOptions& o) {
  const auto etc = read_file(o.resolv_conf);
  const auto resolved = read_file(o.resolved_conf);
  return default_dns_servers(etc ? std::optional<std::string_view>(*etc) : std::nullopt, o.resolv_conf,
                             resolved ? std::optional<std::string_view>(*resolved) : std::nullopt, o.resolved_conf);
}

std::vector<policy::IpAddr> read_resolv_conf_nameservers(const CommonOptions& o) {
  std::vector<std::string> warnings;  // the same lines init and export already warned about
  const auto text = read_file(o.resolv_conf);
  return text ? resolv_conf_nameservers(*text, o.resolv_conf, warnings) : std::vector<policy::IpAddr>{};
}

bool finish_dns_options(const boost::program_options::variables_map& vm, CommonOptions& o, std::ostream& err) {
  auto& k = o.kernel;
  if (o.name_binding == "off") k.name_binding = NameBinding::Off;
  else if (o.name_binding == "strict") k.name_binding = NameBinding::Strict;
  else if (o.name_binding == "resolve") k.name_binding = NameBinding::Resolve;
  else {
    err << "nfegress: --name-binding must be strict, resolve or off\n";
    return false;
  }
  // The DNS queue: its own number, never one of the flow queues (the enforcer tells them apart by number).
  const unsigned first = k.queue_num, total = std::max<unsigned>(1, k.queue_total), last = first + total - 1;
  if (vm.count("dns-queue")) {
    if (k.dns_queue == 0) {
      err << "nfegress: --dns-queue must be 1-65535\n";
      return false;
    }
  } else if (first + total <= 65535) {
    k.dns_queue = static_cast<std::uint16_t>(first + total);
  } else if (k.name_binding != NameBinding::Off) {
    err << "nfegress: --dns-queue: no queue number is left after the flow queues " << first << "-" << last
        << " (--queue-num, --queue-total); choose one\n";
    return false;
  }
  if (k.dns_queue >= first && k.dns_queue <= last) {
    err << "nfegress: --dns-queue " << k.dns_queue << " overlaps the flow queues " << first << "-" << last
        << " (--queue-num, --queue-total): DNS answers need a queue of their own\n";
    return false;
  }
  k.dns_servers.clear();
  if (k.name_binding == NameBinding::Off) return true;  // no DNS rules at all: today's behaviour
  DnsServers chosen;
  if (vm.count("dns-servers")) {
    std::vector<policy::IpAddr> given;
    std::stringstream in(o.dns_servers);
    std::string item;
    while (std::getline(in, item, ',')) {
      const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      if (b == std::string::npos) continue;
      const auto text = item.substr(b, e - b + 1);
      auto a = policy::parse_ip(text);
      if (!a) {
        err << "nfegress: --dns-servers: '" << text << "' is not an IP address\n";
        return false;
      }
      given.push_back(*a);
    }
    chosen = learnable_dns_servers(given);
    if (chosen.servers.empty())
      chosen.warnings.push_back(std::string("name binding: --dns-servers names no resolver to learn from; ") +
                                kNothingLearned);
  } else {
    chosen = read_default_dns_servers(o);
  }
  for (const auto& w : chosen.warnings) err << "nfegress: warning: " << w << "\n";
  k.dns_servers = std::move(chosen.servers);
  return true;
}

}  // namespace nfegress::cli
