// tests/netns/own_netns.hpp — the start of a privileged gtest binary (a netns-labelled ctest): it needs root, and
// moves itself into a network namespace of its own so that nothing it binds or programs touches the host's.
#pragma once
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace nfegress::test {

// nullopt: the process now runs in a fresh network namespace, go on. Otherwise the exit code: 77 (skipped) without
// root, 1 under CI=true (privileged tests never skip there) or when unshare fails.
inline std::optional<int> enter_own_netns(const char* needs) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "SKIP: needs root (%s)\n", needs);
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true" ? 1 : 77;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET)");
    return 1;
  }
  return std::nullopt;
}

}  // namespace nfegress::test
