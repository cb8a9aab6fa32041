#include "tests/support/prometheus_server.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"
#include "yaml-cpp/yaml.h"

namespace vroeg::testing {
namespace {

namespace fs = std::filesystem;

// Sets the global intervals and the rule files of a Prometheus configuration.
void SetGlobals(YAML::Node& config, const std::string& rules_dir, const std::string& interval) {
  config["global"]["scrape_interval"] = interval;
  config["global"]["evaluation_interval"] = interval;
  config["global"]["scrape_timeout"] = interval;
  config["rule_files"] = std::vector<std::string>{rules_dir + "/*.yml"};
}

// The one scrape job named `name`, with its own intervals (if any) set to `interval`.
absl::StatusOr<YAML::Node> OnlyJob(YAML::Node& config, const std::string& name,
                                   const std::string& interval, const std::string& path) {
  std::vector<YAML::Node> jobs;
  for (YAML::Node job : config["scrape_configs"]) {
    if (job["job_name"].as<std::string>() == name) jobs.push_back(job);
  }
  if (jobs.size() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " has ", jobs.size(), " scrape jobs named ", name, ", not 1"));
  }
  for (const char* key : {"scrape_interval", "scrape_timeout"}) {
    if (jobs[0][key]) jobs[0][key] = interval;
  }
  return jobs[0];
}

std::string Emit(const YAML::Node& config) {
  YAML::Emitter out;
  out << config;
  return std::string(out.c_str());
}

}  // namespace

std::string FindProgram(const std::string& program) {
  auto result = RunCommand({"/bin/sh", "-c", absl::StrCat("command -v ", program)});
  if (!result.ok() || result->exit_code != 0) return "";
  return std::string(absl::StripAsciiWhitespace(result->out));
}

absl::StatusOr<std::string> RegionalPrometheusConfig(int metrics_port, const std::string& rules_dir,
                                                     const std::string& region,
                                                     const std::string& interval) {
  const std::string path = SourceDir() + "/deploy/prometheus/prometheus.yml";
  try {
    YAML::Node config = YAML::LoadFile(path);
    SetGlobals(config, rules_dir, interval);
    if (!config["global"]["external_labels"]["region"]) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " has no global.external_labels.region"));
    }
    config["global"]["external_labels"]["region"] = region;
    auto job = OnlyJob(config, "vroeg-collector", interval, path);
    if (!job.ok()) return job.status();
    (*job)["static_configs"] =
        YAML::Load(absl::StrCat("[{targets: ['127.0.0.1:", metrics_port, "']}]"));
    return Emit(config);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": ", e.what()));
  }
}

absl::StatusOr<std::string> NationalPrometheusConfig(const std::map<std::string, int>& regions,
                                                     const std::string& rules_dir,
                                                     const std::string& interval) {
  const std::string path = SourceDir() + "/deploy/prometheus/national.yml";
  try {
    YAML::Node config = YAML::LoadFile(path);
    SetGlobals(config, rules_dir, interval);
    auto job = OnlyJob(config, "federate", interval, path);
    if (!job.ok()) return job.status();
    YAML::Node targets(YAML::NodeType::Sequence);
    for (const auto& [region, port] : regions) {
      targets.push_back(YAML::Load(
          absl::StrCat("{targets: ['127.0.0.1:", port, "'], labels: {region: ", region, "}}")));
    }
    (*job)["static_configs"] = targets;
    return Emit(config);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": ", e.what()));
  }
}

absl::Status CopyRulesWithoutFor(const std::string& from_dir, const std::string& to_dir,
                                 const std::string& interval) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(from_dir, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yml") {
      files.push_back(entry.path());
    }
  }
  if (error || files.empty()) {
    return absl::NotFoundError(absl::StrCat("no rule files in ", from_dir));
  }
  fs::create_directories(to_dir);
  int durations = 0;
  for (const fs::path& file : files) {
    std::vector<std::string> lines = absl::StrSplit(ReadWholeFile(file.string()), '\n');
    for (std::string& line : lines) {
      const absl::string_view text = absl::StripLeadingAsciiWhitespace(line);
      const std::string indent = line.substr(0, line.size() - text.size());
      if (absl::StartsWith(text, "for:")) {
        line = indent + "for: 0s";
        ++durations;
      } else if (absl::StartsWith(text, "interval:")) {
        line = absl::StrCat(indent, "interval: ", interval);
      }
    }
    WriteFile((fs::path(to_dir) / file.filename()).string(), absl::StrJoin(lines, "\n"));
  }
  if (durations == 0) return absl::NotFoundError(absl::StrCat("no `for:` in ", from_dir));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BackgroundProcess>> StartPrometheus(const std::string& binary,
                                                                   const std::string& config,
                                                                   const std::string& dir,
                                                                   int* port) {
  absl::Status last = absl::UnknownError("not started");
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto free_port = FreeLoopbackPort();
    if (!free_port.ok()) return free_port.status();
    const std::string log = absl::StrCat(dir, "/prometheus-", attempt, ".log");
    auto process = BackgroundProcess::Start(
        {binary, "--config.file=" + config,
         absl::StrCat("--storage.tsdb.path=", dir, "/prometheus-data-", attempt),
         absl::StrCat("--web.listen-address=127.0.0.1:", *free_port)},
        log);
    if (!process.ok()) return process.status();
    auto ready =
        (*process)->WaitForLogLine("Server is ready to receive web requests", absl::Seconds(60));
    if (ready.ok()) {
      *port = *free_port;
      return process;
    }
    last = ready.status();
    if (!absl::StrContains((*process)->Log(), "address already in use")) return last;
  }
  return last;
}

}  // namespace vroeg::testing
