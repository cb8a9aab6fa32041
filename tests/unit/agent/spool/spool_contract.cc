#include "tests/unit/agent/spool/spool_contract.h"

#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/support/status_matchers.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::StatusIs;

constexpr uint64_t kRoomy = uint64_t{1} << 30;

bool SameRequest(const api::v1::SubmitRequest& a, const api::v1::SubmitRequest& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

api::v1::SubmitRequest TestSubmission(const std::string& submission_id, int observations) {
  api::v1::SubmitRequest request;
  request.set_submission_id(submission_id);
  request.set_reporter("urn:vroeg:provider:12345678");
  request.mutable_created_at()->set_seconds(1767323045);
  for (int i = 0; i < observations; ++i) {
    api::v1::Observation* observation = request.add_observations();
    observation->set_indicator("wachtenden");
    observation->set_care_form("jeugdhulp_verblijf");
    observation->set_municipality("GM0034");
    observation->mutable_period()->set_start("2026-01-01");
    observation->mutable_period()->set_end("2026-01-31");
    observation->mutable_period()->set_granularity(type::v1::GRANULARITY_MONTH);
    observation->set_value(i);
    observation->set_source_row(static_cast<uint32_t>(i + 2));
    observation->set_source_column("wachtenden");
  }
  return request;
}

void SpoolContractTest::SetUp() { Recreate(kRoomy); }

void SpoolContractTest::Recreate(uint64_t max_bytes) {
  spool_.reset();
  factory_ = GetParam().make_factory();
  absl::StatusOr<std::unique_ptr<Spool>> spool = factory_->Create(max_bytes, &clock_);
  ASSERT_THAT(spool, IsOk());
  spool_ = std::move(*spool);
}

void SpoolContractTest::Reopen() {
  spool_.reset();
  absl::StatusOr<std::unique_ptr<Spool>> spool = factory_->Reopen();
  ASSERT_THAT(spool, IsOk());
  spool_ = std::move(*spool);
}

uint64_t SpoolContractTest::MustAppend(const api::v1::SubmitRequest& request,
                                       const std::string& source) {
  absl::StatusOr<uint64_t> sequence = spool_->Append(request, source);
  EXPECT_THAT(sequence, IsOk()) << request.submission_id();
  return sequence.ok() ? *sequence : 0;
}

std::vector<SpooledSubmission> SpoolContractTest::PeekAll() {
  absl::StatusOr<std::vector<SpooledSubmission>> pending = spool_->Peek(100000);
  EXPECT_THAT(pending, IsOk());
  return pending.ok() ? *std::move(pending) : std::vector<SpooledSubmission>{};
}

std::vector<std::string> SpoolContractTest::PendingIds() {
  std::vector<std::string> ids;
  for (const SpooledSubmission& submission : PeekAll()) {
    ids.push_back(submission.request.submission_id());
  }
  return ids;
}

std::string SpoolContractParamName(const ::testing::TestParamInfo<SpoolContractParam>& info) {
  return info.param.name;
}

void PrintTo(const SpoolContractParam& param, std::ostream* os) { *os << param.name; }

namespace {

TEST_P(SpoolContractTest, StartsEmpty) {
  EXPECT_THAT(PeekAll(), IsEmpty());
  const SpoolStats stats = spool_->Stats();
  EXPECT_EQ(stats.pending_submissions, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
  EXPECT_EQ(stats.disk_bytes, 0u);
  EXPECT_EQ(stats.quarantined_total, 0u);
  EXPECT_EQ(stats.corrupt_segments_total, 0u);
  EXPECT_EQ(stats.oldest_pending, std::nullopt);
}

TEST_P(SpoolContractTest, PeekReturnsPendingInAppendOrderWithoutRemovingThem) {
  const absl::Time t0 = clock_.Now();
  const uint64_t a = MustAppend(TestSubmission("a", 1), "a.csv");
  clock_.Advance(absl::Seconds(5));
  const uint64_t b = MustAppend(TestSubmission("b", 4), "b.json");
  clock_.Advance(absl::Seconds(5));
  const uint64_t c = MustAppend(TestSubmission("c", 2), "");

  for (int round = 0; round < 2; ++round) {
    std::vector<SpooledSubmission> pending = PeekAll();
    ASSERT_THAT(pending, SizeIs(3));
    EXPECT_EQ(pending[0].sequence, a);
    EXPECT_EQ(pending[1].sequence, b);
    EXPECT_EQ(pending[2].sequence, c);
    EXPECT_TRUE(SameRequest(pending[0].request, TestSubmission("a", 1)));
    EXPECT_TRUE(SameRequest(pending[1].request, TestSubmission("b", 4)));
    EXPECT_TRUE(SameRequest(pending[2].request, TestSubmission("c", 2)));
    EXPECT_EQ(pending[0].source, "a.csv");
    EXPECT_EQ(pending[1].source, "b.json");
    EXPECT_EQ(pending[2].source, "");
    EXPECT_EQ(pending[0].spooled_at, t0);
    EXPECT_EQ(pending[1].spooled_at, t0 + absl::Seconds(5));
    EXPECT_EQ(pending[2].spooled_at, t0 + absl::Seconds(10));
  }
}

TEST_P(SpoolContractTest, PeekReturnsAtMostMaxOldestFirst) {
  for (const char* id : {"a", "b", "c"}) MustAppend(TestSubmission(id));
  absl::StatusOr<std::vector<SpooledSubmission>> two = spool_->Peek(2);
  ASSERT_THAT(two, IsOk());
  ASSERT_THAT(*two, SizeIs(2));
  EXPECT_EQ((*two)[0].request.submission_id(), "a");
  EXPECT_EQ((*two)[1].request.submission_id(), "b");
  absl::StatusOr<std::vector<SpooledSubmission>> none = spool_->Peek(0);
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(SpoolContractTest, SequencesStrictlyIncreaseAndAreNeverReused) {
  std::vector<uint64_t> sequences;
  for (const char* id : {"a", "b", "c"}) sequences.push_back(MustAppend(TestSubmission(id)));
  for (uint64_t sequence : sequences) ASSERT_THAT(spool_->Acknowledge(sequence), IsOk());
  sequences.push_back(MustAppend(TestSubmission("d")));
  ASSERT_THAT(spool_->Acknowledge(sequences.back()), IsOk());
  // With nothing pending, a restart must still not hand out a number again.
  Reopen();
  sequences.push_back(MustAppend(TestSubmission("e")));
  Reopen();
  sequences.push_back(MustAppend(TestSubmission("f")));

  for (size_t i = 1; i < sequences.size(); ++i) {
    EXPECT_GT(sequences[i], sequences[i - 1]) << "append " << i;
  }
  EXPECT_THAT(PendingIds(), ElementsAre("e", "f"));
}

TEST_P(SpoolContractTest, AcknowledgeRemovesOnlyThatSubmission) {
  MustAppend(TestSubmission("a"));
  const uint64_t b = MustAppend(TestSubmission("b"));
  MustAppend(TestSubmission("c"));
  ASSERT_THAT(spool_->Acknowledge(b), IsOk());
  EXPECT_THAT(PendingIds(), ElementsAre("a", "c"));
  EXPECT_EQ(spool_->Stats().pending_submissions, 2u);
}

TEST_P(SpoolContractTest, SettlingWhatIsNotPendingIsNotFound) {
  const uint64_t a = MustAppend(TestSubmission("a"));
  const uint64_t b = MustAppend(TestSubmission("b"));
  ASSERT_THAT(spool_->Acknowledge(a), IsOk());
  ASSERT_THAT(spool_->Quarantine(b, "refused"), IsOk());

  EXPECT_THAT(spool_->Acknowledge(a), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(spool_->Quarantine(a, "again"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(spool_->Acknowledge(b), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(spool_->Quarantine(b, "again"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(spool_->Acknowledge(b + 1000), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(spool_->Acknowledge(0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(PeekAll(), IsEmpty());
}

TEST_P(SpoolContractTest, QuarantineRemovesAndKeepsTheReasonForPeople) {
  const uint64_t a = MustAppend(TestSubmission("a"), "drop/aanbod.csv");
  MustAppend(TestSubmission("b"));
  const std::string reason = "row 14, column wachtlijst: -3 is below 0";
  ASSERT_THAT(spool_->Quarantine(a, reason), IsOk());

  EXPECT_THAT(PendingIds(), ElementsAre("b"));
  EXPECT_EQ(spool_->Stats().quarantined_total, 1u);
  const std::string record = factory_->QuarantineRecord(a, "a");
  EXPECT_THAT(record, HasSubstr(reason));
  EXPECT_THAT(record, HasSubstr("drop/aanbod.csv"));
  EXPECT_THAT(record, HasSubstr("urn:vroeg:provider:12345678"));
}

TEST_P(SpoolContractTest, StatsCountPendingBytesAndOldest) {
  const absl::Time t0 = clock_.Now();
  const uint64_t a = MustAppend(TestSubmission("a"));
  const SpoolStats one = spool_->Stats();
  EXPECT_EQ(one.pending_submissions, 1u);
  EXPECT_GT(one.pending_bytes, 0u);
  EXPECT_GE(one.disk_bytes, one.pending_bytes);
  EXPECT_THAT(one.oldest_pending, Optional(Eq(t0)));

  clock_.Advance(absl::Minutes(3));
  const uint64_t b = MustAppend(TestSubmission("b", 30));
  const SpoolStats two = spool_->Stats();
  EXPECT_EQ(two.pending_submissions, 2u);
  // The second submission is ten times larger.
  EXPECT_GT(two.pending_bytes, 5 * one.pending_bytes);
  EXPECT_THAT(two.oldest_pending, Optional(Eq(t0)));

  ASSERT_THAT(spool_->Acknowledge(a), IsOk());
  const SpoolStats after_ack = spool_->Stats();
  EXPECT_EQ(after_ack.pending_submissions, 1u);
  EXPECT_LT(after_ack.pending_bytes, two.pending_bytes);
  EXPECT_THAT(after_ack.oldest_pending, Optional(Eq(t0 + absl::Minutes(3))));

  ASSERT_THAT(spool_->Quarantine(b, "refused"), IsOk());
  const SpoolStats empty = spool_->Stats();
  EXPECT_EQ(empty.pending_submissions, 0u);
  EXPECT_EQ(empty.pending_bytes, 0u);
  EXPECT_EQ(empty.disk_bytes, 0u);
  EXPECT_EQ(empty.oldest_pending, std::nullopt);
  EXPECT_EQ(empty.quarantined_total, 1u);
}

TEST_P(SpoolContractTest, FullSpoolRefusesAppendsWritesNothingAndAcceptsAgainOnceAcknowledged) {
  constexpr uint64_t kLimit = 32 * 1024;
  Recreate(kLimit);
  std::vector<uint64_t> sequences;
  absl::StatusOr<uint64_t> refused;
  for (int i = 0; i < 1000; ++i) {
    refused = spool_->Append(TestSubmission(absl::StrCat("s", i), 5), "x.csv");
    if (!refused.ok()) break;
    sequences.push_back(*refused);
  }
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_bytes")));
  // The limit is not far off: everything else fits.
  ASSERT_GE(sequences.size(), 20u);
  const SpoolStats full = spool_->Stats();
  EXPECT_EQ(full.pending_submissions, sequences.size());
  EXPECT_LE(full.disk_bytes, kLimit);

  // Refused again, and still nothing was written, also not as seen after a restart.
  EXPECT_THAT(spool_->Append(TestSubmission("late", 5), "x.csv"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  Reopen();
  EXPECT_EQ(spool_->Stats().pending_submissions, sequences.size());
  EXPECT_EQ(spool_->Stats().pending_bytes, full.pending_bytes);
  EXPECT_EQ(PendingIds().back(), absl::StrCat("s", sequences.size() - 1));

  // Acknowledging the oldest submissions frees room; at most half of them are needed.
  size_t acknowledged = 0;
  absl::StatusOr<uint64_t> accepted;
  while (acknowledged <= sequences.size() / 2) {
    ASSERT_THAT(spool_->Acknowledge(sequences[acknowledged++]), IsOk());
    accepted = spool_->Append(TestSubmission("late", 5), "x.csv");
    if (accepted.ok()) break;
    ASSERT_THAT(accepted, StatusIs(absl::StatusCode::kResourceExhausted));
  }
  ASSERT_THAT(accepted, IsOk()) << "after " << acknowledged << " acknowledgements";
  EXPECT_GT(*accepted, sequences.back());
  EXPECT_EQ(PendingIds().back(), "late");
  EXPECT_LE(spool_->Stats().disk_bytes, kLimit);
}

TEST_P(SpoolContractTest, ConcurrentAppendsAreAllPresentExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  absl::Mutex mu;
  std::vector<uint64_t> sequences;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> sequence =
            spool_->Append(TestSubmission(absl::StrCat("t", t, "-", i), 2), "concurrent");
        EXPECT_THAT(sequence, IsOk());
        if (!sequence.ok()) continue;
        absl::MutexLock lock(&mu);
        sequences.push_back(*sequence);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const std::set<uint64_t> unique(sequences.begin(), sequences.end());
  EXPECT_EQ(unique.size(), size_t{kThreads * kPerThread});
  std::vector<SpooledSubmission> pending = PeekAll();
  ASSERT_THAT(pending, SizeIs(kThreads * kPerThread));
  std::set<std::string> ids;
  std::vector<uint64_t> order;
  for (const SpooledSubmission& submission : pending) {
    ids.insert(submission.request.submission_id());
    order.push_back(submission.sequence);
  }
  EXPECT_EQ(ids.size(), size_t{kThreads * kPerThread});
  // Peek order is sequence order, and every returned sequence is one an Append returned.
  EXPECT_THAT(order, ElementsAreArray(unique.begin(), unique.end()));
  std::map<std::string, int> per_thread_last;
  for (const SpooledSubmission& submission : pending) {
    const std::string& id = submission.request.submission_id();
    const std::string thread = id.substr(0, id.find('-'));
    const int index = std::stoi(id.substr(id.find('-') + 1));
    // Each thread's own appends keep their order.
    if (per_thread_last.contains(thread)) {
      EXPECT_GT(index, per_thread_last[thread]) << id;
    }
    per_thread_last[thread] = index;
  }
}

TEST_P(SpoolContractTest, ReopenKeepsPendingAndSettledState) {
  const absl::Time t0 = clock_.Now();
  const uint64_t a = MustAppend(TestSubmission("a"), "a.csv");
  const uint64_t b = MustAppend(TestSubmission("b"), "b.csv");
  const uint64_t c = MustAppend(TestSubmission("c"), "c.csv");
  const uint64_t d = MustAppend(TestSubmission("d", 7), "d.csv");
  ASSERT_THAT(spool_->Acknowledge(b), IsOk());
  ASSERT_THAT(spool_->Quarantine(c, "refused"), IsOk());
  const SpoolStats before = spool_->Stats();

  Reopen();
  std::vector<SpooledSubmission> pending = PeekAll();
  ASSERT_THAT(pending, SizeIs(2));
  EXPECT_EQ(pending[0].sequence, a);
  EXPECT_EQ(pending[0].source, "a.csv");
  EXPECT_EQ(pending[0].spooled_at, t0);
  EXPECT_TRUE(SameRequest(pending[0].request, TestSubmission("a")));
  EXPECT_EQ(pending[1].sequence, d);
  EXPECT_TRUE(SameRequest(pending[1].request, TestSubmission("d", 7)));
  const SpoolStats after = spool_->Stats();
  EXPECT_EQ(after.pending_submissions, 2u);
  EXPECT_EQ(after.pending_bytes, before.pending_bytes);
  EXPECT_EQ(after.oldest_pending, before.oldest_pending);

  ASSERT_THAT(spool_->Acknowledge(a), IsOk());
  Reopen();
  EXPECT_THAT(PendingIds(), ElementsAre("d"));
  EXPECT_THAT(spool_->Acknowledge(b), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(SpoolContractTest, AppendsAfterReopenComeAfterEarlierPending) {
  MustAppend(TestSubmission("a"));
  const uint64_t b = MustAppend(TestSubmission("b"));
  Reopen();
  const uint64_t c = MustAppend(TestSubmission("c"));
  EXPECT_GT(c, b);
  EXPECT_THAT(PendingIds(), ElementsAre("a", "b", "c"));
}

}  // namespace
}  // namespace vroeg
