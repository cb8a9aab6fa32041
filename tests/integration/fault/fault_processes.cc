#include "tests/integration/fault/fault_processes.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"

namespace vroeg::testing {
namespace {

std::string RunLog(const std::string& dir, const std::string& stem, int run) {
  return absl::StrCat(dir, "/", stem, "-run", run, ".log");
}

std::string JoinRunLogs(const std::string& dir, const std::string& stem, int runs) {
  std::string all;
  for (int run = 1; run <= runs; ++run) {
    absl::StrAppend(&all, "---- ", stem, " run ", run, " ----\n",
                    ReadWholeFile(RunLog(dir, stem, run)));
  }
  return all;
}

absl::Status ExpectExit(absl::StatusOr<int> code, int expected, absl::string_view what) {
  if (!code.ok()) return code.status();
  if (*code != expected) {
    return absl::InternalError(
        absl::StrCat(what, " exited with ", *code, " instead of ", expected));
  }
  return absl::OkStatus();
}

// Starts `argv` with its log at `log` and waits for its `event=listening` line.
absl::StatusOr<std::string> StartListening(const std::vector<std::string>& argv,
                                           const std::string& log,
                                           std::unique_ptr<BackgroundProcess>& process) {
  auto started = BackgroundProcess::Start(argv, log);
  if (!started.ok()) return started.status();
  process = *std::move(started);
  auto line = process->WaitForLogLine("event=listening", kStartTimeout);
  if (!line.ok()) process.reset();
  return line;
}

// SIGTERM must end the process cleanly; SIGKILL simply ends it.
absl::Status EndProcess(std::unique_ptr<BackgroundProcess>& process, int signal,
                        absl::string_view what) {
  if (process == nullptr) return absl::FailedPreconditionError(absl::StrCat(what, " not running"));
  absl::Status status = signal == SIGKILL
                            ? ExpectExit(process->Stop(SIGKILL), -SIGKILL, what)
                            : ExpectExit(process->Stop(signal, kStartTimeout), 0, what);
  process.reset();
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FaultCollector>> FaultCollector::Create(TestRegion& region) {
  return Create(
      region, [&region](int port) { return region.CollectorConfig("collector.db", port); },
      region.dir() + "/collector.db");
}

absl::StatusOr<std::unique_ptr<FaultCollector>> FaultCollector::Create(
    TestRegion& region, const std::function<std::string(int port)>& write_config,
    std::string database) {
  absl::StatusOr<int> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  std::unique_ptr<FaultCollector> collector(
      new FaultCollector(region.dir(), write_config(*port), *port));
  collector->database_ = std::move(database);
  return collector;
}

absl::Status FaultCollector::Start() {
  // While nothing listens on the port, an agent's reconnect can be given that very port as its
  // own end (a TCP connection to itself) until gRPC drops it; a restart then finds the port
  // taken for a moment. That is the test's fixed port, not the collector, so it tries again.
  absl::Status started;
  for (int attempt = 0; attempt < 20; ++attempt) {
    ++runs_;
    absl::StatusOr<std::string> line = StartListening({CollectorBinary(), "--config", config_},
                                                      RunLog(dir_, "collector", runs_), process_);
    started = line.status();
    if (line.ok()) metrics_port_ = LogPort(*line, "metrics").value_or(0);
    if (started.ok() || !absl::StrContains(started.message(), "cannot listen on")) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return started;
}

absl::Status FaultCollector::Stop() { return EndProcess(process_, SIGTERM, "collector"); }

absl::Status FaultCollector::Kill() { return EndProcess(process_, SIGKILL, "collector"); }

std::string FaultCollector::Logs() const { return JoinRunLogs(dir_, "collector", runs_); }

FaultAgent::FaultAgent(TestRegion& region, std::string urn, const std::string& name,
                       const FaultAgentOptions& options)
    : urn_(std::move(urn)),
      dir_(absl::StrCat(region.dir(), "/", name)),
      config_(dir_ + "/agent.yaml"),
      drop_dir_(dir_ + "/drop"),
      spool_dir_(dir_ + "/spool") {
  const std::string stem = region.Issue(urn_);
  std::filesystem::create_directories(drop_dir_);
  std::string spool = absl::StrCat("spool: {path: ", spool_dir_);
  if (options.spool_max_bytes) absl::StrAppend(&spool, ", max_bytes: ", *options.spool_max_bytes);
  // The shortest intervals the configuration allows, so that the faults, not the waiting,
  // take the time.
  WriteFile(config_,
            absl::StrCat("collector: 127.0.0.1:", options.collector_port,
                         "\ncollector_name: localhost\ntls:\n  certificate: ", stem,
                         ".crt\n  private_key: ", stem, ".key\n  ca_certificate: ", region.ca_dir(),
                         "/ca.crt\ntimeout_seconds: ", options.timeout_seconds, "\n", spool,
                         "}\ndrop_folders: [{path: ", drop_dir_,
                         ", settle_seconds: 1}]\n"
                         "metrics_listen: 127.0.0.1:0\n"
                         "scan_interval_seconds: 1\n"
                         "retry: {initial_milliseconds: 100, max_seconds: 1}\n"));
}

absl::Status FaultAgent::Start() {
  ++runs_;
  auto line = StartListening({AgentBinary(), "run", "--config", config_},
                             RunLog(dir_, "agent", runs_), process_);
  if (!line.ok()) return line.status();
  const std::optional<int> port = LogPort(*line, "metrics");
  if (!port) return absl::InternalError(absl::StrCat("no metrics port in: ", *line));
  metrics_port_ = *port;
  return absl::OkStatus();
}

absl::Status FaultAgent::Stop() { return EndProcess(process_, SIGTERM, "agent"); }

absl::Status FaultAgent::Kill() { return EndProcess(process_, SIGKILL, "agent"); }

void FaultAgent::Drop(const std::string& name, const std::string& content) const {
  const std::string temp = absl::StrCat(drop_dir_, "/.", name, ".tmp");
  WriteFile(temp, content);
  std::filesystem::rename(temp, absl::StrCat(drop_dir_, "/", name));
}

std::vector<std::string> FaultAgent::DoneNames() const {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(drop_dir_ + "/done", error)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

size_t FaultAgent::DoneFiles() const { return DoneNames().size(); }

size_t FaultAgent::WaitingFiles() const {
  size_t waiting = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(drop_dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(".") && entry.is_regular_file()) ++waiting;
  }
  return waiting;
}

absl::StatusOr<std::string> FaultAgent::Metrics() const {
  if (process_ == nullptr) return absl::FailedPreconditionError("agent not running");
  auto response = HttpGet(metrics_port_, "/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("agent /metrics answered ", response->status));
  }
  return response->body;
}

absl::StatusOr<double> FaultAgent::Metric(const std::string& series) const {
  auto metrics = Metrics();
  if (!metrics.ok()) return metrics.status();
  std::optional<double> value = SampleValue(*metrics, series);
  if (!value) return absl::NotFoundError(absl::StrCat("no sample ", series));
  return *value;
}

std::string FaultAgent::Logs() const { return JoinRunLogs(dir_, "agent", runs_); }

AgentLogSummary FaultAgent::Summarize() const {
  AgentLogSummary summary;
  std::set<std::string> spooled_files;
  for (int run = 1; run <= runs_; ++run) {
    for (absl::string_view view : absl::StrSplit(ReadWholeFile(RunLog(dir_, "agent", run)), '\n')) {
      const std::string line(view);
      if (absl::StrContains(line, "event=file_spooled ")) {
        ++summary.spooled;
        const std::string name = std::filesystem::path(LogValue(line, "file")).filename().string();
        if (!spooled_files.insert(name).second) ++summary.spooled_again;
        uint64_t sequence = 0;
        if (absl::SimpleAtoi(LogValue(line, "sequence"), &sequence)) {
          summary.sequence_files[sequence] = name;
        }
      } else if (absl::StrContains(line, "event=submission_acknowledged ")) {
        ++summary.acknowledged;
        if (LogValue(line, "duplicate") == "true") ++summary.acknowledged_duplicate;
      } else if (absl::StrContains(line, "event=submission_retry ")) {
        ++summary.retries;
      } else if (absl::StrContains(line, "event=submission_quarantined ")) {
        ++summary.quarantined;
      } else if (absl::StrContains(line, "event=file_deferred ")) {
        ++summary.deferred;
      } else if (absl::StrContains(line, "event=spool_torn_tail_truncated ")) {
        ++summary.torn_tails;
      } else if (absl::StrContains(line, "event=spool_segment_corrupt ")) {
        ++summary.corrupt_segments;
      } else if (absl::StrContains(line, "event=spool_submission_not_sent ")) {
        // submission="<source> (<submission id>)"
        const size_t start = line.find("submission=\"");
        const size_t end = line.find(" (", start);
        if (start != std::string::npos && end != std::string::npos) {
          const std::string source = line.substr(start + 12, end - start - 12);
          summary.not_sent.push_back(std::filesystem::path(source).filename().string());
        }
      }
    }
  }
  return summary;
}

StreamWriter::StreamWriter(std::vector<Feed> feeds, int window, int limit)
    : feeds_(std::move(feeds)), window_(window), limit_(limit), thread_([this] { Run(); }) {}

StreamWriter::~StreamWriter() { Stop(); }

void StreamWriter::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void StreamWriter::Run() {
  std::vector<int> next(feeds_.size(), 0);
  while (!stopping_) {
    bool all_written = true;
    for (size_t i = 0; i < feeds_.size(); ++i) {
      const Feed& feed = feeds_[i];
      const int allowed = std::min({feed.stream->files(), limit_.load(),
                                    static_cast<int>(feed.agent->DoneFiles()) + window_});
      for (; next[i] < allowed && !stopping_; ++next[i]) {
        feed.agent->Drop(feed.stream->FileName(next[i]), feed.stream->FileContent(next[i]));
      }
      all_written &= next[i] == feed.stream->files();
    }
    if (all_written) return;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::Status AwaitDelivered(const std::vector<std::pair<FaultAgent*, int>>& agents_and_files,
                            absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string state;
  while (true) {
    bool delivered = true;
    state.clear();
    for (const auto& [agent, files] : agents_and_files) {
      // A rejected file never arrives; no use waiting for it.
      std::error_code error;
      std::string rejected;
      for (const auto& entry :
           std::filesystem::directory_iterator(agent->drop_dir() + "/rejected", error)) {
        if (entry.path().string().ends_with(".errors.txt")) {
          absl::StrAppend(&rejected, entry.path().string(), ":\n", ReadWholeFile(entry.path()));
        }
      }
      if (!rejected.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(agent->urn(), " rejected files:\n", rejected));
      }
      const size_t done = agent->DoneFiles();
      const size_t waiting = agent->WaitingFiles();
      absl::StatusOr<double> pending = agent->Metric("vroeg_agent_spool_submissions");
      delivered &=
          done == static_cast<size_t>(files) && waiting == 0 && pending.ok() && *pending == 0;
      absl::StrAppend(&state, agent->urn(), ": ", done, " of ", files, " files taken, ", waiting,
                      " waiting, spool ",
                      pending.ok() ? absl::StrCat(*pending) : pending.status().ToString(), "; ");
    }
    if (delivered) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("not delivered within ", absl::FormatDuration(timeout), ": ", state));
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

size_t TotalDone(const std::vector<FaultAgent*>& agents) {
  size_t done = 0;
  for (const FaultAgent* agent : agents) done += agent->DoneFiles();
  return done;
}

}  // namespace vroeg::testing
