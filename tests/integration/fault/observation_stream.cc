#include "tests/integration/fault/observation_stream.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "server/storage/sqlite_store.h"
#include "tests/support/shipped_care_forms.h"

namespace vroeg::testing {
namespace {

struct IndicatorSpec {
  const char* code;
  // Added to a value shared by the indicators of one care form and municipality, so that
  // occupied places never exceed operational ones. Weeks may have decimals, counts must be whole.
  double offset;
};

// Provider indicators per care form, with ranges wide enough for every generated value.
constexpr IndicatorSpec kIndicators[] = {
    {"wachtenden", 1},
    {"wachttijd_intake_weken", 0.5},
    {"wachttijd_behandeling_weken", 1.5},
    {"plaatsen_gecontracteerd", 60},
    {"plaatsen_operationeel", 30},
    {"plaatsen_bezet", 0},
};
// TestRegion's collector knows these municipalities; empty is the provider as a whole.
constexpr const char* kMunicipalities[] = {"",       "GM0034", "GM0303", "GM0995",
                                           "GM0171", "GM0184", "GM0050"};
constexpr int kIndicatorCount = sizeof(kIndicators) / sizeof(kIndicators[0]);
constexpr int kCareFormCount = kShippedCareForms.size();
constexpr int kMunicipalityCount = sizeof(kMunicipalities) / sizeof(kMunicipalities[0]);
static_assert(kIndicatorCount * kCareFormCount * kMunicipalityCount ==
              ObservationStream::kMaxRowsPerFile);

// Days long past, so that the collector never finds a period in the future.
constexpr absl::CivilDay kFirstDay(2021, 1, 1);

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

}  // namespace

ObservationStream::ObservationStream(std::string reporter, int files, int rows_per_file)
    : reporter_(std::move(reporter)),
      files_(files),
      rows_per_file_(std::min(rows_per_file, kMaxRowsPerFile)) {}

std::string ObservationStream::FileName(int file) const {
  return absl::StrCat("export-", absl::Dec(file, absl::kZeroPad5), ".csv");
}

int ObservationStream::FileIndex(const std::string& name) const {
  absl::string_view rest = name;
  int file = -1;
  if (!absl::ConsumePrefix(&rest, "export-") || !absl::ConsumeSuffix(&rest, ".csv") ||
      rest.size() != 5 || !absl::SimpleAtoi(rest, &file) || file < 0 || file >= files_) {
    return -1;
  }
  return file;
}

std::vector<ObservationStream::Row> ObservationStream::Rows(int file) const {
  const std::string day = DayText(kFirstDay + file);
  std::vector<Row> rows;
  rows.reserve(rows_per_file_);
  for (int row = 0; row < rows_per_file_; ++row) {
    // Consecutive combinations, starting somewhere else in every file, are all different.
    const int combination = (row + file * 7) % kMaxRowsPerFile;
    const IndicatorSpec& indicator = kIndicators[combination % kIndicatorCount];
    const int rest = combination / kIndicatorCount;
    const char* care_form = kShippedCareForms[rest % kCareFormCount];
    const char* municipality = kMunicipalities[rest / kCareFormCount];
    const double value = (file * 131 + rest * 17) % 400 + indicator.offset;
    rows.push_back({{reporter_, indicator.code, care_form, municipality, day, day}, value});
  }
  return rows;
}

std::string ObservationStream::FileContent(int file) const {
  std::string csv = "period_start,period_end,care_form,municipality,indicator,value\n";
  for (const Row& row : Rows(file)) {
    absl::StrAppend(&csv, row.key.period_start, ",", row.key.period_end, ",", row.key.care_form,
                    ",", row.key.municipality, ",", row.key.indicator, ",", row.value, "\n");
  }
  return csv;
}

void ObservationStream::AddObservations(int file, ObservationSet& out) const {
  for (Row& row : Rows(file)) out.emplace(std::move(row.key), row.value);
}

ObservationSet ObservationStream::AllObservations() const {
  ObservationSet all;
  for (int file = 0; file < files_; ++file) AddObservations(file, all);
  return all;
}

absl::StatusOr<StoredData> ReadCollectorDatabase(const std::string& path) {
  auto store = SqliteStore::Open(path);
  if (!store.ok()) return store.status();
  StoredData data;
  auto counts = (*store)->Counts();
  if (!counts.ok()) return counts.status();
  data.counts = *counts;
  absl::Status scanned = (*store)->ForEachCurrent([&](const StoredObservation& observation) {
    data.current.emplace(
        ObservationKey{observation.series.reporter, observation.series.indicator,
                       observation.series.care_form, observation.series.municipality,
                       observation.period_start, observation.period_end},
        observation.value);
  });
  if (!scanned.ok()) return scanned;
  return data;
}

Comparison Compare(const ObservationSet& expected, const ObservationSet& stored) {
  Comparison result;
  result.expected = static_cast<int64_t>(expected.size());
  result.stored = static_cast<int64_t>(stored.size());
  auto describe = [](const ObservationKey& key) {
    return absl::StrCat(key.reporter, " ", key.indicator, " ", key.care_form, " ", key.municipality,
                        " ", key.period_start, "..", key.period_end);
  };
  auto note = [&](std::string text) {
    if (result.examples.size() < 10) result.examples.push_back(std::move(text));
  };
  for (const auto& [key, value] : expected) {
    auto it = stored.find(key);
    if (it == stored.end()) {
      ++result.missing;
      note(absl::StrCat("missing: ", describe(key)));
    } else if (!(std::abs(it->second - value) < 1e-9)) {
      ++result.wrong;
      note(absl::StrCat("wrong value: ", describe(key), " stored ", it->second, ", sent ", value));
    }
  }
  for (const auto& [key, value] : stored) {
    if (!expected.contains(key)) {
      ++result.unexpected;
      note(absl::StrCat("never sent: ", describe(key), " = ", value));
    }
  }
  return result;
}

std::string FormatCounts(const StoreCounts& counts) {
  return absl::StrCat("submissions=", counts.submissions, " observations=", counts.observations,
                      " current=", counts.current);
}

}  // namespace vroeg::testing
