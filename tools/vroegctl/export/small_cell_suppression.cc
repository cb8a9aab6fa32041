#include "tools/vroegctl/export/small_cell_suppression.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vroeg::disclosure {
namespace {

absl::Status CheckCount(double count) {
  if (!std::isfinite(count) || count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a count must be a finite number of at least 0, not ", count));
  }
  return absl::OkStatus();
}

absl::Status CheckIndex(size_t index, size_t size, absl::string_view what) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " refers to cell ", index, " of a table of ", size));
  }
  return absl::OkStatus();
}

// The cell of `cells` to withhold next to a lone withheld one: the smallest non-zero published
// count, a part before the total on a tie, the first listed after that; a zero one only when no
// non-zero one is left. nullopt when every cell is withheld already.
std::optional<size_t> Complement(const PublishedSum& sum, absl::Span<const double> counts,
                                 const std::vector<Suppression>& cells) {
  std::optional<size_t> best;
  // (zero, count, is total, position): smaller is better.
  std::tuple<bool, double, bool, size_t> best_rank;
  auto consider = [&](size_t cell, bool is_total, size_t position) {
    if (cells[cell] != Suppression::kNone) return;
    const auto rank = std::make_tuple(counts[cell] == 0, counts[cell], is_total, position);
    if (!best.has_value() || rank < best_rank) {
      best = cell;
      best_rank = rank;
    }
  };
  for (size_t i = 0; i < sum.parts.size(); ++i) consider(sum.parts[i], false, i);
  consider(sum.total, true, sum.parts.size());
  return best;
}

int WithheldIn(const PublishedSum& sum, const std::vector<Suppression>& cells) {
  int withheld = cells[sum.total] != Suppression::kNone ? 1 : 0;
  for (size_t part : sum.parts) withheld += cells[part] != Suppression::kNone ? 1 : 0;
  return withheld;
}

}  // namespace

absl::string_view SuppressionName(Suppression suppression) {
  switch (suppression) {
    case Suppression::kNone:
      return "";
    case Suppression::kPrimary:
      return "primary";
    case Suppression::kComplementary:
      return "complementary";
  }
  return "";
}

absl::StatusOr<SuppressionResult> Suppress(absl::Span<const double> counts,
                                           absl::Span<const PublishedSum> sums,
                                           absl::Span<const std::pair<size_t, size_t>> links,
                                           int64_t k) {
  for (double count : counts) {
    if (absl::Status status = CheckCount(count); !status.ok()) return status;
  }
  for (const PublishedSum& sum : sums) {
    if (absl::Status s = CheckIndex(sum.total, counts.size(), "a sum's total"); !s.ok()) return s;
    for (size_t part : sum.parts) {
      if (absl::Status s = CheckIndex(part, counts.size(), "a sum's part"); !s.ok()) return s;
    }
  }
  for (const auto& [a, b] : links) {
    if (absl::Status s = CheckIndex(std::max(a, b), counts.size(), "a link"); !s.ok()) return s;
  }

  SuppressionResult result;
  result.cells.assign(counts.size(), Suppression::kNone);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0 && counts[i] < static_cast<double>(k)) {
      result.cells[i] = Suppression::kPrimary;
    }
  }

  // Cells are only ever added, so this ends after at most one pass per cell.
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& [a, b] : links) {
      const bool a_withheld = result.cells[a] != Suppression::kNone;
      const bool b_withheld = result.cells[b] != Suppression::kNone;
      if (a_withheld == b_withheld) continue;
      result.cells[a_withheld ? b : a] = Suppression::kComplementary;
      changed = true;
    }
    for (const PublishedSum& sum : sums) {
      if (WithheldIn(sum, result.cells) != 1) continue;
      if (std::optional<size_t> cell = Complement(sum, counts, result.cells)) {
        result.cells[*cell] = Suppression::kComplementary;
        changed = true;
      }
    }
    if (changed) ++result.rounds;
  }
  return result;
}

absl::StatusOr<size_t> CountTable::Add(Key key, double count) {
  if (key.size() != dimensions_) {
    return absl::InvalidArgumentError(
        absl::StrCat("a key of this table has ", dimensions_, " coordinates, not ", key.size()));
  }
  if (absl::Status status = CheckCount(count); !status.ok()) return status;
  const size_t cell = counts_.size();
  if (!index_.try_emplace(key, cell).second) {
    return absl::InvalidArgumentError("the same cell was added twice");
  }
  keys_.push_back(std::move(key));
  counts_.push_back(count);
  return cell;
}

absl::Status CountTable::Link(size_t a, size_t b) {
  if (absl::Status s = CheckIndex(std::max(a, b), counts_.size(), "a link"); !s.ok()) return s;
  links_.emplace_back(a, b);
  return absl::OkStatus();
}

std::optional<size_t> CountTable::Find(const Key& key) const {
  const auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::vector<PublishedSum> CountTable::Sums() const {
  // For each dimension, a part's key with that coordinate cleared names its total.
  std::vector<PublishedSum> sums;
  for (size_t d = 0; d < dimensions_; ++d) {
    absl::flat_hash_map<size_t, size_t> sum_of_total;
    for (size_t cell = 0; cell < keys_.size(); ++cell) {
      if (!keys_[cell][d].has_value()) continue;
      Key total_key = keys_[cell];
      total_key[d] = std::nullopt;
      const auto total = index_.find(total_key);
      if (total == index_.end()) continue;
      auto [it, inserted] = sum_of_total.try_emplace(total->second, sums.size());
      if (inserted) sums.push_back(PublishedSum{total->second, {}});
      sums[it->second].parts.push_back(cell);
    }
  }
  return sums;
}

absl::StatusOr<SuppressionResult> CountTable::Suppress(int64_t k) const {
  const std::vector<PublishedSum> sums = Sums();
  return disclosure::Suppress(counts_, sums, links_, k);
}

}  // namespace vroeg::disclosure
