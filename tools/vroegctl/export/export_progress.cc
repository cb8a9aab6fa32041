#include "tools/vroegctl/export/export_progress.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vroeg::export_format {

ExportProgress::ExportProgress(ProgressLine* line, const Clock* clock,
                               absl::Duration redraw_interval)
    : line_(line),
      clock_(clock),
      redraw_interval_(redraw_interval),
      started_(clock->Now()),
      last_redraw_(started_) {}

void ExportProgress::Add(uint64_t rows) {
  rows_ += rows;
  const absl::Time now = clock_->Now();
  if (now - last_redraw_ < redraw_interval_) return;
  last_redraw_ = now;
  line_->Update(Text());
}

std::string ExportProgress::Text() const {
  const absl::Duration elapsed = clock_->Now() - started_;
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const uint64_t rate = seconds > 0 ? static_cast<uint64_t>(std::llround(rows_ / seconds)) : 0;
  return absl::StrCat(rows_, " rows, ", rate, " rows/s, ", FormatElapsed(elapsed), " elapsed");
}

std::string FormatElapsed(absl::Duration elapsed) {
  const int64_t total = absl::ToInt64Seconds(elapsed);
  const int64_t hours = total / 3600;
  const int64_t minutes = total / 60 % 60;
  const int64_t seconds = total % 60;
  if (hours > 0) return absl::StrFormat("%d:%02d:%02d", hours, minutes, seconds);
  return absl::StrFormat("%d:%02d", minutes, seconds);
}

}  // namespace vroeg::export_format
