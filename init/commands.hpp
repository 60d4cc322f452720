// init/commands.hpp — layer: command line. One entry point per subcommand; main.cpp dispatches.
// argv[0] is the subcommand name. Each returns the process exit code.
#pragma once

namespace nfegress::cli {
int cmd_check(int argc, char** argv);
int cmd_explain(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_init(int argc, char** argv);
int cmd_reset(int argc, char** argv);
int cmd_status(int argc, char** argv);
int cmd_enforce(int argc, char** argv);
int cmd_suggest(int argc, char** argv);
int cmd_gateway(int argc, char** argv);
int cmd_node(int argc, char** argv);
}  // namespace nfegress::cli
