#ifndef VROEG_TOOLS_VROEGCTL_EXPORT_RELEASE_SUPPRESSION_H_
#define VROEG_TOOLS_VROEGCTL_EXPORT_RELEASE_SUPPRESSION_H_

// Small-cell suppression (small_cell_suppression.h) applied to the export API's rows, for a
// release beyond the supervisor (`vroegctl export --suppress-below K`).
//
// What is a count of youths, and so subject to it: figures of indicators whose catalogue unit is
// COUNT. Weeks, ratios, FTE, euros and booleans are not counts of youths (organisation figures,
// or a reporter's yes/no) and are published as they are, with one exception: a weighted mean
// whose weight indicator is a COUNT (waiting weeks weighted by youths waiting) describes those
// youths, so it is withheld exactly where its weight is: with the weight indicator's own figure
// at the same place, and with the mean's own weight (Σ weight, itself a count with the same
// published sums as any count). Thus a mean is never shown for fewer than K youths, and never
// next to a weight that reveals a withheld count.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/catalogue.h"
#include "tools/vroegctl/export/small_cell_suppression.h"
#include "vroeg/api/v1/export.pb.h"

namespace vroeg::export_format {

// Marks for aggregate figures, one per figure in the same order. Published sums follow the
// scopes (export.proto, AggregateScope): per period, indicator and care form, a REGION figure is
// the sum of its MUNICIPALITY and NO_MUNICIPALITY figures, and the NATIONAL figure the sum of the
// REGION figures, for SUM indicators. Pass every figure of a period together (the stream is
// ordered by period, so a period at a time keeps memory bounded) and every scope that will be
// published: a sum whose parts are partly missing is treated as if the missing parts were known,
// which can only withhold more. Errors: FAILED_PRECONDITION for an indicator the catalogue does
// not know; INVALID_ARGUMENT for a figure without a scope, a figure given twice, or a negative
// count.
absl::StatusOr<std::vector<disclosure::Suppression>> SuppressAggregates(
    absl::Span<const api::v1::AggregateFigure> figures, const Catalogue& catalogue, int64_t k);

// Marks for observations, one per row in the same order. An observation export publishes no sums,
// so this is primary suppression of COUNT values, plus weighted means withheld with the weight
// observation of the same reporter, care form, municipality, period and submission, or when that
// is not among the rows (the mean could then stand for one youth; k <= 1 withholds nothing).
// Pass the rows of a period together, weights included. Errors: FAILED_PRECONDITION for an unknown
// indicator.
absl::StatusOr<std::vector<disclosure::Suppression>> SuppressObservations(
    absl::Span<const api::v1::ExportedObservation> rows, const Catalogue& catalogue, int64_t k);

}  // namespace vroeg::export_format

#endif  // VROEG_TOOLS_VROEGCTL_EXPORT_RELEASE_SUPPRESSION_H_
