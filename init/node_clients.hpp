// init/node_clients.hpp — layer: command line. Where node and gateway mode's clients come from: `--client
// CIDR=NAMESPACE` (repeatable) and `--clients-file F` (one per line, policy/clients.hpp), and the live list a
// pod watch keeps (NodeClients: thread-safe, read by every prepare). No policy logic.
#pragma once
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "policy/clients.hpp"

namespace nfegress::cli {

// Parses every --client and reads every --clients-file; `errors` gets one line per problem (FILE:LINE: ...,
// --client: ..., overlaps naming both places). The result is normalized (sorted, disjoint).
std::vector<policy::Client> read_clients(const std::vector<std::string>& flags, const std::vector<std::string>& files,
                                         std::vector<std::string>& errors);

// The current clients, replaced as a whole by the pod watch (or set once from the flags).
class NodeClients {
 public:
  void set(std::vector<policy::Client> c) {
    std::lock_guard lock(mu_);
    clients_ = std::move(c);
  }
  std::vector<policy::Client> get() const {
    std::lock_guard lock(mu_);
    return clients_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<policy::Client> clients_;
};

}  // namespace nfegress::cli
