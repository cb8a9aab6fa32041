#include "tests/support/process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace vroeg::testing {
namespace {

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& in_path,
                            const std::string& out_path, const std::string& err_path,
                            const std::vector<std::string>& extra_env = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  }
  return pid;
}

// Waits for `pid` until `deadline`; returns the wait status, or nullopt on time-out.
std::optional<int> WaitUntil(pid_t pid, absl::Time deadline) {
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (absl::Now() > deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout, const std::string& stdin_text) {
  TempDir dir;
  WriteFile(dir.Sub("stdin"), stdin_text);
  auto pid = Spawn(argv, dir.Sub("stdin"), dir.Sub("stdout"), dir.Sub("stderr"));
  if (!pid.ok()) return pid.status();
  auto status = WaitUntil(*pid, absl::Now() + timeout);
  if (!status) {
    kill(*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return absl::DeadlineExceededError(absl::StrCat(
        absl::StrJoin(argv, " "), " did not finish within ", absl::FormatDuration(timeout),
        "; stderr: ", ReadWholeFile(dir.Sub("stderr"))));
  }
  CommandResult result;
  result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  result.out = ReadWholeFile(dir.Sub("stdout"));
  result.err = ReadWholeFile(dir.Sub("stderr"));
  return result;
}

absl::StatusOr<std::unique_ptr<BackgroundProcess>> BackgroundProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path,
    const std::vector<std::string>& extra_env) {
  auto pid = Spawn(argv, "/dev/null", log_path + ".out", log_path, extra_env);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<BackgroundProcess>(new BackgroundProcess(*pid, log_path));
}

BackgroundProcess::~BackgroundProcess() {
  if (!exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string BackgroundProcess::Log() const { return ReadWholeFile(log_path_); }
std::string BackgroundProcess::Output() const { return ReadWholeFile(log_path_ + ".out"); }

absl::StatusOr<std::string> BackgroundProcess::WaitForLogLine(const std::string& needle,
                                                              absl::Duration timeout) {
  return WaitForLine(log_path_, needle, timeout);
}

absl::StatusOr<std::string> BackgroundProcess::WaitForOutputLine(const std::string& needle,
                                                                 absl::Duration timeout) {
  return WaitForLine(log_path_ + ".out", needle, timeout);
}

absl::StatusOr<std::string> BackgroundProcess::WaitForLine(const std::string& path,
                                                           const std::string& needle,
                                                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    for (absl::string_view line : absl::StrSplit(ReadWholeFile(path), '\n')) {
      if (line.find(needle) != absl::string_view::npos) return std::string(line);
    }
    int status = 0;
    if (!exited_ && waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return absl::FailedPreconditionError(absl::StrCat(
          "process exited (", ExitCode(status), ") before logging '", needle, "'; log:\n", Log()));
    }
    if (exited_ || absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no log line with '", needle, "'; log:\n", Log()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<int> BackgroundProcess::Stop(int signal, absl::Duration timeout) {
  if (exited_) return absl::FailedPreconditionError("process already exited");
  kill(pid_, signal);
  auto status = WaitUntil(pid_, absl::Now() + timeout);
  if (!status) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    exited_ = true;
    return absl::DeadlineExceededError("process did not stop in time; killed");
  }
  exited_ = true;
  return ExitCode(*status);
}

std::string LogValue(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=";
  size_t pos = line.find(needle);
  if (pos == std::string::npos) return "";
  pos += needle.size();
  size_t end = line.find(' ', pos);
  return line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

std::optional<int> LogPort(const std::string& line, const std::string& key) {
  const std::string value = LogValue(line, key);
  absl::string_view address = value;
  absl::ConsumeSuffix(&address, "/metrics");
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return std::nullopt;
  }
  return port;
}

}  // namespace vroeg::testing
