#ifndef VROEG_SERVER_EARLY_WARNING_CATALOGUE_FIGURES_H_
#define VROEG_SERVER_EARLY_WARNING_CATALOGUE_FIGURES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/catalogue.h"
#include "server/early_warning/series.h"

namespace vroeg::early_warning {

using Label = std::pair<std::string, std::string>;

// One value of a family, in the metric's base unit (weeks as seconds).
struct Sample {
  std::vector<Label> labels;
  double value = 0;
};

struct Family {
  std::string name;
  std::string help;
  std::vector<Sample> samples;
};

// Regional figures that the catalogue alone defines, from each series' latest period:
//  - metric.region_name per care form, by the indicator's aggregation (SUM, WEIGHTED_MEAN by
//    weight_indicator of the same reporter, care form and municipality, MAX, COUNT_TRUE);
//  - metric.region_max_name per care form: the largest value any reporter series has;
//  - metric.municipality_name per care form and municipality, by the aggregation, over series
//    that carry a municipality, and a municipality reporter's series that carry none, as its
//    own code (its own figures; the stored series keep their empty municipality);
//  - the catalogue's ratios of two regional sums per care form (left out when the denominator
//    is not positive).
// Labels: care_form (when set), municipality (municipality figures), then the catalogue's
// constant labels; never region, which the caller adds. Keyed by metric name; every family the
// catalogue defines is present, with or without samples, in a stable order.
std::map<std::string, Family> CatalogueAggregates(const Snapshot& snapshot,
                                                  const Catalogue& catalogue);

}  // namespace vroeg::early_warning

#endif  // VROEG_SERVER_EARLY_WARNING_CATALOGUE_FIGURES_H_
