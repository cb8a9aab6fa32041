#ifndef VROEG_COMMON_PROGRESS_LINE_H_
#define VROEG_COMMON_PROGRESS_LINE_H_

#include <ostream>
#include <string>

#include "absl/strings/string_view.h"

namespace vroeg {

// One line of progress for long work, redrawn in place on a terminal and silent otherwise, so
// that logs and pipes get only the results.
class ProgressLine {
 public:
  // `terminal`: whether `out` is a terminal (e.g. isatty(STDERR_FILENO) for std::cerr).
  ProgressLine(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { Clear(); }

  // Replaces the line with `text`.
  void Update(absl::string_view text);
  // Removes the line, e.g. before printing a result, so that results never mix with it.
  void Clear();

 private:
  std::ostream& out_;
  const bool terminal_;
  bool shown_ = false;
};

}  // namespace vroeg

#endif  // VROEG_COMMON_PROGRESS_LINE_H_
