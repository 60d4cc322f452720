// init/cmd_export.cpp — layer: command line. `nfegress export` (stub until implemented).
#include <iostream>

#include "init/commands.hpp"

namespace nfegress::cli {
int cmd_export(int, char**) {
  std::cerr << "nfegress export: not implemented yet\n";
  return 2;
}
}  // namespace nfegress::cli
