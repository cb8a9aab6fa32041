// The core guarantee under kill -9: a child process appends and settles in a loop and reports
// every step through a pipe; it is killed at a random moment, again and again, and the spool it
// leaves must hold every submission it reported as appended and not settled, exactly once, and
// none it reported as settled.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/spool/file_spool.h"
#include "common/clock.h"
#include "common/log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/agent/spool/spool_contract.h"

namespace vroeg {
namespace {

using ::vroeg::testing::IsOk;
using ::vroeg::testing::TempDir;

constexpr int kKills = 20;
constexpr uint32_t kSeed = 20260102;

FileSpoolOptions CrashOptions() {
  FileSpoolOptions options;
  // Small segments, so that rollover, settlements in older segments and deletion all happen.
  options.segment_bytes = 4096;
  return options;
}

// One write() per line: a line is never split by a kill.
void Report(int fd, const std::string& line) {
  const std::string text = line + "\n";
  ssize_t written;
  do {
    written = ::write(fd, text.data(), text.size());
  } while (written < 0 && errno == EINTR);
}

// The child: "a <id>" before an Append and "A <id>" after it returned OK; "k"/"K" around an
// Acknowledge and "q"/"Q" around a Quarantine of the oldest pending submission; "E <error>".
[[noreturn]] void RunChild(const std::string& dir, int round, int fd) {
  std::FILE* null_log = std::fopen("/dev/null", "w");
  SystemClock clock;
  Logger logger(null_log, &clock);
  absl::StatusOr<std::unique_ptr<FileSpool>> spool =
      FileSpool::Open(dir, CrashOptions(), &clock, &logger);
  if (!spool.ok()) {
    Report(fd, absl::StrCat("E ", spool.status().ToString()));
    ::_exit(3);
  }
  for (int i = 0; i < 100000; ++i) {
    const std::string id = absl::StrCat("r", round, "-", i);
    Report(fd, "a " + id);
    // Now and then one that spans several pages, so that a kill can land inside its write.
    const int observations = i % 10 == 9 ? 300 : 1 + i % 7;
    absl::StatusOr<uint64_t> sequence = (*spool)->Append(TestSubmission(id, observations), "crash");
    if (!sequence.ok()) {
      Report(fd, absl::StrCat("E ", sequence.status().ToString()));
      ::_exit(3);
    }
    Report(fd, "A " + id);
    if (i % 2 == 0) continue;
    absl::StatusOr<std::vector<SpooledSubmission>> oldest = (*spool)->Peek(1);
    if (!oldest.ok()) {
      Report(fd, absl::StrCat("E ", oldest.status().ToString()));
      ::_exit(3);
    }
    if (oldest->empty()) continue;
    const SpooledSubmission& submission = oldest->front();
    const std::string& settled_id = submission.request.submission_id();
    const bool quarantine = submission.sequence % 5 == 0;
    Report(fd, (quarantine ? "q " : "k ") + settled_id);
    const absl::Status settled = quarantine ? (*spool)->Quarantine(submission.sequence, "refused")
                                            : (*spool)->Acknowledge(submission.sequence);
    if (!settled.ok()) {
      Report(fd, absl::StrCat("E ", settled.ToString()));
      ::_exit(3);
    }
    Report(fd, (quarantine ? "Q " : "K ") + settled_id);
  }
  ::_exit(0);
}

struct Reports {
  std::set<std::string> append_started;
  std::set<std::string> appended;
  std::set<std::string> settle_started;
  std::set<std::string> acknowledged;
  std::set<std::string> quarantined;
};

// Applies one line; returns whether it reported a completed operation.
bool Apply(const std::string& line, Reports& reports) {
  EXPECT_GE(line.size(), 3u) << line;
  if (line.size() < 3) return false;
  const std::string id = line.substr(2);
  switch (line[0]) {
    case 'a':
      reports.append_started.insert(id);
      return false;
    case 'A':
      reports.appended.insert(id);
      return true;
    case 'k':
    case 'q':
      reports.settle_started.insert(id);
      return false;
    case 'K':
      reports.acknowledged.insert(id);
      return true;
    case 'Q':
      reports.quarantined.insert(id);
      return true;
    default:
      ADD_FAILURE() << "child: " << line;
      return false;
  }
}

TEST(FileSpoolCrashTest, KillNineAtRandomMomentsLosesAndDuplicatesNothing) {
  TempDir dir;
  const std::string spool_dir = dir.Sub("spool");
  std::mt19937 random(kSeed);
  Reports reports;
  int killed_mid_operation = 0;

  for (int round = 0; round < kKills; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, " (seed ", kSeed, ")"));
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      RunChild(spool_dir, round, fds[1]);
    }
    ::close(fds[1]);
    // Completed operations to let through before the kill; the kill lands wherever the child
    // is by then, usually inside the next write or fdatasync.
    const int kill_after = 1 + static_cast<int>(random() % 12);
    int completed = 0;
    bool killed = false;
    std::string buffer;
    std::string last_line;
    char chunk[4096];
    while (true) {
      const ssize_t n = ::read(fds[0], chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      for (size_t end; (end = buffer.find('\n')) != std::string::npos;) {
        last_line = buffer.substr(0, end);
        if (Apply(last_line, reports)) ++completed;
        buffer.erase(0, end + 1);
      }
      if (!killed && completed >= kill_after) {
        ASSERT_EQ(::kill(child, SIGKILL), 0);
        killed = true;
      }
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended by itself, status " << status;
    if (!last_line.empty() && absl::ascii_islower(last_line[0])) ++killed_mid_operation;
  }

  FakeClock clock(absl::FromUnixSeconds(1767323045));
  std::FILE* log_file = std::fopen(dir.Sub("spool.log").c_str(), "w");
  Logger logger(log_file, &clock);
  absl::StatusOr<std::unique_ptr<FileSpool>> spool =
      FileSpool::Open(spool_dir, CrashOptions(), &clock, &logger);
  ASSERT_THAT(spool, IsOk());
  absl::StatusOr<std::vector<SpooledSubmission>> pending = (*spool)->Peek(1000000);
  ASSERT_THAT(pending, IsOk());

  std::map<std::string, int> copies;
  uint64_t previous = 0;
  for (const SpooledSubmission& submission : *pending) {
    const std::string& id = submission.request.submission_id();
    ++copies[id];
    EXPECT_GT(submission.sequence, previous) << id;
    previous = submission.sequence;
    EXPECT_TRUE(reports.append_started.contains(id)) << id << " was never appended";
  }
  for (const auto& [id, n] : copies) EXPECT_EQ(n, 1) << id << " is pending " << n << " times";
  for (const std::string& id : reports.appended) {
    if (reports.settle_started.contains(id)) continue;
    EXPECT_TRUE(copies.contains(id)) << id << " was appended and is lost";
  }
  for (const std::string& id : reports.acknowledged) {
    EXPECT_FALSE(copies.contains(id)) << id << " was acknowledged and is pending again";
  }
  for (const std::string& id : reports.quarantined) {
    EXPECT_FALSE(copies.contains(id)) << id << " was quarantined and is pending again";
    bool found = false;
    for (const auto& entry : std::filesystem::directory_iterator(spool_dir + "/quarantine")) {
      found = found || absl::EndsWith(entry.path().string(), "-" + id + ".txt");
    }
    EXPECT_TRUE(found) << "no quarantine file for " << id;
  }
  // kill -9 is not corruption.
  EXPECT_EQ((*spool)->Stats().corrupt_segments_total, 0u);
  EXPECT_GE(reports.appended.size(), static_cast<size_t>(kKills));
  EXPECT_FALSE(reports.acknowledged.empty());
  EXPECT_FALSE(reports.quarantined.empty());
  std::printf(
      "kill -9 x%d (%d inside an operation): %zu appended, %zu acknowledged, %zu quarantined, "
      "%zu pending\n",
      kKills, killed_mid_operation, reports.appended.size(), reports.acknowledged.size(),
      reports.quarantined.size(), pending->size());
  spool->reset();
  std::fclose(log_file);
}

}  // namespace
}  // namespace vroeg
