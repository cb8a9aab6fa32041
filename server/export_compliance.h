#ifndef VROEG_SERVER_EXPORT_COMPLIANCE_H_
#define VROEG_SERVER_EXPORT_COMPLIANCE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "server/storage/observation_store.h"
#include "vroeg/api/v1/export.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// What a ComplianceBuilder judges.
struct ComplianceOptions {
  // The collector's early_warning settings, defaults applied: the grace per cadence, and the
  // expected_reporters.
  config::v1::EarlyWarning settings;
  // The region of the configured expected reporters (this collector's).
  std::string region;
  // Reporter URNs to judge; empty judges all.
  std::set<std::string> reporters;
  // Datasets to judge; empty judges all.
  std::set<catalogue::v1::Dataset> datasets;
  // Expected periods are those whose end lies in [period_end_from, period_end_to]; an open
  // bound is std::nullopt.
  std::optional<absl::CivilDay> period_end_from;
  std::optional<absl::CivilDay> period_end_to;
  // What had been received by this time counts; later receipts are ignored.
  absl::Time as_of;
};

// The records of ExportCompliance (proto/vroeg/api/v1/export.proto, ComplianceRecord).
//
// A dataset is expected from a reporter that sent any of its indicators by as_of, and from every
// configured expected reporter for each dataset with an indicator its kind may send. The cadence
// is the shortest catalogue cadence among the dataset's indicators that the reporter's kind
// sends; the expected periods are the calendar periods of that cadence (ISO weeks for WEEK) whose
// end lies in the period_end range. An open start is the period holding the start of the
// reporter's first period of the dataset received by as_of; for an expected reporter that sent
// none, the period holding the earliest start any reporter sent of the dataset by as_of (the
// collection of that dataset had begun), and when no one did, the newest period that ended by
// as_of alone. An open end is as_of's date (UTC): the periods that ended by then.
//
// A period is due at DueAfter(start - 1, cadence, grace) (server/early_warning/figures.h, as on
// /metrics). It was received when any value of any indicator of the dataset for exactly that
// period (start and end) was committed by as_of, corrections included: ON_TIME when the first
// such commit was at or before due, LATE after; otherwise OVERDUE once as_of is past due, else
// NOT_DUE. last_period_received is the dataset's period received by as_of with the latest end
// (then start).
//
// Memory grows with reporters x datasets x periods, not with the rows read. Not thread-safe. The
// catalogue must outlive the builder.
class ComplianceBuilder {
 public:
  ComplianceBuilder(const Catalogue* catalogue, ComplianceOptions options);

  // One stored value (history included) of the region `region`, in any order.
  void Add(const std::string& region, const StoredObservation& row);

  // Every record, ordered by period end, reporter and dataset.
  std::vector<api::v1::ComplianceRecord> Records() const;

 private:
  using Period = std::pair<std::string, std::string>;  // start, end (YYYY-MM-DD)
  struct Received {
    std::string region;
    // Expected period -> first commit of it.
    std::map<Period, absl::Time> first;
  };
  using Key = std::pair<std::string, catalogue::v1::Dataset>;  // reporter URN, dataset

  const Catalogue* catalogue_;
  ComplianceOptions options_;
  std::map<Key, Received> received_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_EXPORT_COMPLIANCE_H_
