#ifndef VROEG_TOOLS_DEMO_FLEVOLAND_SCENARIO_H_
#define VROEG_TOOLS_DEMO_FLEVOLAND_SCENARIO_H_

// Sample exports for youth-care region Flevoland, for the live demo and for tests.
//
// The scenario is fictional but plausible: six municipalities, thirteen providers spread over the
// catalogue's care forms and one certified institution, each dropping the files its own systems
// would export. One provider drifts into trouble over the last months of the history (rising
// waiting lists and waiting times, fewer staffed places, sick leave up, losses, current ratio
// below 1, and an intake stop for its main care form). Every figure is a pure function of the
// options: the same options give byte-identical output.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/identity.h"

namespace vroeg::demo {

struct ScenarioOptions {
  // The day the data is generated. No period starts after it, and `end` may not lie after its
  // month. Pass it in; the library never reads the clock.
  absl::CivilDay today;
  // The last month of history (inclusive). Use LastCompleteMonth(today) for the usual case.
  absl::CivilMonth end;
  // Number of months of history, 1 to 240.
  int months = 24;
  // Drives all noise; different seeds give different figures around the same story.
  uint64_t seed = 1;
};

// One generated file; `path` is relative to the output directory and uses '/'.
struct DemoFile {
  std::string path;
  std::string contents;
  // Observations in the file (0 for reporters.tsv).
  int64_t observations = 0;
};

// One reporter of the scenario, as listed in reporters.tsv.
struct DemoReporter {
  ReporterId id;
  std::string name;
  // Folder under the output directory holding the reporter's files: "<kind>-<id>".
  std::string folder;
  // What is special about this reporter's files or figures, for people reading the manifest.
  std::string note;
  // True for the provider that drifts into trouble.
  bool in_trouble = false;
};

struct DemoData {
  absl::CivilMonth first_month;
  absl::CivilMonth last_month;
  std::vector<DemoReporter> reporters;
  // Every file to write, reporters.tsv first, then per reporter folder in chronological order
  // (file names start with the period, so sorting them by name gives the order to submit).
  std::vector<DemoFile> files;
  int64_t observations = 0;
};

// The last calendar month that ended before `today`.
absl::CivilMonth LastCompleteMonth(absl::CivilDay today);

// Parses "YYYY-MM" strictly; INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::CivilMonth> ParseYearMonth(absl::string_view text);

// Generates the scenario in memory. INVALID_ARGUMENT when `months` is out of range or `end`
// lies after the month of `today`.
//
// Layout (paths in DemoFile::path):
//   reporters.tsv                 kind, id, name, folder, note; one line per reporter
//   provider-<agb>/               and certified_institution-<agb>/
//     YYYY-MM-beschikbaarheid.csv   monthly: wachtenden, wachttijd_intake_weken,
//                                   wachttijd_behandeling_weken per care form
//     YYYY-MM-capaciteit.csv        weekly (ISO weeks whose Monday falls in the month):
//                                   clientenstop, plaatsen_gecontracteerd,
//                                   plaatsen_operationeel, plaatsen_bezet per care form
//     YYYY-MM-Qn-personeel.csv      quarterly, named after the quarter's last month: staff
//     YYYY-MM-Qn-financien.csv      quarterly: finance (revenue year to date, the rest per
//                                   quarter or at its end)
//   municipality-GM<code>/
//     YYYY-MM-toegang.json          monthly: referrals by route and placement requests without a
//                                   place per regional care form, as {"observations": [...]}
// Provider CSV files come in long form (',' and decimal point) or wide form (one column per
// indicator, ';' and decimal comma), some with a UTF-8 BOM and CRLF line endings.
absl::StatusOr<DemoData> GenerateFlevoland(const ScenarioOptions& options);

// Writes `data` under `out_dir`, creating it when missing. FAILED_PRECONDITION when `out_dir`
// exists and is not empty, unless `force`; with `force`, reporters.tsv and the scenario's
// reporter folders are replaced and anything else in `out_dir` is left alone. INTERNAL on I/O
// errors, naming the path.
absl::Status WriteDemoData(const DemoData& data, const std::string& out_dir, bool force);

}  // namespace vroeg::demo

#endif  // VROEG_TOOLS_DEMO_FLEVOLAND_SCENARIO_H_
