#include "client/vaultctl/command.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/vaultctl/exit_codes.h"
#include "common/redact.h"

namespace layer_vault::vaultctl {
namespace {

const FlagSpec* FindFlag(const Command& command, absl::string_view name) {
  if (name.empty()) return nullptr;
  for (const FlagSpec& flag : command.flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// The first positional spec of `command` that `flags` has no value for.
const FlagSpec* NextPositional(const Command& command, const Flags& flags) {
  for (const FlagSpec& flag : command.flags) {
    if (flag.name.empty() && !flags.Has(flag.value_name)) return &flag;
  }
  return nullptr;
}

}  // namespace

bool Flags::Has(absl::string_view name) const {
  return values_.find(name) != values_.end();
}

std::string Flags::Get(absl::string_view name,
                       absl::string_view fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second;
}

void Flags::Set(std::string name, std::string value) {
  values_[std::move(name)] = std::move(value);
}

Terminal Terminal::FromProcess() {
  const char* no_color = getenv("NO_COLOR");
  return {isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1,
          no_color != nullptr && *no_color != '\0'};
}

std::string Style::Paint(Color color, absl::string_view text) const {
  if (!color_) return std::string(text);
  absl::string_view code = "31";
  switch (color) {
    case Color::kRed:
      code = "31";
      break;
    case Color::kGreen:
      code = "32";
      break;
    case Color::kYellow:
      code = "33";
      break;
  }
  return absl::StrCat("\x1b[", code, "m", text, "\x1b[0m");
}

Progress::Progress(Context& ctx, absl::string_view what)
    : ctx_(ctx), shown_(ctx.ShowProgress()), start_(ctx.Now()) {
  if (shown_) ctx_.Err(absl::StrCat(what, "..."));
}

Progress::~Progress() {
  if (!shown_) return;
  ctx_.Err(absl::StrFormat(" done (%.2f s)\n",
                           absl::ToDoubleSeconds(ctx_.Now() - start_)));
}

std::string GroupDigits(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void Context::Out(absl::string_view text) {
  out_ << common::Redact(text);
  out_.flush();
}

void Context::Err(absl::string_view text) {
  err_ << common::Redact(text);
  err_.flush();
}

int Context::Fail(const absl::Status& status) {
  Err(absl::StrCat(ErrStyle().Paint(Style::Color::kRed, "vaultctl:"), " ",
                   status.message(), "\n"));
  return ExitCodeFor(status);
}

int Context::Usage(absl::string_view command, absl::string_view message) {
  const std::string prefix =
      command.empty() ? "vaultctl" : absl::StrCat("vaultctl ", command);
  Err(absl::StrCat(ErrStyle().Paint(Style::Color::kRed, prefix + ":"), " ",
                   message, "\nsee: ", prefix, " --help\n"));
  return kExitUsage;
}

void CommandTable::Add(Command command) {
  if (Find(command.name) != nullptr) std::abort();  // duplicate entry
  commands_.push_back(std::move(command));
}

void CommandTable::Replace(Command command) {
  for (Command& c : commands_) {
    if (c.name == command.name) {
      c = std::move(command);
      return;
    }
  }
  std::abort();  // nothing to replace
}

const Command* CommandTable::Find(absl::string_view name) const {
  for (const Command& c : commands_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string GlobalHelp(const CommandTable& table) {
  std::string out =
      "usage: vaultctl COMMAND [flags]\n"
      "       vaultctl COMMAND --help\n\n"
      "Administers the layer-vault credential store. Secrets are never taken\n"
      "from the command line; they are read from the terminal with echo off,\n"
      "from a pipe, or from a file given with a flag.\n\ncommands:\n";
  for (const Command& c : table.commands()) {
    absl::StrAppendFormat(&out, "  %-20s %s\n", c.name, c.summary);
  }
  absl::StrAppend(&out, "\n", ExitCodeHelp());
  return out;
}

std::string CommandHelp(const Command& command) {
  std::string out = absl::StrCat("usage: ", command.usage, "\n\n",
                                 command.description, "\n\nflags:\n");
  std::vector<FlagSpec> flags = command.flags;
  flags.push_back({"help", "", "print this help and exit"});
  for (const FlagSpec& f : flags) {
    std::string left = f.name.empty() ? f.value_name : absl::StrCat("--", f.name);
    if (!f.name.empty() && !f.value_name.empty()) {
      absl::StrAppend(&left, " ", f.value_name);
    }
    absl::StrAppendFormat(&out, "  %-32s %s\n", left, f.help);
  }
  absl::StrAppend(&out, "\n", ExitCodeHelp());
  if (!command.exit_code_note.empty()) {
    absl::StrAppend(&out, command.exit_code_note, "\n");
  }
  return out;
}

int RunCommandLine(const CommandTable& table,
                   const std::vector<std::string>& args, Context& ctx) {
  if (args.empty()) {
    ctx.Err(GlobalHelp(table));
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    if (args.size() > 1) {
      if (const Command* c = table.Find(args[1])) {
        ctx.Out(CommandHelp(*c));
        return kExitOk;
      }
      return ctx.Usage("", absl::StrCat("unknown command '", args[1], "'"));
    }
    ctx.Out(GlobalHelp(table));
    return kExitOk;
  }
  const Command* command = table.Find(name);
  if (command == nullptr) {
    return ctx.Usage("", absl::StrCat("unknown command '", name, "'"));
  }
  Flags flags;
  bool flags_ended = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_ended && (arg == "--help" || arg == "-h")) {
      ctx.Out(CommandHelp(*command));
      return kExitOk;
    }
    const bool positional =
        flags_ended || !absl::StartsWith(arg, "--") || arg.size() == 2;
    const FlagSpec* slot = NextPositional(*command, flags);
    if (!flags_ended && arg == "--" && slot != nullptr) {
      flags_ended = true;
      continue;
    }
    if (positional && slot != nullptr) {
      flags.Set(slot->value_name, arg);
      continue;
    }
    if (positional) {
      // Not echoed: it might be a secret typed in the wrong place.
      return ctx.Usage(name, absl::StrCat("unexpected argument #", i,
                                          " (vaultctl takes secrets only from "
                                          "the terminal, a pipe or a file)"));
    }
    std::string flag_name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = flag_name.find('='); eq != std::string::npos) {
      value = flag_name.substr(eq + 1);
      flag_name.resize(eq);
    }
    const FlagSpec* spec = FindFlag(*command, flag_name);
    if (spec == nullptr) {
      return ctx.Usage(name, absl::StrCat("unknown flag --", flag_name));
    }
    if (flags.Has(flag_name)) {
      return ctx.Usage(name, absl::StrCat("--", flag_name, " given twice"));
    }
    if (spec->value_name.empty()) {
      if (value.has_value()) {
        return ctx.Usage(name, absl::StrCat("--", flag_name, " takes no value"));
      }
      flags.Set(flag_name, "");
      continue;
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return ctx.Usage(name, absl::StrCat("--", flag_name, " needs ",
                                            spec->value_name));
      }
      value = args[++i];
    }
    flags.Set(flag_name, *std::move(value));
  }
  if (const FlagSpec* missing = NextPositional(*command, flags)) {
    return ctx.Usage(name, absl::StrCat("missing ", missing->value_name));
  }
  ctx.set_machine_readable(flags.Has("json"));
  return command->run(flags, ctx);
}

}  // namespace layer_vault::vaultctl
