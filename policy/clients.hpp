// policy/clients.hpp — layer: pure model. Node and gateway mode: which client namespace a packet belongs to, by
// its source address. A client is a prefix (a pod's address as /32 or /128, or a gateway's `--client CIDR=NS`)
// and the namespace whose policy applies to it. Prefixes never overlap (the kernel's interval map refuses that
// too): one address, one namespace.
// Must not: read files (the caller gives the text), touch the kernel.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/ip.hpp"

namespace nfegress::policy {

struct Client {
  IpPrefix prefix;
  std::string ns;
  std::string where;  // where it came from, for errors: "--client", "clients.txt:3", "Pod team-a/web-1"
  friend bool operator==(const Client&, const Client&) = default;
};

// A Kubernetes namespace name (RFC 1123 label: lowercase alphanumerics and '-', at most 63).
bool valid_namespace(std::string_view ns);

// "CIDR=NAMESPACE" (a bare address is a /32 or /128). nullopt with `error` set ("WHERE: ...") when malformed.
std::optional<Client> parse_client(std::string_view text, const std::string& where, std::string& error);

// A clients file: one CIDR=NAMESPACE per line; blank lines and lines starting with '#' are skipped. Errors name
// the file and the line ("FILE:LINE: ..."); every line is checked.
std::vector<std::string> parse_clients_file(std::string_view text, const std::string& file, std::vector<Client>& out);

// Sorts by address and drops exact repeats; an entry overlapping an earlier one is dropped with an error naming
// both ("clients.txt:4: 192.0.2.0/28=b overlaps 192.0.2.0/24=a (--client)").
std::vector<std::string> normalize_clients(std::vector<Client>& clients);

// The client whose prefix holds `a` in clients sorted by normalize_clients; nullptr when none does.
const Client* find_client(const std::vector<Client>& clients, const IpAddr& a);

}  // namespace nfegress::policy
