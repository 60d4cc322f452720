// enforcer/cmd_enforce.cpp — layer: command line. `nfegress enforce` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_enforce(int, char**) {
  std::cerr << "nfegress enforce: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
