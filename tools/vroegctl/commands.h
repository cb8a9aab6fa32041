#ifndef VROEG_TOOLS_VROEGCTL_COMMANDS_H_
#define VROEG_TOOLS_VROEGCTL_COMMANDS_H_

// The subcommands of vroegctl. Each Add*Commands function registers a group of subcommands on
// the application. A selected subcommand runs as a CLI11 callback once parsing has succeeded: it
// prints what it did to `context.out` and stores its outcome in `context.status`, which main
// turns into the exit code. Commands report failures only through the status; they neither
// throw nor exit.

#include <iostream>
#include <ostream>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace vroeg::vroegctl {

struct CommandContext {
  // Where commands print their report; not owned.
  std::ostream* out = &std::cout;
  // The outcome of the command that ran.
  absl::Status status;
};

// `pki init`, `pki issue`, `pki revoke`, `pki crl` and `pki list`. `context` must outlive
// `app`'s parse.
void AddPkiCommands(CLI::App& app, CommandContext& context);

// `audit verify`. `context` must outlive `app`'s parse.
void AddAuditCommands(CLI::App& app, CommandContext& context);

// `export observations`: a collector's ExportService to a csv, jsonl or xlsx file. `context`
// must outlive `app`'s parse.
void AddExportCommands(CLI::App& app, CommandContext& context);

}  // namespace vroeg::vroegctl

#endif  // VROEG_TOOLS_VROEGCTL_COMMANDS_H_
