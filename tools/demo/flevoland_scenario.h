#ifndef VROEG_TOOLS_DEMO_FLEVOLAND_SCENARIO_H_
#define VROEG_TOOLS_DEMO_FLEVOLAND_SCENARIO_H_

// Sample exports for youth-care region Flevoland, for the live demo and for tests.
//
// The scenario is fictional but plausible: six municipalities, thirteen providers spread over the
// catalogue's care forms and one certified institution (GI), each dropping the files its own
// systems would export. Every figure is a pure function of the options: the same options give
// byte-identical output.
//
// The end of the history holds exactly these risks, each on purpose, with the alert of
// deploy/prometheus/rules/alerts.yml it is meant to raise (weeks count back from the newest
// complete week; quarters from the newest complete quarter):
//  a. De Zeearend Jeugdzorg (98990012) drifts into trouble over the last six to nine months: its
//     staffed residential places fall, so the other verblijf providers fill up; regional verblijf
//     occupancy is above 0.95 in each of the last seven weeks, with a few places still free.
//     -> JeugdzorgOccupancyHigh{care_form="verblijf"}
//  b. De Zeearend's verblijf waiting list grows every month, with mean waiting times past both
//     norms (4 weeks to intake, 10 to treatment); it holds well over 20% of the region's waiting
//     youths for verblijf. -> JeugdzorgWaitingBeyondNormRising{care_form="verblijf"} for stage
//     intake and for stage treatment.
//  c. Intake stops for kortdurend_verblijf at De Zeearend (last 4 weeks) and Logeerhuis Het Baken
//     (98990071, last 2 weeks): two of its three providers.
//     -> JeugdzorgIntakeStopMajority{care_form="kortdurend_verblijf"}
//     (De Zeearend also stops verblijf intake in the last 6 weeks: one of seven providers.)
//  d. Every crisis place is taken at every crisishulp provider in the last 2 weeks only, so high
//     occupancy lasts two periods, not the three that raise JeugdzorgOccupancyHigh.
//     -> JeugdzorgNoAvailablePlaces{care_form="crisishulp"}
//  e. De Zeearend (in early-warning scope) closes the last two quarters with a loss, the last
//     with a current ratio below 1. -> JeugdzorgProviderLosses and
//     JeugdzorgProviderCurrentRatioLow{reporter="98990012"}. Het Baken also loses money in the
//     last two quarters, but its youth-care revenue is well under EUR 2 million: out of scope,
//     no alert.
//  f. Gezinshuizen De Haven (98990144) sends no places for its last 5 weeks; its intake-stop flag
//     (dataset availability) and its other files keep coming.
//     -> JeugdzorgReporterOverdue{reporter="98990144", dataset="capacity"}
//  g. By the cast, the GI (98999001) is the only provider of jeugdbescherming and
//     jeugdreclassering, and Zuiderzee Jeugd-GGZ (98990047) holds most places for
//     multidisciplinair_ggz_complex. -> JeugdzorgCapacityConcentrated for those three; no
//     provider holds more than half of any other care form.
// Every other figure keeps a clear margin from the alert thresholds: occupancy, free places,
// intake stops, waiting times, capacity shares, results and current ratios. reporters.tsv notes
// each reporter's part in this. One verblijf provider (Stichting Polderkracht, 98990020) reports
// its places per location municipality, and the GI its availability per municipality, so that
// per-municipality figures exist. Every provider reports its youth-care revenue per paying
// municipality; two are also paid from outside Flevoland, so that their share of revenue from
// the region is below 1: Zuiderzee Jeugd-GGZ (98990047) 4% by Amsterdam (GM0363), Lichtbaken
// (98990055) 7% by Utrecht (GM0344). No alert looks at revenue shares.

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
  // Monthly figures run up to `end`, quarterly ones up to the last quarter ending in or before
  // it, and weekly ones up to the last complete ISO week before `today` (or, when `end` lies
  // further back than the month before `today`, before the end of the month after `end`).
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
  // Sunday of the newest complete ISO week with weekly figures.
  absl::CivilDay last_week_end;
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
//     YYYY-MM-capaciteit.csv        weekly (complete ISO weeks whose Monday falls in the month,
//                                   also in the month after `end`): clientenstop,
//                                   plaatsen_gecontracteerd, plaatsen_operationeel,
//                                   plaatsen_bezet per care form (places per municipality
//                                   for a provider reporting them per location)
//     YYYY-MM-kwN-personeel.csv     quarterly, named after the quarter's last month: staff
//     YYYY-MM-kwN-financien.csv     quarterly: finance (revenue year to date, also per paying
//                                   municipality as omzet_jeugdzorg_gemeente, the region's
//                                   members and any outside payer; the rest per quarter or at
//                                   its end)
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
