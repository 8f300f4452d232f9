// vaultctl: the layer-vault admin CLI. Thin: wires the process (stdio,
// /dev/tty, clock, $CREDENTIALS_DIRECTORY, whether stdout/stderr are
// terminals and $NO_COLOR) to the command table. The
// commands live in client/vaultctl/; exit codes are documented in
// client/vaultctl/exit_codes.h and printed by `vaultctl --help`.
#include <sys/prctl.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "client/vaultctl/command.h"
#include "client/vaultctl/offline_commands.h"
#include "client/vaultctl/online_commands.h"
#include "common/clock.h"
#include "vaultd/store/key_source.h"

int main(int argc, char** argv) {
  // vaultctl holds the PAT and passphrases in memory: no core dumps and no
  // ptrace by other processes of this user. (RLIMIT_CORE stays as it was:
  // doctor reports it for the user.)
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  layer_vault::vaultctl::CommandTable table;
  layer_vault::vaultctl::AddOfflineCommands(table);
  layer_vault::vaultctl::AddOnlineCommands(table);

  layer_vault::vaultctl::Context ctx(
      std::cout, std::cerr, STDIN_FILENO, "/dev/tty",
      *layer_vault::common::RealClock(),
      layer_vault::store::KeyEnvironment::FromProcess(),
      layer_vault::vaultctl::Terminal::FromProcess());
  std::vector<std::string> args(argv + 1, argv + argc);
  return layer_vault::vaultctl::RunCommandLine(table, args, ctx);
}
