#ifndef VROEG_COMMON_VALIDATION_H_
#define VROEG_COMMON_VALIDATION_H_

#include <memory>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/catalogue.h"
#include "common/identity.h"
#include "common/problem.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "vroeg/api/v1/observation.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// What observations are checked against. The agent fills it from the collector's (or a local)
// catalogue; the collector adds its region's municipalities.
struct ValidationContext {
  std::shared_ptr<const Catalogue> catalogue;
  ReporterId reporter;
  // Periods starting after this date are refused.
  absl::CivilDay today;
  // When non-empty, municipalities must be members on the period's end date.
  std::vector<config::v1::RegionMember> municipalities;
  std::string region;
};

// Checks every observation against the catalogue and the rules below, and normalises them in
// place (municipality codes to GM + 4 digits, granularity filled from the dates). Returns one
// Problem per broken rule, in observation order; empty means valid. Problems point at
// source_row/source_column when the observation has them, else at "observations[i].<field>".
//
// Rules: known indicator and care form; care form and municipality present or absent as the
// indicator requires (care_form_use, municipality_use); reporter kind allowed; finite value
// within [min, max]; whole numbers for counts, 0 or 1 for booleans; valid dates, end not before
// start, a whole day/week/month/quarter/year matching any stated granularity, start not after
// today; well-formed municipality code that belongs to the region, or lies in any region for
// an indicator with municipality_any_region; no two observations for the same series and
// period; values not above their `not_above` indicator for the same series and period
// (occupied <= operational places).
//
// Thread-safe: reads only shared immutable state.
std::vector<Problem> ValidateObservations(
    const ValidationContext& context,
    google::protobuf::RepeatedPtrField<api::v1::Observation>* observations);

}  // namespace vroeg

#endif  // VROEG_COMMON_VALIDATION_H_
