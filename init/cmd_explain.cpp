// init/cmd_explain.cpp — layer: command line. `nfegress explain` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_explain(int, char**) {
  std::cerr << "nfegress explain: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
