#ifndef VROEG_TESTS_SUPPORT_PROCESS_H_
#define VROEG_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace vroeg::testing {

// Output and exit status of a finished command.
struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` to completion with stdout and stderr captured; kills it after `timeout`.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout = absl::Seconds(60),
                                         const std::string& stdin_text = "");

// A child process running in the background, its stderr going to a file that tests read to
// find log lines. The destructor kills it (SIGKILL) if it still runs.
class BackgroundProcess {
 public:
  // `extra_env` entries (NAME=value) are added to this process's environment. Standard output
  // goes to log_path + ".out".
  static absl::StatusOr<std::unique_ptr<BackgroundProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path,
      const std::vector<std::string>& extra_env = {});
  ~BackgroundProcess();

  // Waits until the log holds a line containing `needle` and returns that line; fails after
  // `timeout` or when the process exits first (the message holds the log).
  absl::StatusOr<std::string> WaitForLogLine(const std::string& needle,
                                             absl::Duration timeout = absl::Seconds(20));
  // The same for standard output.
  absl::StatusOr<std::string> WaitForOutputLine(const std::string& needle,
                                                absl::Duration timeout = absl::Seconds(20));
  std::string Log() const;
  std::string Output() const;
  // Sends `signal` and waits (bounded) for the exit; returns the exit code (-signal if killed).
  absl::StatusOr<int> Stop(int signal, absl::Duration timeout = absl::Seconds(20));
  pid_t pid() const { return pid_; }

 private:
  absl::StatusOr<std::string> WaitForLine(const std::string& path, const std::string& needle,
                                          absl::Duration timeout);
  BackgroundProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
};

// The value of `key=` in a logfmt line (unquoted values only), or empty.
std::string LogValue(const std::string& line, const std::string& key);

// The port in the value of `key=` (host:port, or http://host:port/metrics as the
// `event=listening` lines give it), or nullopt.
std::optional<int> LogPort(const std::string& line, const std::string& key);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_PROCESS_H_
