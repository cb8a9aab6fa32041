#ifndef VROEG_TESTS_UNIT_TOOLS_EXPORT_EXPORT_TEST_CATALOGUE_H_
#define VROEG_TESTS_UNIT_TOOLS_EXPORT_EXPORT_TEST_CATALOGUE_H_

#include <memory>

#include "common/catalogue.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace vroeg::testing {

// A small catalogue of its own, so that these tests do not change with the shipped one: a count
// with a mean weighted by it (availability), occupied places (capacity), staff FTE with a ratio
// weighted by it (staff) and revenue in euros (finance).
inline std::shared_ptr<const Catalogue> ExportTestCatalogue() {
  constexpr char kCatalogue[] = R"pb(
    version: "test.1"
    care_forms { code: "verblijf" name_nl: "Verblijf" name_en: "Residential care" }
    care_forms { code: "crisishulp" name_nl: "Crisishulp" name_en: "Crisis care" }
    indicators {
      code: "wachtenden"
      name_nl: "Wachtenden"
      name_en: "Youths waiting"
      unit: UNIT_COUNT
      min: 0
      max: 100000
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_AVAILABILITY
      cadence: GRANULARITY_MONTH
      aggregation: AGGREGATION_SUM
      care_form_use: CARE_FORM_USE_REQUIRED
      metric {
        name: "jeugdzorg_waiting_youths"
        help: "Youths waiting."
        region_name: "jeugdzorg_region_waiting_youths"
      }
    }
    indicators {
      code: "wachttijd_intake_weken"
      name_nl: "Wachttijd"
      name_en: "Waiting time"
      unit: UNIT_WEEKS
      min: 0
      max: 520
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_AVAILABILITY
      cadence: GRANULARITY_MONTH
      aggregation: AGGREGATION_WEIGHTED_MEAN
      weight_indicator: "wachtenden"
      care_form_use: CARE_FORM_USE_REQUIRED
      metric {
        name: "jeugdzorg_waiting_time_to_intake_seconds"
        help: "Mean waiting time."
        region_name: "jeugdzorg_region_waiting_time_to_intake_seconds"
      }
    }
    indicators {
      code: "plaatsen_bezet"
      name_nl: "Bezette plaatsen"
      name_en: "Occupied places"
      unit: UNIT_COUNT
      min: 0
      max: 100000
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_CAPACITY
      cadence: GRANULARITY_WEEK
      aggregation: AGGREGATION_SUM
      care_form_use: CARE_FORM_USE_REQUIRED
      metric {
        name: "jeugdzorg_places_occupied"
        help: "Places occupied."
        region_name: "jeugdzorg_region_places_occupied"
      }
    }
    indicators {
      code: "fte_bezet"
      name_nl: "Bezette formatie"
      name_en: "Filled staff"
      unit: UNIT_FTE
      min: 0
      max: 100000
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_STAFF
      cadence: GRANULARITY_QUARTER
      aggregation: AGGREGATION_SUM
      care_form_use: CARE_FORM_USE_FORBIDDEN
      metric {
        name: "jeugdzorg_staff_filled_fte"
        help: "Filled staff."
        region_name: "jeugdzorg_region_staff_filled_fte"
      }
    }
    indicators {
      code: "verzuim_ratio"
      name_nl: "Ziekteverzuim"
      name_en: "Sick leave"
      unit: UNIT_RATIO
      min: 0
      max: 1
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_STAFF
      cadence: GRANULARITY_QUARTER
      aggregation: AGGREGATION_WEIGHTED_MEAN
      weight_indicator: "fte_bezet"
      care_form_use: CARE_FORM_USE_FORBIDDEN
      metric {
        name: "jeugdzorg_staff_sick_leave_ratio"
        help: "Sick leave."
        region_name: "jeugdzorg_region_staff_sick_leave_ratio"
      }
    }
    indicators {
      code: "omzet_totaal"
      name_nl: "Totale omzet"
      name_en: "Total revenue"
      unit: UNIT_EUROS
      min: 0
      max: 1e11
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_FINANCE
      cadence: GRANULARITY_QUARTER
      aggregation: AGGREGATION_NONE
      care_form_use: CARE_FORM_USE_FORBIDDEN
      metric { name: "jeugdzorg_revenue_total_euros" help: "Total revenue." }
    }
  )pb";
  catalogue::v1::Catalogue proto;
  if (!google::protobuf::TextFormat::ParseFromString(kCatalogue, &proto)) {
    ADD_FAILURE() << "the test catalogue does not parse";
    return nullptr;
  }
  auto catalogue = Catalogue::FromProto(std::move(proto));
  if (!catalogue.ok()) {
    ADD_FAILURE() << "the test catalogue is refused: " << catalogue.status();
    return nullptr;
  }
  return *std::move(catalogue);
}

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_UNIT_TOOLS_EXPORT_EXPORT_TEST_CATALOGUE_H_
