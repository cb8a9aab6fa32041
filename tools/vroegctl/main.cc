// vroegctl: the administration tool of a Vroeg exchange.

#include <iostream>

#include "CLI/CLI.hpp"
#include "common/command_line.h"
#include "tools/vroegctl/commands.h"

int main(int argc, char** argv) {
  CLI::App app(
      "Administer a Vroeg exchange: the region's certificate authority (pki init, pki issue, pki "
      "revoke, pki crl, pki list), the collector's audit log (audit verify) and exports of what a "
      "collector holds (export observations).",
      "vroegctl");
  app.set_version_flag("--version", "vroegctl " VROEG_VERSION);
  app.require_subcommand(1);

  vroeg::vroegctl::CommandContext context;
  vroeg::vroegctl::AddPkiCommands(app, context);
  vroeg::vroegctl::AddAuditCommands(app, context);
  vroeg::vroegctl::AddExportCommands(app, context);

  if (auto exit_code = vroeg::ParseCommandLine(app, argc, argv)) return *exit_code;
  if (!context.status.ok()) {
    std::cerr << "vroegctl: error: " << context.status.message() << "\n";
    return 1;
  }
  return 0;
}
