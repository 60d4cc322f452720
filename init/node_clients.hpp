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

// A value replaced as a whole and read as a copy from several threads: the current clients (set by the pod watch
// or once from the flags, read by every prepare), the last valid input.
template <typename T>
class Guarded {
 public:
  void set(T v) {
    std::lock_guard lock(mu_);
    v_ = std::move(v);
  }
  T get() const {
    std::lock_guard lock(mu_);
    return v_;
  }

 private:
  mutable std::mutex mu_;
  T v_;
};
using NodeClients = Guarded<std::vector<policy::Client>>;

}  // namespace nfegress::cli
