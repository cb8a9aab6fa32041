// Fault tests: real vroeg-agent daemons send a stream of observations to a real vroeg-collector
// on loopback while processes are killed, the collector goes away, connections are cut and the
// spool fills up or is damaged. Each test ends by reading the collector's database directly and
// comparing it with everything the agents were given: no observation lost, none stored twice.
//
// Random choices come from one seed, printed at the start of each test; set VROEG_FAULT_SEED to
// repeat a run, and VROEG_FAULT_KEEP_DIR to a directory to keep what each test left there.
// Progress, not time, decides when the next fault comes, so a slow (sanitizer) build sees the same
// faults at the same points of the stream, only later.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fault/fault_processes.h"
#include "tests/integration/fault/observation_stream.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kProviderA[] = "urn:vroeg:provider:98990012";
constexpr char kProviderB[] = "urn:vroeg:provider:98990029";

// Upper bound on any one phase (streaming, draining): far beyond what a sanitizer build on a
// busy two-core machine needs, so that reaching it means a hang, not slowness.
constexpr absl::Duration kPhaseTimeout = absl::Seconds(240);
// Files an export job keeps ahead of its agent.
constexpr int kWindow = 60;
constexpr char kAcknowledged[] = "vroeg_agent_sends_total{outcome=\"acknowledged\"}";

uint64_t Seed() {
  uint64_t seed = 0;
  if (const char* text = std::getenv("VROEG_FAULT_SEED"); text && absl::SimpleAtoi(text, &seed)) {
    return seed;
  }
  return std::random_device()();
}

