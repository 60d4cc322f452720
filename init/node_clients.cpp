// init/node_clients.cpp — layer: command line. See node_clients.hpp. Reads the clients files; parsing is
// policy/clients.cpp's.
#include "init/node_clients.hpp"

#include <fstream>
#include <sstream>

namespace nfegress::cli {

std::vector<policy::Client> read_clients(const std::vector<std::string>& flags, const std::vector<std::string>& files,
                                         std::vector<std::string>& errors) {
  std::vector<policy::Client> out;
  for (const auto& f : flags) {
    std::string err;
    if (auto c = policy::parse_client(f, "--client " + f, err)) out.push_back(std::move(*c));
    else errors.push_back(err);
  }
  for (const auto& path : files) {
    std::ifstream in(path);
    if (!in) {
      errors.push_back(path + ": cannot read the clients file");
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto e = policy::parse_clients_file(ss.str(), path, out);
    errors.insert(errors.end(), e.begin(), e.end());
  }
  auto e = policy::normalize_clients(out);
  errors.insert(errors.end(), e.begin(), e.end());
  return out;
}

}  // namespace nfegress::cli
