// init/gateway_clients.cpp — layer: command line. See gateway_clients.hpp.
#include "init/gateway_clients.hpp"

#include <algorithm>
#include <ostream>

namespace nfegress::cli {

bool same_clients(const std::vector<policy::Client>& a, const std::vector<policy::Client>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const policy::Client& x, const policy::Client& y) {
    return x.prefix == y.prefix && x.ns == y.ns;
  });
}

std::unique_ptr<ClientsReload> ClientsReload::start(boost::asio::io_context& io, std::vector<std::string> flags,
                                                    std::vector<std::string> files,
                                                    std::shared_ptr<NodeClients> clients,
                                                    std::function<void()> changed, std::ostream& log,
                                                    std::string& error) {
  std::unique_ptr<ClientsReload> r(new ClientsReload());
  auto reread = [flags, files, clients, changed = std::move(changed), &log](const std::string& why) {
    std::vector<std::string> errors;
    auto next = read_clients(flags, files, errors);
    if (!errors.empty()) {
      for (const auto& e : errors) log << "nfegress gateway: " << e << "\n";
      log << "nfegress gateway: clients not reloaded (" << why << "): " << errors.size()
          << " error(s); the previous " << clients->get().size() << " client(s) stay in force\n";
      return;
    }
    if (same_clients(next, clients->get())) return;
    log << "nfegress gateway: clients reloaded (" << why << "): " << next.size() << " client(s)\n";
    clients->set(std::move(next));
    changed();
  };
  r->watch_ = std::make_unique<enforcer::ReloadWatch>(io, std::move(files), std::move(reread));
  if (!r->watch_->start(error)) return nullptr;
  return r;
}

void ClientsReload::stop() {
  if (watch_) watch_->stop();
}

}  // namespace nfegress::cli
