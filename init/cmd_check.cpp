// init/cmd_check.cpp — layer: command line. `nfegress check` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_check(int, char**) {
  std::cerr << "nfegress check: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
