#ifndef VROEG_COMMON_STATUS_MACROS_H_
#define VROEG_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns early from the enclosing function when `expr` (an absl::Status) is not OK.
#define VROEG_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    if (::absl::Status vroeg_status_ = (expr); !vroeg_status_.ok()) { \
      return vroeg_status_;                                           \
    }                                                                 \
  } while (false)

#define VROEG_STATUS_CONCAT_INNER_(a, b) a##b
#define VROEG_STATUS_CONCAT_(a, b) VROEG_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the value
// into `lhs`, which may be a declaration: VROEG_ASSIGN_OR_RETURN(auto x, Load());
#define VROEG_ASSIGN_OR_RETURN(lhs, rexpr) \
  VROEG_ASSIGN_OR_RETURN_IMPL_(VROEG_STATUS_CONCAT_(vroeg_statusor_, __LINE__), lhs, rexpr)

#define VROEG_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) {                                    \
    return std::move(statusor).status();                   \
  }                                                        \
  lhs = std::move(statusor).value()

#endif  // VROEG_COMMON_STATUS_MACROS_H_
