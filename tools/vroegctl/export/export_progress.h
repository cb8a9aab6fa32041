#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_EXPORT_PROGRESS_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_EXPORT_PROGRESS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/progress_line.h"

namespace vroeg::export_format {

// The progress of an export on a terminal: "1234567 rows, 45678 rows/s, 0:27 elapsed", redrawn on
// a ProgressLine (which stays silent when its stream is no terminal) at most once per
// `redraw_interval`, so that counting a row costs a clock read and no output. Not thread-safe.
class ExportProgress {
 public:
  // `line` and `clock` are not owned and must outlive this. The clock starts now.
  ExportProgress(ProgressLine* line, const Clock* clock,
                 absl::Duration redraw_interval = absl::Milliseconds(200));

  // Counts `rows` more and redraws the line if the interval has passed since the last redraw.
  void Add(uint64_t rows);

  uint64_t rows() const { return rows_; }

  // The text the line shows now.
  std::string Text() const;

  // Removes the line, e.g. before a summary is printed.
  void Finish() { line_->Clear(); }

 private:
  ProgressLine* line_;
  const Clock* clock_;
  const absl::Duration redraw_interval_;
  const absl::Time started_;
  absl::Time last_redraw_;
  uint64_t rows_ = 0;
};

// "0:07", "12:34", "1:02:03".
std::string FormatElapsed(absl::Duration elapsed);

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_EXPORT_PROGRESS_H_
