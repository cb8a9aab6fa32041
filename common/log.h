#ifndef VROEG_COMMON_LOG_H_
#define VROEG_COMMON_LOG_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace vroeg {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// One field of a log line; numbers are formatted on construction.
struct LogField {
  LogField(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  LogField(absl::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(absl::string_view k, const char* v) : key(k), value(v) {}
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  LogField(absl::string_view k, T v) : key(k), value(absl::StrCat(v)) {}
  absl::string_view key;
  std::string value;
};

// Writes one logfmt line per event (ts=... level=... event=... key=value ...), so that every
// event can be found and parsed by log tools. Thread-safe: each line is written whole.
class Logger {
 public:
  // Does not own `out` or `clock`; both must outlive the logger. Events below `min_level` are
  // not written (a command line tool that reports to its user in prose wants only the worst).
  Logger(std::FILE* out, const Clock* clock, LogLevel min_level = LogLevel::kDebug)
      : out_(out), clock_(clock), min_level_(min_level) {}

  void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields);
  void Info(absl::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warning(absl::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarning, event, fields);
  }
  void Error(absl::string_view event, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

  // The line Log would write, without the trailing newline.
  std::string Format(LogLevel level, absl::string_view event,
                     std::initializer_list<LogField> fields) const;

 private:
  std::FILE* out_;
  const Clock* clock_;
  const LogLevel min_level_;
  absl::Mutex mu_;
};

}  // namespace vroeg

#endif  // VROEG_COMMON_LOG_H_
