#ifndef LAYER_VAULT_CLIENT_VAULTCTL_COMMAND_H_
#define LAYER_VAULT_CLIENT_VAULTCTL_COMMAND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

// Terminal is what vaultctl knows about where its output goes. The default
// (no terminal) is what tests and pipes get: plain text, no progress.
struct Terminal {
  bool stdout_is_tty = false;
  bool stderr_is_tty = false;
  bool no_color = false;  // $NO_COLOR set and non-empty (no-color.org)

  // isatty(1), isatty(2) and $NO_COLOR of this process.
  static Terminal FromProcess();
};

// Style decorates the text of one output stream: ANSI colours when it is
// on, the text unchanged when it is off. Cheap to copy.
class Style {
 public:
  enum class Color { kRed, kGreen, kYellow };

  // The one decision: colour only on a terminal, without $NO_COLOR, and
  // never for --json (`machine_readable`).
  static Style For(bool is_tty, bool no_color, bool machine_readable) {
    return Style(is_tty && !no_color && !machine_readable);
  }
  explicit Style(bool color) : color_(color) {}

  bool color() const { return color_; }
  // `text` wrapped in the colour's escape codes, or `text` if off.
  std::string Paint(Color color, absl::string_view text) const;

 private:
  bool color_;
};

// Context is everything a command touches outside its flags; the binary
// wires the real process, tests can wire fakes. Output written through
// Out()/Err() is passed through common::Redact, so nothing token-shaped
// leaves vaultctl even by mistake.
class Context {
 public:
  Context(std::ostream& out, std::ostream& err, int stdin_fd,
          std::string tty_path, const common::Clock& clock,
          store::KeyEnvironment key_env, Terminal terminal = {})
      : out_(out),
        err_(err),
        stdin_fd_(stdin_fd),
        tty_path_(std::move(tty_path)),
        clock_(clock),
        key_env_(std::move(key_env)),
        terminal_(terminal) {}

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

  // Set by RunCommandLine when the command got --json: no colour and no
  // progress, whatever the terminal.
  void set_machine_readable(bool on) { machine_readable_ = on; }
  // How to decorate Out() and Err() text (see Style::For).
  Style OutStyle() const {
    return Style::For(terminal_.stdout_is_tty, terminal_.no_color,
                      machine_readable_);
  }
  Style ErrStyle() const {
    return Style::For(terminal_.stderr_is_tty, terminal_.no_color,
                      machine_readable_);
  }
  // True if progress lines go to stderr: it is a terminal, and no --json.
  // Not affected by $NO_COLOR (progress is not colour).
  bool ShowProgress() const {
    return terminal_.stderr_is_tty && !machine_readable_;
  }

 private:
  std::ostream& out_;
  std::ostream& err_;
  int stdin_fd_;
  std::string tty_path_;
  const common::Clock& clock_;
  store::KeyEnvironment key_env_;
  Terminal terminal_;
  bool machine_readable_ = false;
};

// Progress reports one slow step on stderr when Context::ShowProgress():
// "<what>..." when constructed, " done (0.14 s)" and a newline when
// destroyed (time from the context's clock). Prints nothing otherwise.
// `ctx` must outlive it. Not copyable.
class Progress {
 public:
  Progress(Context& ctx, absl::string_view what);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  Context& ctx_;
  bool shown_;
  absl::Time start_;
};

// "600,000": `n` with thousands separators, for progress lines.
std::string GroupDigits(uint64_t n);

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
