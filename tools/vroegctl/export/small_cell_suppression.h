#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_SMALL_CELL_SUPPRESSION_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_SMALL_CELL_SUPPRESSION_H_

// Small-cell suppression for releases beyond the supervisor (DOMAIN.md, Privacy): a count
// 0 < n < k is not published (primary suppression), and further cells are withheld so that no
// withheld count can be worked out from published ones (complementary suppression).
//
// A table is a list of counts plus the sums the release publishes, each a total cell equal to the
// sum of its part cells (e.g. a region's figure and its municipalities' figures). Complementary
// suppression keeps every published sum free of a lone withheld cell: while some sum (total and
// parts together) has exactly one withheld cell, the smallest non-zero published cell of that sum
// is withheld too, parts before the total on a tie. Each new withholding can leave another sum
// with a lone withheld cell, so the rule is applied over all sums until nothing changes (a fixed
// point). Then no withheld cell equals a published total minus published parts, nor a published
// part as total minus the others. Linked cells (two figures that reveal each other, such as a
// count and the weight of a mean over the same youths) are withheld together.
//
// Zero cells are published: a zero says nothing about anyone, and with consistent counts a sum
// always has a non-zero candidate. Only if a sum does not add up and has no non-zero candidate is
// a zero withheld, so that the guarantee above still holds.
//
// Pure functions and a value type; nothing here is shared between threads.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vroeg::disclosure {

enum class Suppression : uint8_t {
  kNone,
  // 0 < n < k.
  kPrimary,
  // Withheld so that a primary one cannot be derived, or linked to a withheld cell.
  kComplementary,
};

// "", "primary" or "complementary": the marker written next to an emptied cell.
absl::string_view SuppressionName(Suppression suppression);

// A published sum: counts[total] == Σ counts[parts].
struct PublishedSum {
  size_t total = 0;
  std::vector<size_t> parts;
};

struct SuppressionResult {
  // One per count, in the same order.
  std::vector<Suppression> cells;
  // Passes over the sums and links that withheld something; 0 when there was no primary cell.
  int rounds = 0;
};

// Applies primary and complementary suppression with threshold `k` (k <= 1 withholds nothing).
// Counts are whole numbers in practice; any value with 0 < n < k is primary. Errors:
// INVALID_ARGUMENT when an index is out of range or a count is negative or not finite.
absl::StatusOr<SuppressionResult> Suppress(absl::Span<const double> counts,
                                           absl::Span<const PublishedSum> sums,
                                           absl::Span<const std::pair<size_t, size_t>> links,
                                           int64_t k);

// A table of counts keyed by coordinates, whose published sums follow from the keys: a cell with
// no coordinate (std::nullopt, "all") in dimension d is the total of the cells that equal it in
// every other dimension and have a coordinate in d. A grand total (all, all) of a two-way table
// is thus the total of the row totals and, separately, of the column totals. Totals only exist
// where the caller adds them.
class CountTable {
 public:
  using Key = std::vector<std::optional<std::string>>;

  explicit CountTable(size_t dimensions) : dimensions_(dimensions) {}

  // Adds a cell and returns its index. Errors: INVALID_ARGUMENT when the key has the wrong
  // number of coordinates or is already in the table, or the count is negative or not finite.
  absl::StatusOr<size_t> Add(Key key, double count);

  // Declares that two cells reveal each other, so they are withheld together. Errors:
  // INVALID_ARGUMENT when an index is out of range.
  absl::Status Link(size_t a, size_t b);

  // The cell with exactly this key, if any.
  std::optional<size_t> Find(const Key& key) const;

  size_t size() const { return counts_.size(); }
  const Key& key(size_t cell) const { return keys_[cell]; }
  absl::Span<const double> counts() const { return counts_; }
  absl::Span<const std::pair<size_t, size_t>> links() const { return links_; }

  // The published sums the keys imply; a total without parts implies none.
  std::vector<PublishedSum> Sums() const;

  // Suppress() over this table's counts, sums and links.
  absl::StatusOr<SuppressionResult> Suppress(int64_t k) const;

 private:
  size_t dimensions_;
  std::vector<Key> keys_;
  std::vector<double> counts_;
  std::vector<std::pair<size_t, size_t>> links_;
  absl::flat_hash_map<Key, size_t> index_;
};

}  // namespace vroeg::disclosure

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_SMALL_CELL_SUPPRESSION_H_
