#include "agent/agent_status.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1795435200);  // 2026-11-23T12:00:00Z

agent::v1::AgentStatus Identity() {
  agent::v1::AgentStatus identity;
  identity.set_reporter("urn:vroeg:provider:12345678");
  identity.set_collector("vroeg.flevoland.example:7443");
  identity.set_spool_path("/var/lib/vroeg/agent/spool");
  identity.set_spool_max_bytes(uint64_t{1} << 30);
  identity.set_update_interval_seconds(2);
  return identity;
}

SpooledSubmission Submission(const std::string& id, const std::string& source) {
  SpooledSubmission submission;
  submission.request.set_submission_id(id);
  submission.source = source;
  return submission;
}

TEST(StatusBoardTest, SnapshotCarriesSpoolFiguresAndLatestEvents) {
  StatusBoard board(Identity(), kStart);
  board.RecordFile(IntakeOutcome::kSpooled);
  board.RecordFile(IntakeOutcome::kSpooled);
  board.RecordFile(IntakeOutcome::kRejected);
  board.RecordDelivered(Submission("f-1", "/drop/a.csv"), kStart + absl::Seconds(10));
  board.RecordDelivered(Submission("f-2", "/drop/b.csv"), kStart + absl::Seconds(20));
  board.RecordError(absl::UnavailableError("collector down"), kStart + absl::Seconds(30), "f-3",
                    "/drop/c.csv");
  SpoolStats spool;
  spool.pending_submissions = 1;
  spool.pending_bytes = 2048;
  spool.disk_bytes = 4096;
  spool.oldest_pending = kStart + absl::Seconds(25);
  const auto status = board.Snapshot(spool, 4, kStart + absl::Seconds(40), /*running=*/true);
  EXPECT_TRUE(status.running());
  EXPECT_EQ(status.pid(), getpid());
  EXPECT_EQ(status.files_spooled(), 2u);
  EXPECT_EQ(status.files_rejected(), 1u);
  EXPECT_EQ(status.files_waiting(), 4u);
  EXPECT_EQ(status.pending_submissions(), 1u);
  EXPECT_EQ(status.spool_bytes(), 4096u);
  EXPECT_EQ(status.last_success().submission_id(), "f-2");
  EXPECT_EQ(status.last_error().code(), "UNAVAILABLE");
  EXPECT_EQ(status.last_error().source(), "/drop/c.csv");
  EXPECT_EQ(status.oldest_pending_at().seconds(), absl::ToUnixSeconds(kStart) + 25);
}

TEST(StatusFileTest, WrittenOwnerOnlyAndReadBack) {
  testing::TempDir dir;
  const std::string path = StatusFilePath(dir.Sub("spool"));
  StatusBoard board(Identity(), kStart);
  board.RecordDelivered(Submission("f-1", "a.csv"), kStart);
  ASSERT_THAT(WriteStatusFile(path, board.Snapshot({}, 0, kStart, true)), testing::IsOk());
  EXPECT_EQ(testing::FileMode(path) & 0777, 0600);
  auto read = ReadStatusFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->reporter(), "urn:vroeg:provider:12345678");
  EXPECT_EQ(read->last_success().submission_id(), "f-1");
  // Rewriting replaces the file whole.
  ASSERT_THAT(WriteStatusFile(path, board.Snapshot({}, 7, kStart, false)), testing::IsOk());
  read = ReadStatusFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->files_waiting(), 7u);
  EXPECT_FALSE(read->running());
}

