// init/cmd_status.cpp — layer: command line. `nfegress status` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_status(int, char**) {
  std::cerr << "nfegress status: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
