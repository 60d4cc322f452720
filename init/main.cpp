// init/main.cpp — the `nfegress` binary: dispatch to a subcommand. Nothing else lives here.
#include <cstring>
#include <iostream>

#include "init/commands.hpp"

namespace {
struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"check", nfegress::cli::cmd_check, "validate manifests (exit 1 when invalid)"},
    {"explain", nfegress::cli::cmd_explain, "say why a destination is allowed, denied or untouched"},
    {"export", nfegress::cli::cmd_export, "print the exact nftables ruleset init programs (nft or json)"},
    {"init", nfegress::cli::cmd_init, "compile and program the ruleset into this network namespace"},
    {"reset", nfegress::cli::cmd_reset, "remove nfegress's table from this network namespace"},
    {"status", nfegress::cli::cmd_status, "show what is programmed and whether it matches the manifests"},
    {"enforce", nfegress::cli::cmd_enforce, "decide queued flows by TLS SNI / HTTP request"},
    {"gateway", nfegress::cli::cmd_gateway, "enforce the policy of each client's namespace on routed traffic"},
    {"node", nfegress::cli::cmd_node, "enforce the policy of each pod's namespace on this node's forward path"},
    {"suggest", nfegress::cli::cmd_suggest, "print the policy that would allow every flow of a decision log"},
};

void usage(std::ostream& o) {
  o << "usage: nfegress COMMAND [OPTIONS]   (nfegress COMMAND --help for details)\n\ncommands:\n";
  for (const auto& c : kCommands) o << "  " << c.name << std::string(10 - std::strlen(c.name), ' ') << c.summary << "\n";
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const char* sub = argv[1];
  if (!std::strcmp(sub, "--help") || !std::strcmp(sub, "-h") || !std::strcmp(sub, "help")) {
    usage(std::cout);
    return 0;
  }
  if (!std::strcmp(sub, "--version")) {
    std::cout << "nfegress " << NFEGRESS_VERSION << "\n";
    return 0;
  }
  for (const auto& c : kCommands)
    if (!std::strcmp(sub, c.name)) return c.fn(argc - 1, argv + 1);
  std::cerr << "nfegress: unknown command '" << sub << "'\n";
  usage(std::cerr);
  return 2;
}
