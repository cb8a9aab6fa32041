#include "tests/bench/stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vroeg::bench {

double Percentile(std::vector<double> seconds, double q) {
  if (seconds.empty()) return 0;
  std::sort(seconds.begin(), seconds.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(seconds.size())));
  return seconds[std::clamp<size_t>(rank, 1, seconds.size()) - 1];
}

std::string ResultLine(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string line = name;
  for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", key, "=", value);
  return line;
}

std::string Number(double value) {
  if (std::fabs(value) >= 1e15 || !std::isfinite(value)) return absl::StrFormat("%g", value);
  // %f keeps shell arithmetic (awk) away from exponents; trailing zeros say nothing.
  std::string text = absl::StrFormat("%.6f", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace vroeg::bench
