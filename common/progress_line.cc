#include "common/progress_line.h"

namespace vroeg {
namespace {

// Carriage return, then erase to the end of the line (ANSI EL).
constexpr absl::string_view kRedraw = "\r\x1b[K";

}  // namespace

void ProgressLine::Update(absl::string_view text) {
  if (!terminal_) return;
  out_ << kRedraw << text << std::flush;
  shown_ = true;
}

void ProgressLine::Clear() {
  if (!shown_) return;
  out_ << kRedraw << std::flush;
  shown_ = false;
}

}  // namespace vroeg
