#ifndef LAYER_VAULT_CLIENT_VAULTCTL_COMMAND_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_COMMAND_H_

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "vaultd/store/key_source.h"

namespace layer_vault::vaultctl {

// FlagSpec declares one --flag of a command. A spec with an empty `name`
// declares a required positional argument instead (e.g. `revoke JTI`): its
// value is stored under `value_name` ("JTI"). Positional arguments fill the
// positional specs in order; "--" ends the flags, so a value that starts
// with "--" can still be passed. A command without positional specs keeps
// refusing stray arguments without echoing them (they may be secrets).
struct FlagSpec {
  std::string name;        // without the leading "--"; empty: positional
  std::string value_name;  // e.g. "DIR"; empty for a boolean flag
  std::string help;
};

// Flags is a parsed command line: flag values by name. Booleans map to "".
class Flags {
 public:
  bool Has(absl::string_view name) const;
  // The value of `name`, or `fallback` if it was not given.
  std::string Get(absl::string_view name, absl::string_view fallback = "") const;
  void Set(std::string name, std::string value);

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Context is everything a command touches outside its flags; the binary
// wires the real process, tests can wire fakes. Output written through
// Out()/Err() is passed through common::Redact, so nothing token-shaped
// leaves vaultctl even by mistake.
class Context {
 public:
  Context(std::ostream& out, std::ostream& err, int stdin_fd,
          std::string tty_path, const common::Clock& clock,
          store::KeyEnvironment key_env)
      : out_(out),
        err_(err),
        stdin_fd_(stdin_fd),
        tty_path_(std::move(tty_path)),
        clock_(clock),
        key_env_(std::move(key_env)) {}

  void Out(absl::string_view text);
  void Err(absl::string_view text);
  // Prints "vaultctl: <message>" on stderr and returns the exit code.
  int Fail(const absl::Status& status);
  int Usage(absl::string_view command, absl::string_view message);

  int stdin_fd() const { return stdin_fd_; }
  const std::string& tty_path() const { return tty_path_; }
  absl::Time Now() const { return clock_.Now(); }
  const store::KeyEnvironment& key_env() const { return key_env_; }
  void set_key_env(store::KeyEnvironment env) { key_env_ = std::move(env); }

 private:
  std::ostream& out_;
  std::ostream& err_;
  int stdin_fd_;
  std::string tty_path_;
  const common::Clock& clock_;
  store::KeyEnvironment key_env_;
};

// Command is one entry of the dispatch table.
struct Command {
  std::string name;     // "set-token"
  std::string summary;  // one line for `vaultctl --help`
  std::string usage;    // "vaultctl set-token [flags]"
  std::string description;
  std::vector<FlagSpec> flags;  // --help is implicit
  // Extra text after the generic exit-code table (e.g. doctor's 0/1/2).
  std::string exit_code_note;
  // Runs the command; returns the process exit code.
  std::function<int(const Flags&, Context&)> run;
};

// CommandTable maps names to commands. Command groups register themselves
// (AddOfflineCommands; online commands later in their own file).
class CommandTable {
 public:
  // Crashes on a duplicate name: a broken invariant of the program.
  void Add(Command command);
  // Replaces the command of the same name (e.g. online commands extending
  // an offline one). Crashes if there is none.
  void Replace(Command command);
  const Command* Find(absl::string_view name) const;
  const std::vector<Command>& commands() const { return commands_; }

 private:
  std::vector<Command> commands_;
};

// Runs `args` (argv without argv[0]) against `table`: global --help / help,
// then the command with its flags. Returns the exit code (exit_codes.h).
int RunCommandLine(const CommandTable& table,
                   const std::vector<std::string>& args, Context& ctx);

// Help texts, public for tests.
std::string GlobalHelp(const CommandTable& table);
std::string CommandHelp(const Command& command);

}  // namespace layer_vault::vaultctl

#endif  // LAYER_VAULT_CLIENT_VAULTCTL_COMMAND_H_
