// init/dns_options.hpp — layer: command line. The name-binding options (--name-binding, --dns-servers,
// --dns-queue, --strip-ech) turned into policy::KernelOptions: which resolvers' answers the kernel queues to the
// enforcer, and on which queue. The resolv.conf reading is a pure function of the files' text (tested without
// files); reading them is one thin function. No netlink, no DNS here.
#pragma once
#include <boost/program_options.hpp>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/ip.hpp"
#include "policy/plan.hpp"

namespace nfegress::cli {

struct CommonOptions;

// Resolvers to learn from, and what the user should hear about them (one line each, no "nfegress:" prefix).
struct DnsServers {
  std::vector<policy::IpAddr> servers;  // never a loopback or unspecified address; no duplicates; in given order
  std::vector<std::string> warnings;
};

// The `nameserver` addresses of a resolv.conf text, in order, loopback ones included (an IPv6 zone, `%eth0`, is
// dropped). A nameserver line whose address does not parse is skipped with a warning naming `source` and the line.
std::vector<policy::IpAddr> resolv_conf_nameservers(std::string_view text, const std::string& source,
                                                    std::vector<std::string>& warnings);

// 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104, and the unspecified 0.0.0.0 / :: (resolv.conf's "this host").
bool is_loopback_resolver(const policy::IpAddr& a);

// The learnable ones of `servers`: loopback resolvers dropped with ONE warning naming them (an answer on lo can
// be forged by any process with CAP_NET_RAW: the answers the upstream resolver sends to the host are learned
// instead, and the enforcer resolves a name itself on a miss); duplicates dropped.
DnsServers learnable_dns_servers(const std::vector<policy::IpAddr>& servers);

// The default of --dns-servers: the nameservers of `etc_resolv` (/etc/resolv.conf); when those are all loopback (a
// local stub: systemd-resolved's 127.0.0.53, a node-local cache), the nameservers of `resolved_upstreams`
// (/run/systemd/resolve/resolv.conf; nullopt: absent). No server left: a warning that nothing is learned (the
// enforcer resolves on a miss), not an error. `etc_resolv` nullopt: the file could not be read.
DnsServers default_dns_servers(std::optional<std::string_view> etc_resolv, const std::string& etc_path,
                               std::optional<std::string_view> resolved_upstreams, const std::string& resolved_path);

// Thin: reads the two files of `o` and calls default_dns_servers.
DnsServers read_default_dns_servers(const CommonOptions& o);

// Thin: every nameserver of `o`'s resolv.conf, loopback ones included (what the namespace's own processes ask; the
// enforcer resolves a miss through them). Empty when the file cannot be read or names none.
std::vector<policy::IpAddr> read_resolv_conf_nameservers(const CommonOptions& o);

// Fills o.kernel's name-binding fields from the parsed options: the mode, the servers (--dns-servers, or the
// default above when name binding is on), and the DNS queue (--dns-queue, default the queue after the flow queues;
// an overlap with the flow queues is an error). Warnings go to `err` as "nfegress: warning: ..." lines. False after
// printing the error when an option is invalid.
bool finish_dns_options(const boost::program_options::variables_map& vm, CommonOptions& o, std::ostream& err);

}  // namespace nfegress::cli
