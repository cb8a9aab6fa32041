#include "common/problem.h"

#include "absl/strings/str_cat.h"

namespace vroeg {

std::string FormatProblem(const Problem& problem) {
  std::string where;
  if (problem.row > 0) absl::StrAppend(&where, "row ", problem.row);
  if (!problem.column.empty()) {
    absl::StrAppend(&where, where.empty() ? "" : ", ", "column ", problem.column);
  }
  return where.empty() ? problem.message : absl::StrCat(where, ": ", problem.message);
}

std::string FormatProblems(const std::vector<Problem>& problems, size_t limit,
                           absl::string_view indent) {
  std::string out;
  for (size_t i = 0; i < problems.size() && i < limit; ++i) {
    absl::StrAppend(&out, indent, FormatProblem(problems[i]), "\n");
  }
  if (problems.size() > limit) {
    const size_t more = problems.size() - limit;
    absl::StrAppend(&out, indent, "... and ", more,
                    more == 1 ? " more problem\n" : " more problems\n");
  }
  return out;
}

}  // namespace vroeg
