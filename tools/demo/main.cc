// vroeg-demo-data: writes deterministic sample exports for youth-care region Flevoland.

#include <cstdint>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/command_line.h"
#include "tools/demo/flevoland_scenario.h"

namespace {

constexpr char kProgram[] = "vroeg-demo-data";

int Fail(const absl::Status& status) {
  std::cerr << kProgram << ": error: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Writes deterministic sample exports for youth-care region Flevoland: one folder per "
      "reporter (providers, the certified institution, municipalities) with CSV and JSON files "
      "in every input format the agent accepts, and reporters.tsv listing the reporters.",
      kProgram};
  std::string out;
  std::string end;
  int months = 24;
  uint64_t seed = 1;
  bool force = false;
  app.add_option("--out", out, "Directory to write into; created when missing")->required();
  app.add_option("--months", months, "Months of history")
      ->check(CLI::Range(1, 240))
      ->capture_default_str();
  app.add_option("--end", end,
                 "Last month of history, YYYY-MM (default: the last complete month before today)");
  app.add_option("--seed", seed, "Seed for the noise; the same seed gives the same files")
      ->capture_default_str();
  app.add_flag("--force", force,
               "Write into a non-empty directory, replacing reporters.tsv and the reporter "
               "folders");
  app.set_version_flag("--version", VROEG_VERSION);
  if (auto exit_code = vroeg::ParseCommandLine(app, argc, argv)) return *exit_code;

  vroeg::demo::ScenarioOptions options;
  options.today = absl::ToCivilDay(vroeg::SystemClock().Now(), absl::LocalTimeZone());
  options.end = vroeg::demo::LastCompleteMonth(options.today);
  options.months = months;
  options.seed = seed;
  if (!end.empty()) {
    absl::StatusOr<absl::CivilMonth> parsed = vroeg::demo::ParseYearMonth(end);
    if (!parsed.ok()) return Fail(parsed.status());
    options.end = *parsed;
  }

  absl::StatusOr<vroeg::demo::DemoData> data = vroeg::demo::GenerateFlevoland(options);
  if (!data.ok()) return Fail(data.status());
  if (absl::Status written = vroeg::demo::WriteDemoData(*data, out, force); !written.ok()) {
    if (absl::IsFailedPrecondition(written)) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat(written.message(), "; pass --force to replace the sample data in it")));
    }
    return Fail(written);
  }
  std::cout << "Wrote " << data->reporters.size() << " reporters, " << data->files.size()
            << " files, " << data->observations << " observations for "
            << absl::FormatCivilTime(data->first_month) << " to "
            << absl::FormatCivilTime(data->last_month) << " (seed " << seed << ") to " << out
            << "\n";
  return 0;
}
