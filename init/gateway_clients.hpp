// init/gateway_clients.hpp — layer: command line. `nfegress gateway --clients-file F`: the files are watched
// (enforcer/reload_watch: inotify on their directories, debounced, and SIGHUP) and read again whole; a list that
// differs from the current one (address or namespace) replaces it and `changed` re-applies the policy with it (the
// same small update as a node's pod change: one element per client). A file that cannot be read or has any error
// keeps the previous list (and the kernel's table) and logs every FILE:LINE error: never half-applied.
// No policy logic; no kernel.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "enforcer/reload_watch.hpp"
#include "init/node_clients.hpp"

namespace nfegress::cli {

class ClientsReload {
 public:
  // `flags` (--client) and `files` (--clients-file) as at start; `changed` runs on the io_context after `clients`
  // was replaced. nullptr (error set) when the watch cannot be installed.
  static std::unique_ptr<ClientsReload> start(boost::asio::io_context& io, std::vector<std::string> flags,
                                              std::vector<std::string> files, std::shared_ptr<NodeClients> clients,
                                              std::function<void()> changed, std::ostream& log, std::string& error);
  void stop();

 private:
  ClientsReload() = default;
  std::unique_ptr<enforcer::ReloadWatch> watch_;
};

// Same addresses with the same namespaces, in order (where they were written does not matter).
bool same_clients(const std::vector<policy::Client>& a, const std::vector<policy::Client>& b);

}  // namespace nfegress::cli
