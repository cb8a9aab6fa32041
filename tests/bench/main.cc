// vroeg-bench: the load generator and probes behind scripts/bench.sh. Each subcommand prints
// one result line, `<subcommand> key=value ...`, and exits 0; on failure it prints the error
// to stderr and exits 1. Times are in seconds.

#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "tests/bench/load.h"
#include "tests/bench/populate.h"
#include "tests/bench/probes.h"
#include "tests/bench/stats.h"

namespace vroeg::bench {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "vroeg-bench: " << status << "\n";
  return 1;
}

void AddReporterOptions(CLI::App* command, ReporterSet* set) {
  command->add_option("--collector", set->collector, "Collector gRPC address, 127.0.0.1:PORT")
      ->required();
  command
      ->add_option("--cert-dir", set->cert_dir,
                   "Directory with ca.crt and provider-<AGB>.crt/.key per reporter "
                   "(vroegctl pki issue --identity urn:vroeg:provider:<AGB>)")
      ->required();
  command->add_option("--first-agb", set->first_agb, "AGB code of the first reporter")
      ->capture_default_str();
  command->add_option("--reporters", set->reporters, "Concurrent reporters, one channel each")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
}

void AddLimitOptions(CLI::App* command, double* seconds, int64_t* calls) {
  command->add_option("--seconds", *seconds, "Stop after this many seconds")->capture_default_str();
  command->add_option("--calls", *calls, "Stop after this many calls in all (0: no limit)")
      ->capture_default_str();
}

