// vroegctl: the administration tool of a Vroeg exchange.

#include <iostream>

#include "CLI/CLI.hpp"
#include "tools/vroegctl/commands.h"

int main(int argc, char** argv) {
  CLI::App app(
      "Administer a Vroeg exchange: the region's certificate authority and, later, "
      "exports and status.",
      "vroegctl");
  app.set_version_flag("--version", "vroegctl " VROEG_VERSION);
  app.require_subcommand(1);

  vroeg::vroegctl::CommandContext context;
  vroeg::vroegctl::AddPkiCommands(app, context);

  // CLI11 reports usage errors, --help and --version as exceptions; this is its boundary.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!context.status.ok()) {
    std::cerr << "vroegctl: error: " << context.status.message() << "\n";
    return 1;
  }
  return 0;
}
