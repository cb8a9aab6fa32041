#ifndef VROEG_TESTS_SUPPORT_CAPTURED_LOG_H_
#define VROEG_TESTS_SUPPORT_CAPTURED_LOG_H_

#include <cstdio>
#include <string>

#include "common/clock.h"
#include "common/log.h"

namespace vroeg::testing {

// A Logger writing to an anonymous temporary file whose text tests can read back.
class CapturedLog {
 public:
  // `clock` must outlive this object.
  explicit CapturedLog(const Clock* clock) : file_(std::tmpfile()), logger_(file_, clock) {}
  ~CapturedLog() { std::fclose(file_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  Logger& logger() { return logger_; }

  // Everything logged so far.
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0) text.append(buffer, n);
    return text;
  }

 private:
  std::FILE* file_;
  Logger logger_;
};

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_CAPTURED_LOG_H_
