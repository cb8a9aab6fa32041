#ifndef VROEG_TESTS_INTEGRATION_FAULT_OBSERVATION_STREAM_H_
#define VROEG_TESTS_INTEGRATION_FAULT_OBSERVATION_STREAM_H_

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/storage/observation_store.h"

namespace vroeg::testing {

// One observation as the collector keys it: a series and a period.
struct ObservationKey {
  std::string reporter;  // urn:vroeg:provider:<agb>
  std::string indicator;
  std::string care_form;
  std::string municipality;
  std::string period_start;  // YYYY-MM-DD
  std::string period_end;
  auto operator<=>(const ObservationKey&) const = default;
};

// Observations with their values.
using ObservationSet = std::map<ObservationKey, double>;

// What one provider's export job produces during a fault test: `files` long-form CSV files of
// `rows_per_file` observations each. Every observation is a different series and period (a
// file is one day, its rows different indicator, care form and municipality combinations), so
// every file's content, and with it the submission id the agent derives, is unique. Nothing
// is ever corrected, so a store that holds each submission once holds one row per observation.
class ObservationStream {
 public:
  // At most kMaxRowsPerFile rows per file.
  ObservationStream(std::string reporter, int files, int rows_per_file);

  static constexpr int kMaxRowsPerFile = 378;

  const std::string& reporter() const { return reporter_; }
  int files() const { return files_; }
  int rows_per_file() const { return rows_per_file_; }
  int64_t observations() const { return int64_t{files_} * rows_per_file_; }

  // export-00042.csv for file 42.
  std::string FileName(int file) const;
  // The file's index from its name, or -1 when it is not one of this stream's names.
  int FileIndex(const std::string& name) const;
  std::string FileContent(int file) const;
  // Adds the observations of `file` to `out`.
  void AddObservations(int file, ObservationSet& out) const;
  ObservationSet AllObservations() const;

 private:
  struct Row {
    ObservationKey key;
    double value;
  };
  std::vector<Row> Rows(int file) const;

  std::string reporter_;
  int files_;
  int rows_per_file_;
};

// What a collector's database holds, read with the collector stopped.
struct StoredData {
  StoreCounts counts;
  // The current value of every series and period.
  ObservationSet current;
};
absl::StatusOr<StoredData> ReadCollectorDatabase(const std::string& path);

// Expected against stored, observation by observation.
struct Comparison {
  int64_t expected = 0;
  int64_t stored = 0;
  int64_t missing = 0;     // expected, not stored
  int64_t wrong = 0;       // stored with another value
  int64_t unexpected = 0;  // stored, never sent
  // A few of each kind, for the failure message.
  std::vector<std::string> examples;

  bool Exact() const { return missing == 0 && wrong == 0 && unexpected == 0; }
};
Comparison Compare(const ObservationSet& expected, const ObservationSet& stored);

// "submissions=.. observations=.. current=.." for the test output.
std::string FormatCounts(const StoreCounts& counts);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_INTEGRATION_FAULT_OBSERVATION_STREAM_H_