int PrintLoad(const std::string& name, const LoadResult& result, int batch) {
  if (result.calls == 0) {
    return Fail(absl::UnavailableError(
        absl::StrCat("no call succeeded; first error: ", result.first_error)));
  }
  const double seconds = Seconds(result.elapsed);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"calls", absl::StrCat(result.calls)},
      {"errors", absl::StrCat(result.errors)},
      {"seconds", Number(seconds)},
      {"calls_per_second", Number(static_cast<double>(result.calls) / seconds)},
      {"p50", Number(Percentile(result.latencies, 0.5))},
      {"p99", Number(Percentile(result.latencies, 0.99))}};
  if (batch > 0) {
    fields.insert(fields.begin(), {"batch", absl::StrCat(batch)});
    fields.push_back(
        {"observations_per_second", Number(static_cast<double>(result.items) / seconds)});
  }
  std::cout << ResultLine(name, fields) << "\n";
  if (!result.first_error.empty()) std::cerr << "first error: " << result.first_error << "\n";
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"Load generator and probes for scripts/bench.sh; one result line per run"};
  app.require_subcommand(1);

  PopulateSpec populate;
  auto* populate_command = app.add_subcommand(
      "populate", "Fill a SQLite database through SqliteStore with reporters x series x periods");
  populate_command->add_option("--database", populate.database, "SQLite file")->required();
  populate_command->add_option("--reporters", populate.reporters, "Reporters")
      ->capture_default_str();
  populate_command
      ->add_option("--series-per-reporter", populate.series_per_reporter,
                   "Series per reporter (care form x municipality, at most 54)")
      ->capture_default_str();
  populate_command->add_option("--periods", populate.periods, "Months per series")
      ->capture_default_str();
  populate_command->add_option("--first-agb", populate.first_agb, "AGB code of the first reporter")
      ->capture_default_str();
  populate_command
      ->add_option("--submission-size", populate.submission_size,
                   "Observations per committed submission")
      ->capture_default_str();

  ReporterSet reporters;
  int batch = 1;
  double seconds = 5;
  int64_t calls = 0;
  auto* ingest_command = app.add_subcommand(
      "ingest", "Submit batches of valid observations from concurrent reporters over mTLS");
  AddReporterOptions(ingest_command, &reporters);
  ingest_command->add_option("--batch", batch, "Observations per submission")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  AddLimitOptions(ingest_command, &seconds, &calls);

  auto* empty_command = app.add_subcommand(
      "empty-rpc", "Call grpc.health.v1.Health/Check from concurrent reporters over mTLS");
  AddReporterOptions(empty_command, &reporters);
  AddLimitOptions(empty_command, &seconds, &calls);

  int port = 0;
  std::string path = "/metrics";
  int count = 10;
  auto* scrape_command =
      app.add_subcommand("scrape", "GET http://127.0.0.1:PORT/PATH repeatedly, one at a time");
  scrape_command->add_option("--port", port, "Port on 127.0.0.1")->required();
  scrape_command->add_option("--path", path, "Path")->capture_default_str();
  std::string save;
  scrape_command->add_option("--save", save, "Write the last response's body to this file");
  scrape_command->add_option("--count", count, "GETs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));

  std::string durable_dir;
  auto* durable_command = app.add_subcommand(
      "durable-writes", "fdatasync after each 4 KiB overwrite in a directory, one at a time");
  durable_command->add_option("--dir", durable_dir, "Directory on the disk to measure")
      ->required()
      ->check(CLI::ExistingDirectory);
  durable_command->add_option("--seconds", seconds, "Measure for this long")->capture_default_str();

  EndToEndSpec e2e;
  auto* e2e_command = app.add_subcommand(
      "e2e", "Time from `vroeg-agent submit` returning to the value showing on /metrics");
  e2e_command->add_option("--agent", e2e.agent_binary, "vroeg-agent binary")->required();
  e2e_command->add_option("--agent-config", e2e.agent_config, "Its configuration")->required();
  e2e_command->add_option("--reporter", e2e.reporter_agb, "The agent's AGB code")->required();
  e2e_command->add_option("--region", e2e.region, "The collector's region code")
      ->capture_default_str();
  e2e_command->add_option("--metrics-port", e2e.metrics_port, "Collector /metrics port")
      ->required();
  e2e_command->add_option("--work-dir", e2e.work_dir, "Where to write the data files")->required();
  e2e_command->add_option("--iterations", e2e.iterations, "Values to send")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));

  CLI11_PARSE(app, argc, argv);
  const LoadLimit limit{absl::Seconds(seconds), calls};

  if (populate_command->parsed()) {
    auto result = Populate(populate);
    if (!result.ok()) return Fail(result.status());
    const double took = Seconds(result->elapsed);
    std::cout << ResultLine("populate",
                            {{"observations", absl::StrCat(result->observations)},
                             {"series", absl::StrCat(result->series)},
                             {"reporters", absl::StrCat(populate.reporters)},
                             {"submissions", absl::StrCat(result->submissions)},
                             {"seconds", Number(took)},
                             {"observations_per_second",
                              Number(static_cast<double>(result->observations) / took)}})
              << "\n";
    return 0;
  }
  if (ingest_command->parsed() || empty_command->parsed()) {
    auto channels = ConnectReporters(reporters);
    if (!channels.ok()) return Fail(channels.status());
    if (ingest_command->parsed())
      return PrintLoad("ingest", RunIngest(*channels, batch, limit), batch);
    return PrintLoad("empty-rpc", RunEmptyRpc(*channels, limit), 0);
  }
  if (durable_command->parsed()) {
    auto result = DurableWrites(durable_dir, absl::Seconds(seconds));
    if (!result.ok()) return Fail(result.status());
    std::cout << ResultLine("durable-writes", {{"writes", absl::StrCat(result->seconds.size())},
                                               {"seconds", Number(Seconds(result->elapsed))},
                                               {"writes_per_second",
                                                Number(static_cast<double>(result->seconds.size()) /
                                                       Seconds(result->elapsed))},
                                               {"p50", Number(Percentile(result->seconds, 0.5))},
                                               {"p99", Number(Percentile(result->seconds, 0.99))}})
              << "\n";
    return 0;
  }
  if (scrape_command->parsed()) {
    auto result = Scrape(port, path, count);
    if (!result.ok()) return Fail(result.status());
    if (!save.empty() && !(std::ofstream(save, std::ios::binary) << result->body)) {
      return Fail(absl::UnavailableError(absl::StrCat("cannot write ", save)));
    }
    std::cout << ResultLine("scrape", {{"count", absl::StrCat(count)},
                                       {"bytes", absl::StrCat(result->bytes)},
                                       {"samples", absl::StrCat(result->samples)},
                                       {"p50", Number(Percentile(result->seconds, 0.5))},
                                       {"p99", Number(Percentile(result->seconds, 0.99))}})
              << "\n";
    return 0;
  }
  auto result = RunEndToEnd(e2e);
  if (!result.ok()) return Fail(result.status());
  std::cout << ResultLine("e2e", {{"iterations", absl::StrCat(e2e.iterations)},
                                  {"submit_p50", Number(Percentile(result->submit_seconds, 0.5))},
                                  {"p50", Number(Percentile(result->visible_seconds, 0.5))},
                                  {"p99", Number(Percentile(result->visible_seconds, 0.99))}})
            << "\n";
  return 0;
}

}  // namespace
}  // namespace vroeg::bench

int main(int argc, char** argv) { return vroeg::bench::Main(argc, argv); }
