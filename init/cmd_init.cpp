// init/cmd_init.cpp — layer: command line. `nfegress init` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_init(int, char**) {
  std::cerr << "nfegress init: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