TEST(StatusFileTest, MissingOrDamagedFileIsExplained) {
  testing::TempDir dir;
  auto missing = ReadStatusFile(dir.Sub("spool.status.json"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("has not run with this configuration yet"));
  testing::WriteFile(dir.Sub("bad.json"), "{\"pid\": ");
  auto damaged = ReadStatusFile(dir.Sub("bad.json"));
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(damaged.status().message(), HasSubstr("bad.json is unreadable"));
}

TEST(JudgeDaemonTest, RunningOnlyWhileAliveAndUpToDate) {
  StatusBoard board(Identity(), kStart);
  const auto status = board.Snapshot({}, 0, kStart, /*running=*/true);
  EXPECT_EQ(JudgeDaemon(status, kStart + absl::Seconds(5), true), DaemonState::kRunning);
  EXPECT_EQ(JudgeDaemon(status, kStart + absl::Seconds(5), false), DaemonState::kStopped);
  // 3 intervals of 2 s plus 30 s of slack.
  EXPECT_EQ(JudgeDaemon(status, kStart + absl::Seconds(36), true), DaemonState::kRunning);
  EXPECT_EQ(JudgeDaemon(status, kStart + absl::Seconds(37), true), DaemonState::kNotResponding);
  const auto stopped = board.Snapshot({}, 0, kStart, /*running=*/false);
  EXPECT_EQ(JudgeDaemon(stopped, kStart, true), DaemonState::kStopped);
}

TEST(FormatStatusTest, SaysWhatIsPendingAndWhatHappenedLast) {
  StatusBoard board(Identity(), kStart);
  board.RecordFile(IntakeOutcome::kSpooled);
  board.RecordDelivered(Submission("f-1", "/drop/a.csv"), kStart + absl::Seconds(10));
  board.RecordError(absl::UnavailableError("collector down"), kStart + absl::Seconds(70));
  SpoolStats spool;
  spool.pending_submissions = 2;
  spool.pending_bytes = 1536;
  spool.disk_bytes = 3 << 20;
  spool.oldest_pending = kStart + absl::Seconds(60);
  const auto status = board.Snapshot(spool, 1, kStart + absl::Seconds(185), true);
  const std::string text = FormatStatus(status, kStart + absl::Seconds(185), DaemonState::kRunning);
  EXPECT_THAT(text, HasSubstr(absl::StrCat("daemon:         running (pid ", getpid(),
                                           ", since 2026-11-23T12:00:00Z)\n")));
  EXPECT_THAT(text, HasSubstr("spool:          2 submissions pending (1.5 KiB); 3.0 MiB of "
                              "1.0 GiB used; /var/lib/vroeg/agent/spool\n"));
  EXPECT_THAT(text, HasSubstr("oldest pending: 2m5s (since 2026-11-23T12:01:00Z)\n"));
  EXPECT_THAT(text, HasSubstr("last success:   2026-11-23T12:00:10Z (2m55s ago) submission f-1 "
                              "from /drop/a.csv\n"));
  EXPECT_THAT(text, HasSubstr("last error:     2026-11-23T12:01:10Z (1m55s ago) UNAVAILABLE: "
                              "collector down\n"));
  EXPECT_THAT(text, HasSubstr("files:          1 spooled, 0 rejected, 0 deferred since start; 1 "
                              "waiting in the drop folders\n"));
  EXPECT_THAT(text, Not(HasSubstr("corrupt")));

  const std::string stopped =
      FormatStatus(status, kStart + absl::Seconds(3785), DaemonState::kStopped);
  EXPECT_THAT(stopped, HasSubstr("daemon:         not running (last seen 2026-11-23T12:03:05Z, "
                                 "1h ago; figures below are from then)\n"));
}

TEST(FormatStatusTest, NothingYetIsSaidPlainly) {
  StatusBoard board(Identity(), kStart);
  const auto status = board.Snapshot({}, 0, kStart, true);
  const std::string text = FormatStatus(status, kStart, DaemonState::kRunning);
  EXPECT_THAT(text, HasSubstr("oldest pending: none pending\n"));
  EXPECT_THAT(text, HasSubstr("last success:   none since start\n"));
  EXPECT_THAT(text, HasSubstr("last error:     none since start\n"));
}

}  // namespace
}  // namespace vroeg
