// init/cmd_reset.cpp — layer: command line. `nfegress reset` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_reset(int, char**) {
  std::cerr << "nfegress reset: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