std::string Tail(const std::string& text, size_t lines) {
  std::vector<absl::string_view> all = absl::StrSplit(text, '\n');
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<ptrdiff_t>(lines));
  return absl::StrJoin(all, "\n");
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = Seed();
    random_.seed(seed_);
    Report(absl::StrCat("seed=", seed_, " (VROEG_FAULT_SEED=", seed_, " repeats this run)"));
    auto collector = FaultCollector::Create(region_);
    ASSERT_THAT(collector, IsOk());
    collector_ = *std::move(collector);
    started_ = absl::Now();
  }

  void TearDown() override {
    Report(absl::StrCat("duration=", absl::FormatDuration(absl::Now() - started_)));
    // Everything the run left (logs, spools, database), for a closer look.
    if (const char* keep = std::getenv("VROEG_FAULT_KEEP_DIR"); keep != nullptr && *keep) {
      const std::string to =
          absl::StrCat(keep, "/", ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::error_code error;
      std::filesystem::remove_all(to, error);
      std::filesystem::create_directories(to, error);
      std::filesystem::copy(region_.dir(), to, std::filesystem::copy_options::recursive, error);
      Report(absl::StrCat("kept in ", to, error ? absl::StrCat(" (", error.message(), ")") : ""));
    }
    if (!HasFailure()) return;
    // Enough of every log to see what each process was doing when it went wrong.
    std::cout << Tail(collector_->Logs(), 60) << "\n";
    for (const auto& agent : agents_) std::cout << Tail(agent->Logs(), 120) << "\n";
  }

  // A line for the test output, where the figures of a run are read back.
  static void Report(const std::string& line) { std::cout << "[ figures  ] " << line << std::endl; }

  FaultAgent& AddAgent(const std::string& urn, const std::string& name,
                       FaultAgentOptions options = {}) {
    if (options.collector_port == 0) options.collector_port = collector_->port();
    agents_.push_back(std::make_unique<FaultAgent>(region_, urn, name, options));
    return *agents_.back();
  }

  std::vector<FaultAgent*> Agents() const {
    std::vector<FaultAgent*> agents;
    for (const auto& agent : agents_) agents.push_back(agent.get());
    return agents;
  }

  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  void SleepMillis(int low, int high) { absl::SleepFor(absl::Milliseconds(Uniform(low, high))); }

  // `count` distinct numbers from [low, high], ascending.
  std::vector<int> RandomPoints(int count, int low, int high) {
    std::set<int> points;
    while (static_cast<int>(points.size()) < count) points.insert(Uniform(low, high));
    return {points.begin(), points.end()};
  }

  // Waits (bounded) until `condition` holds; false on time-out.
  static bool Eventually(const std::function<bool()>& condition,
                         absl::Duration timeout = kPhaseTimeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!condition()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  // Sum of one counter over the running agents.
  double AgentSum(const std::string& series) const {
    double sum = 0;
    for (const auto& agent : agents_) {
      absl::StatusOr<double> value = agent->Metric(series);
      if (value.ok()) sum += *value;
    }
    return sum;
  }

  // Where the agents stand, for messages.
  std::string State() const {
    std::string state;
    for (const auto& agent : agents_) {
      absl::StrAppend(&state, agent->urn(), ": done ", agent->DoneFiles(), ", waiting ",
                      agent->WaitingFiles(), ", runs ", agent->runs(), "; ");
    }
    return state;
  }

  void ReportAgents() {
    for (const auto& agent : agents_) {
      const AgentLogSummary summary = agent->Summarize();
      Report(absl::StrCat(
          agent->urn(), ": runs=", agent->runs(), " spooled=", summary.spooled,
          " spooled_again=", summary.spooled_again, " acknowledged=", summary.acknowledged,
          " acknowledged_duplicate=", summary.acknowledged_duplicate, " retries=", summary.retries,
          " quarantined=", summary.quarantined, " deferred=", summary.deferred,
          " torn_tails=", summary.torn_tails, " corrupt_segments=", summary.corrupt_segments));
    }
  }

  // The end of every test: the collector stops cleanly, and its database holds `expected`,
  // each observation once, from `submissions` submissions.
  // Starts the collector and `agent`, delivers the stream's first file (so that the agent knows
  // the catalogue), stops the collector and drops the rest of the stream.
  void DeliverFirstThenDropTheRestWhileTheCollectorIsDown(FaultAgent& agent,
                                                          const ObservationStream& stream) {
    ASSERT_THAT(collector_->Start(), IsOk());
    ASSERT_THAT(agent.Start(), IsOk());
    agent.Drop(stream.FileName(0), stream.FileContent(0));
    ASSERT_THAT(AwaitDelivered({{&agent, 1}}, kPhaseTimeout), IsOk());
    ASSERT_THAT(collector_->Stop(), IsOk());
    for (int file = 1; file < stream.files(); ++file) {
      agent.Drop(stream.FileName(file), stream.FileContent(file));
    }
  }

  // Every file of both streams taken, and everything in them stored exactly once.
  void ExpectBothStoredExactly(FaultAgent& agent_a, const ObservationStream& stream_a,
                               FaultAgent& agent_b, const ObservationStream& stream_b) {
    ExpectAllTaken(agent_a, stream_a);
    ExpectAllTaken(agent_b, stream_b);
    ObservationSet expected = stream_a.AllObservations();
    expected.merge(stream_b.AllObservations());
    ExpectStoredExactly(expected, stream_a.files() + stream_b.files());
  }

  void ExpectStoredExactly(const ObservationSet& expected, int64_t submissions) {
    ReportAgents();
    ASSERT_THAT(collector_->Stop(), IsOk());
    auto stored = ReadCollectorDatabase(collector_->database());
    ASSERT_THAT(stored, IsOk());
    const Comparison comparison = Compare(expected, stored->current);
    Report(absl::StrCat("sent: submissions=", submissions, " observations=", expected.size(),
                        "; stored: ", FormatCounts(stored->counts),
                        "; missing=", comparison.missing, " wrong=", comparison.wrong,
                        " unexpected=", comparison.unexpected,
                        "; collector runs=", collector_->runs()));
    EXPECT_TRUE(comparison.Exact()) << absl::StrJoin(comparison.examples, "\n");
    // Every submission is unique and nothing is corrected, so one row per observation and one
    // submission per file: anything more was stored twice.
    EXPECT_EQ(stored->counts.submissions, static_cast<uint64_t>(submissions));
    EXPECT_EQ(stored->counts.observations, expected.size());
    EXPECT_EQ(stored->counts.current, expected.size());
  }

  // Every file of `stream` went to done/ once, under its own name, and none was rejected.
  static void ExpectAllTaken(const FaultAgent& agent, const ObservationStream& stream) {
    std::vector<std::string> done = agent.DoneNames();
    std::sort(done.begin(), done.end());
    std::vector<std::string> names;
    for (int file = 0; file < stream.files(); ++file) names.push_back(stream.FileName(file));
    EXPECT_EQ(done, names) << agent.urn();
    std::error_code error;
    EXPECT_TRUE(std::filesystem::is_empty(agent.drop_dir() + "/rejected", error)) << agent.urn();
  }

  TestRegion region_;
  uint64_t seed_ = 0;
  std::mt19937_64 random_;
  absl::Time started_;
  std::unique_ptr<FaultCollector> collector_;
  std::vector<std::unique_ptr<FaultAgent>> agents_;
};

TEST_F(FaultTest, AgentKilledAtRandomMomentsLosesAndDuplicatesNothing) {
  constexpr int kFiles = 500;
  constexpr int kRows = 100;
  constexpr int kKills = 22;
  const ObservationStream stream(kProviderA, kFiles, kRows);
  ASSERT_THAT(collector_->Start(), IsOk());
  FaultAgent& agent = AddAgent(kProviderA, "provider-a");
  ASSERT_THAT(agent.Start(), IsOk());

  // The stream comes in rations, one per run of the agent, so that every run has files to take
  // and the kills spread over the whole stream however fast the agent is.
  auto ration = [&](int run) { return (run + 1) * kFiles / (kKills + 1); };
  StreamWriter writer({{&stream, &agent}}, kFiles, ration(0));
  int kills = 0;
  for (int run = 0; run < kKills; ++run) {
    // Somewhere in this run's ration, so that each run takes files before it dies.
    const int point = Uniform(run == 0 ? 1 : ration(run - 1) + 1, ration(run));
    ASSERT_TRUE(Eventually([&] { return agent.DoneFiles() >= static_cast<size_t>(point); }))
        << "agent stalled before kill " << kills + 1 << ": " << State();
    // Half the kills land while the run is still taking files, the others mostly while it sends.
    if (Uniform(0, 1) == 0) {
      SleepMillis(0, 40);
    } else {
      SleepMillis(0, 400);
    }
    ASSERT_THAT(agent.Kill(), IsOk());
    ++kills;
    // The next files arrive while the agent is down.
    writer.Limit(ration(run + 1));
    SleepMillis(0, 200);
    ASSERT_THAT(agent.Start(), IsOk());
  }
  ASSERT_THAT(AwaitDelivered({{&agent, kFiles}}, kPhaseTimeout), IsOk()) << State();

  // A kill after a file is spooled but before it moves to done/ leaves it in the folder, to be
  // taken and sent again. Random kills seldom hit that moment, so some files are put back the
  // way it leaves them: the collector must recognise each one and store nothing twice.
  constexpr int kTakenAgain = 5;
  const int64_t duplicates_before = agent.Summarize().acknowledged_duplicate;
  ASSERT_THAT(agent.Kill(), IsOk());
  ++kills;
  for (int file : RandomPoints(kTakenAgain, 0, kFiles - 1)) {
    std::filesystem::rename(agent.drop_dir() + "/done/" + stream.FileName(file),
                            agent.drop_dir() + "/" + stream.FileName(file));
  }
  ASSERT_THAT(agent.Start(), IsOk());
  ASSERT_THAT(AwaitDelivered({{&agent, kFiles}}, kPhaseTimeout), IsOk()) << State();
  EXPECT_GE(agent.Summarize().acknowledged_duplicate - duplicates_before, kTakenAgain);

  Report(absl::StrCat("agent kills=", kills, " files=", kFiles,
                      " observations=", stream.observations(), " files taken again=", kTakenAgain));
  EXPECT_GE(kills, 20);
  ExpectAllTaken(agent, stream);
  ExpectStoredExactly(stream.AllObservations(), kFiles);
}

TEST_F(FaultTest, CollectorStoppedAndRestartedWhileAgentsKeepProducing) {
  constexpr int kFiles = 150;
  constexpr int kRows = 100;
  const ObservationStream stream_a(kProviderA, kFiles, kRows);
  const ObservationStream stream_b(kProviderB, kFiles, kRows);
  ASSERT_THAT(collector_->Start(), IsOk());
  FaultAgent& agent_a = AddAgent(kProviderA, "provider-a");
  FaultAgent& agent_b = AddAgent(kProviderB, "provider-b");
  ASSERT_THAT(agent_a.Start(), IsOk());
  ASSERT_THAT(agent_b.Start(), IsOk());

  // The stream in rations: each but the last ends in an outage, during which the next ration
  // arrives and is taken.
  constexpr int kOutages = 4;
  auto ration = [&](int part) { return (part + 1) * kFiles / (kOutages + 1); };
  StreamWriter writer({{&stream_a, &agent_a}, {&stream_b, &agent_b}}, kFiles, ration(0));
  for (int outage = 0; outage < kOutages; ++outage) {
    // Every other stop comes as the agents finish taking the ration's files, so that their
    // first calls for it reach a collector that is shutting down; the others somewhere in the
    // delivery of the ration.
    const int first = outage == 0 ? 0 : ration(outage - 1);
    if (outage % 2 == 0) {
      const size_t taken = 2 * ration(outage) - Uniform(0, 10);
      ASSERT_TRUE(Eventually([&] { return TotalDone(Agents()) >= taken; })) << State();
    } else {
      const double acknowledged = 2 * first + Uniform(2, 2 * (ration(outage) - first) - 2);
      ASSERT_TRUE(Eventually([&] { return AgentSum(kAcknowledged) >= acknowledged; })) << State();
    }
    const double point = AgentSum(kAcknowledged);
    ASSERT_THAT(collector_->Stop(), IsOk());
    const size_t down_at = TotalDone(Agents());
    writer.Limit(ration(outage + 1));
    ASSERT_TRUE(Eventually([&] {
      return TotalDone(Agents()) >= 2 * static_cast<size_t>(ration(outage + 1));
    })) << "agents stopped taking files while the collector was down: "
        << State();
    const double spooled = AgentSum("vroeg_agent_spool_submissions");
    Report(absl::StrCat("outage ", outage + 1, ": collector stopped at ", down_at,
                        " files taken and ", point, " acknowledged, started again at ",
                        TotalDone(Agents()), " taken with ", spooled, " submissions spooled"));
    EXPECT_GT(spooled, 0);
    ASSERT_THAT(collector_->Start(), IsOk());
  }
  writer.Limit(kFiles);
  ASSERT_THAT(AwaitDelivered({{&agent_a, kFiles}, {&agent_b, kFiles}}, kPhaseTimeout), IsOk())
      << State();
  EXPECT_GE(AgentSum("vroeg_agent_sends_total{outcome=\"retry\"}"), 1);
  ExpectBothStoredExactly(agent_a, stream_a, agent_b, stream_b);
}

TEST_F(FaultTest, CollectorKilledRepeatedlyDuringTheStream) {
  constexpr int kFiles = 150;
  constexpr int kRows = 100;
  constexpr int kKills = 12;
  const ObservationStream stream_a(kProviderA, kFiles, kRows);
  const ObservationStream stream_b(kProviderB, kFiles, kRows);
  ASSERT_THAT(collector_->Start(), IsOk());
  FaultAgent& agent_a = AddAgent(kProviderA, "provider-a");
  FaultAgent& agent_b = AddAgent(kProviderB, "provider-b");
  ASSERT_THAT(agent_a.Start(), IsOk());
  ASSERT_THAT(agent_b.Start(), IsOk());

  // As with the agent kills: one ration of the stream per collector run.
  auto ration = [&](int run) { return (run + 1) * kFiles / (kKills + 1); };
  StreamWriter writer({{&stream_a, &agent_a}, {&stream_b, &agent_b}}, kFiles, ration(0));
  int kills = 0;
  for (int run = 0; run < kKills; ++run) {
    // Each run acknowledges some of its ration before it dies, so every kill hits a collector at
    // work.
    const double acknowledged_before = AgentSum(kAcknowledged);
    const size_t point =
        2 * static_cast<size_t>(Uniform(run == 0 ? 1 : ration(run - 1) + 1, ration(run)));
    ASSERT_TRUE(Eventually([&] {
      return TotalDone(Agents()) >= point && AgentSum(kAcknowledged) > acknowledged_before;
    })) << "no delivery before kill "
        << kills + 1 << ": " << State();
    SleepMillis(0, 200);
    ASSERT_THAT(collector_->Kill(), IsOk());
    ++kills;
    writer.Limit(ration(run + 1));
    SleepMillis(0, 1000);
    ASSERT_THAT(collector_->Start(), IsOk());
  }
  ASSERT_THAT(AwaitDelivered({{&agent_a, kFiles}, {&agent_b, kFiles}}, kPhaseTimeout), IsOk())
      << State();
  Report(absl::StrCat("collector kills=", kills));
  EXPECT_GE(kills, 10);
  ExpectBothStoredExactly(agent_a, stream_a, agent_b, stream_b);
}

TEST_F(FaultTest, ConnectionsCutDroppedAndDelayedMidCall) {
  constexpr int kFiles = 120;
  constexpr int kRows = 100;
  // Connections reset while open, by CutAll or when the collector answered.
  constexpr uint64_t kMinimumCuts = 15;
  const ObservationStream stream_a(kProviderA, kFiles, kRows);
  const ObservationStream stream_b(kProviderB, kFiles, kRows);
  ASSERT_THAT(collector_->Start(), IsOk());
  auto started = TcpProxy::Start(collector_->port());
  ASSERT_THAT(started, IsOk());
  TcpProxy& proxy = **started;
  // A deadline that the longer delays overrun, after the collector may have committed.
  FaultAgentOptions options;
  options.collector_port = proxy.port();
  options.timeout_seconds = 2;
  FaultAgent& agent_a = AddAgent(kProviderA, "provider-a", options);
  FaultAgent& agent_b = AddAgent(kProviderB, "provider-b", options);
  ASSERT_THAT(agent_a.Start(), IsOk());
  ASSERT_THAT(agent_b.Start(), IsOk());

  StreamWriter writer({{&stream_a, &agent_a}, {&stream_b, &agent_b}}, kWindow);
  const std::vector<std::pair<FaultAgent*, int>> delivery = {{&agent_a, kFiles},
                                                             {&agent_b, kFiles}};
  int cut_all = 0;
  int reply_cuts_armed = 0;
  int refusals = 0;
  int delays = 0;
  const absl::Time deadline = absl::Now() + kPhaseTimeout;
  while (!AwaitDelivered(delivery, absl::ZeroDuration()).ok()) {
    // The next fault comes after a few acknowledgements: always into live traffic, and never
    // so often that nothing can get through.
    const double acknowledged_before = AgentSum(kAcknowledged);
    const int between = Uniform(1, 8);
    ASSERT_TRUE(Eventually(
        [&] {
          return AgentSum(kAcknowledged) >= acknowledged_before + between ||
                 AwaitDelivered(delivery, absl::ZeroDuration()).ok();
        },
        deadline - absl::Now()))
        << "nothing got through after " << cut_all + reply_cuts_armed + refusals + delays
        << " faults: " << State();
    const int action = Uniform(0, 19);
    if (action < 8) {
      proxy.CutAll();
      ++cut_all;
    } else if (action < 14) {
      proxy.CutNextReply();
      ++reply_cuts_armed;
    } else if (action < 17) {
      // Gone for a while: open connections reset, new ones refused.
      proxy.SetRefusing(true);
      proxy.CutAll();
      SleepMillis(200, 1500);
      proxy.SetRefusing(false);
      ++refusals;
    } else {
      proxy.SetDelay(absl::Milliseconds(Uniform(100, 2500)));
      SleepMillis(500, 2500);
      proxy.SetDelay(absl::ZeroDuration());
      ++delays;
    }
  }
  const TcpProxy::Stats stats = proxy.stats();
  Report(absl::StrCat("proxy faults: cut_all=", cut_all, " reply_cuts_armed=", reply_cuts_armed,
                      " refusal_periods=", refusals, " delay_periods=", delays,
                      "; connections accepted=", stats.accepted, " refused=", stats.refused,
                      " cut=", stats.cut, " replies_cut=", stats.replies_cut));
  EXPECT_GE(stats.cut + stats.replies_cut, kMinimumCuts);
  EXPECT_GE(AgentSum("vroeg_agent_sends_total{outcome=\"retry\"}"), 1);
  ExpectBothStoredExactly(agent_a, stream_a, agent_b, stream_b);
}

TEST_F(FaultTest, FullSpoolDefersFilesUntilTheCollectorCatchesUp) {
  constexpr int kFiles = 40;
  constexpr int kRows = 100;
  // Room for a handful of these submissions (about 10 kB each).
  constexpr uint64_t kSpoolBytes = 64 << 10;
  const ObservationStream stream(kProviderA, kFiles, kRows);
  FaultAgentOptions options;
  options.spool_max_bytes = kSpoolBytes;
  FaultAgent& agent = AddAgent(kProviderA, "provider-a", options);
  ASSERT_NO_FATAL_FAILURE(DeliverFirstThenDropTheRestWhileTheCollectorIsDown(agent, stream));
  const std::string deferred = "vroeg_agent_files_total{outcome=\"deferred\"}";
  ASSERT_TRUE(Eventually([&] { return agent.Metric(deferred).value_or(0) >= 1; }))
      << "the spool never filled up: " << State();
  // Full, and it stays full across a crash: what does not fit waits in the folder.
  ASSERT_THAT(agent.Kill(), IsOk());
  ASSERT_THAT(agent.Start(), IsOk());
  ASSERT_TRUE(Eventually([&] { return agent.Metric(deferred).value_or(0) >= 1; }))
      << "the restarted agent did not find its spool full: " << State();
  const size_t waiting = agent.WaitingFiles();
  const double spooled = agent.Metric("vroeg_agent_spool_submissions").value_or(-1);
  const double bytes = agent.Metric("vroeg_agent_spool_bytes").value_or(-1);
  Report(absl::StrCat("full spool: ", spooled, " submissions in ", bytes, " bytes (max_bytes ",
                      kSpoolBytes, "), ", waiting, " files waiting in the drop folder"));
  EXPECT_GT(waiting, 0u);
  EXPECT_GT(spooled, 0);
  EXPECT_LE(bytes, static_cast<double>(kSpoolBytes));
  EXPECT_EQ(agent.DoneFiles() + waiting, static_cast<size_t>(kFiles));

  ASSERT_THAT(collector_->Start(), IsOk());
  ASSERT_THAT(AwaitDelivered({{&agent, kFiles}}, kPhaseTimeout), IsOk()) << State();
  ExpectAllTaken(agent, stream);
  ExpectStoredExactly(stream.AllObservations(), kFiles);
}

// Spool segment files, oldest first.
std::vector<std::string> SegmentFiles(const std::string& spool) {
  std::vector<std::string> segments;
  for (const auto& entry : std::filesystem::directory_iterator(spool)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("segment-") && name.ends_with(".log")) segments.push_back(name);
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

uint64_t SegmentFirstSequence(const std::string& name) {
  uint64_t first = 0;
  EXPECT_TRUE(absl::SimpleAtoi(name.substr(8, 20), &first)) << name;
  return first;
}

TEST_F(FaultTest, CorruptSpoolSegmentIsSetAsideAndTheRestArrivesOnce) {
  constexpr int kFiles = 20;
  constexpr int kRows = 100;
  // Room for all of these submissions (about 10 kB each), in segments of a quarter of it.
  constexpr uint64_t kSpoolBytes = 300000;
  const ObservationStream stream(kProviderA, kFiles, kRows);
  FaultAgentOptions options;
  options.spool_max_bytes = kSpoolBytes;
  FaultAgent& agent = AddAgent(kProviderA, "provider-a", options);
  // Everything else spooled while the collector is away, then the agent stopped.
  ASSERT_NO_FATAL_FAILURE(DeliverFirstThenDropTheRestWhileTheCollectorIsDown(agent, stream));
  ASSERT_TRUE(Eventually([&] { return agent.DoneFiles() == kFiles; })) << State();
  ASSERT_THAT(agent.Stop(), IsOk());

  // Damage the middle of a segment that is neither the first nor the newest, where it cannot
  // pass for an append cut short.
  const std::vector<std::string> segments = SegmentFiles(agent.spool_dir());
  ASSERT_GE(segments.size(), 3u) << "too few segments to damage one in the middle";
  const size_t damaged_index = 1 + Uniform(0, static_cast<int>(segments.size()) - 3);
  const std::string damaged = segments[damaged_index];
  const uint64_t damaged_first = SegmentFirstSequence(damaged);
  const uint64_t damaged_end = SegmentFirstSequence(segments[damaged_index + 1]);
  const std::string damaged_path = agent.spool_dir() + "/" + damaged;
  std::string bytes = ReadWholeFile(damaged_path);
  ASSERT_GT(bytes.size(), 64u);
  const size_t at = bytes.size() / 2 + Uniform(-16, 16);
  for (size_t i = at; i < at + 8; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  WriteFile(damaged_path, bytes);

  // The files whose submissions were in that segment, in spool order, by the agent's account.
  std::vector<std::string> lost;
  for (const auto& [sequence, name] : agent.Summarize().sequence_files) {
    if (sequence >= damaged_first && sequence < damaged_end) lost.push_back(name);
  }
  ASSERT_FALSE(lost.empty());

  // Damage is never fatal: the agent starts, sets the segment aside and says so.
  ASSERT_THAT(agent.Start(), IsOk());
  EXPECT_THAT(agent.Metric("vroeg_agent_spool_corrupt_segments_total"), IsOkAndHolds(1.0));
  EXPECT_THAT(agent.Logs(),
              HasSubstr(absl::StrCat("event=spool_segment_corrupt segment=", damaged_path)));
  const std::string quarantined = agent.spool_dir() + "/quarantine/corrupt-" + damaged;
  EXPECT_EQ(ReadWholeFile(quarantined), bytes) << "the damaged segment is kept as it was";
  EXPECT_FALSE(std::filesystem::exists(damaged_path));
  EXPECT_THAT(agent.Metric("vroeg_agent_spool_submissions"),
              IsOkAndHolds(static_cast<double>(kFiles - 1 - lost.size())));

  // It names the submissions it held before the damage, for a person to send again; those
  // from the damaged record on are set aside unnamed (file_spool.cc: what follows the damage is
  // not read).
  const std::vector<std::string> named = agent.Summarize().not_sent;
  ASSERT_LT(named.size(), lost.size()) << "the damaged record itself cannot be named";
  EXPECT_EQ(named, std::vector<std::string>(lost.begin(), lost.begin() + named.size()));

  ASSERT_THAT(collector_->Start(), IsOk());
  ASSERT_THAT(AwaitDelivered({{&agent, kFiles}}, kPhaseTimeout), IsOk()) << State();
  Report(absl::StrCat("segments=", segments.size(), " damaged=", damaged, " (sequences ",
                      damaged_first, "..", damaged_end - 1, "); set aside: ", lost.size(),
                      " submissions, named in the log: ", absl::StrJoin(named, ","),
                      "; unnamed: ", absl::StrJoin(lost.begin() + named.size(), lost.end(), ",")));

  // Everything else arrived once; what was in the damaged segment did not arrive at all.
  const std::set<std::string> lost_names(lost.begin(), lost.end());
  ObservationSet expected;
  for (int file = 0; file < kFiles; ++file) {
    if (!lost_names.contains(stream.FileName(file))) stream.AddObservations(file, expected);
  }
  ExpectStoredExactly(expected, kFiles - static_cast<int64_t>(lost.size()));
  if (HasFailure()) return;

  // Their files are still in done/: put back into the folder, they arrive once.
  ASSERT_THAT(collector_->Start(), IsOk());
  for (const std::string& name : lost) {
    std::filesystem::rename(agent.drop_dir() + "/done/" + name, agent.drop_dir() + "/" + name);
  }
  ASSERT_THAT(AwaitDelivered({{&agent, kFiles}}, kPhaseTimeout), IsOk()) << State();
  ExpectAllTaken(agent, stream);
  ExpectStoredExactly(stream.AllObservations(), kFiles);
}

}  // namespace
}  // namespace vroeg::testing
