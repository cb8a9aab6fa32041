#ifndef VROEG_COMMON_COMMAND_LINE_H_
#define VROEG_COMMON_COMMAND_LINE_H_

#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"

namespace vroeg {

// Exit code of every binary for a bad command line.
inline constexpr int kExitBadUsage = 2;

// Parses the command line. Returns nullopt to carry on, or the exit code when the program should
// stop: 0 after --help or --version, kExitBadUsage after a usage error (printed as
// "<program>: error: ..." with a pointer to --help). CLI11 reports all of these by throwing;
// this is the one place where that becomes an exit code.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << app.get_name() << ": error: " << e.what() << "\nRun '" << app.get_name()
              << " --help' for usage.\n";
    return kExitBadUsage;
  }
  return std::nullopt;
}

}  // namespace vroeg

#endif  // VROEG_COMMON_COMMAND_LINE_H_
