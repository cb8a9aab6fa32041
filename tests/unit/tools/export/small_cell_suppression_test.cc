#include "tools/vroegctl/export/small_cell_suppression.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace vroeg::disclosure {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vroeg::testing::StatusIs;

constexpr Suppression N = Suppression::kNone;
constexpr Suppression P = Suppression::kPrimary;
constexpr Suppression C = Suppression::kComplementary;
constexpr std::nullopt_t kAll = std::nullopt;

// Municipalities of one indicator, care form and period, then their regional total (last).
SuppressionResult OneGroup(const std::vector<double>& municipalities, int64_t k) {
  CountTable table(1);
  double total = 0;
  for (size_t i = 0; i < municipalities.size(); ++i) {
    EXPECT_TRUE(table.Add({absl::StrCat("GM", i)}, municipalities[i]).ok());
    total += municipalities[i];
  }
  EXPECT_TRUE(table.Add({kAll}, total).ok());
  absl::StatusOr<SuppressionResult> result = table.Suppress(k);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.value_or(SuppressionResult{});
}

TEST(SmallCellSuppressionTest, PrimaryWithholdsCountsBelowK) {
  absl::StatusOr<SuppressionResult> result = Suppress({1, 4, 5, 20}, {}, {}, 5);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->cells, ElementsAre(P, P, N, N));
}

TEST(SmallCellSuppressionTest, ZeroIsNeverSmall) {
  EXPECT_THAT(OneGroup({0, 0, 12, 30}, 5).cells, ElementsAre(N, N, N, N, N));
  // A zero next to a withheld cell is not the complement: the next non-zero one is.
  EXPECT_THAT(OneGroup({3, 0, 12, 30}, 5).cells, ElementsAre(P, N, C, N, N));
}

TEST(SmallCellSuppressionTest, KOfOneWithholdsNothing) {
  const SuppressionResult result = OneGroup({1, 2, 0, 7}, 1);
  EXPECT_THAT(result.cells, ElementsAre(N, N, N, N, N));
  EXPECT_EQ(result.rounds, 0);
}

TEST(SmallCellSuppressionTest, LoneSmallCellGetsTheNextSmallestAsComplement) {
  // Total 50 minus the published 8, 30 and 9 would give the 3 back; withholding 8 too stops it.
  EXPECT_THAT(OneGroup({3, 30, 8, 9}, 5).cells, ElementsAre(P, N, C, N, N));
}

TEST(SmallCellSuppressionTest, TwoSmallCellsProtectEachOther) {
  EXPECT_THAT(OneGroup({3, 30, 2, 9}, 5).cells, ElementsAre(P, N, P, N, N));
}

TEST(SmallCellSuppressionTest, SmallTotalWithholdsItsParts) {
  EXPECT_THAT(OneGroup({1, 2, 0}, 5).cells, ElementsAre(P, P, N, P));
}

TEST(SmallCellSuppressionTest, AChainNeedsASecondRound) {
  // Two published sums share the cell y: t1 = x + y and t2 = y + z, checked in that order. The
  // primary z makes y the complement in t2 in round one, which leaves y alone in t1, so x follows
  // in round two.
  const std::vector<double> counts = {/*x=*/7, /*y=*/6, /*z=*/2, /*t1=*/13, /*t2=*/8};
  const std::vector<PublishedSum> sums = {{3, {0, 1}}, {4, {1, 2}}};
  absl::StatusOr<SuppressionResult> result = Suppress(counts, sums, {}, 5);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->cells, ElementsAre(C, C, P, N, N));
  EXPECT_EQ(result->rounds, 2);
}

TEST(SmallCellSuppressionTest, TwoWayTableIsProtectedAlongRowsAndColumns) {
  // Rows: two care forms; columns: three municipalities; totals of each row, each column and all.
  //            GM1  GM2  GM3 | all
  //   verblijf   2   10   20 |  32
  //   crisis    12    9   30 |  51
  //   all       14   19   50 |  83
  CountTable table(2);
  const std::vector<std::string> rows = {"verblijf", "crisis"};
  const std::vector<std::vector<double>> counts = {{2, 10, 20}, {12, 9, 30}};
  std::vector<double> column_totals(3, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    double row_total = 0;
    for (size_t c = 0; c < 3; ++c) {
      ASSERT_TRUE(table.Add({rows[r], absl::StrCat("GM", c + 1)}, counts[r][c]).ok());
      row_total += counts[r][c];
      column_totals[c] += counts[r][c];
    }
    ASSERT_TRUE(table.Add({rows[r], kAll}, row_total).ok());
  }
  for (size_t c = 0; c < 3; ++c) {
    ASSERT_TRUE(table.Add({kAll, absl::StrCat("GM", c + 1)}, column_totals[c]).ok());
  }
  ASSERT_TRUE(table.Add({kAll, kAll}, 83).ok());
  EXPECT_EQ(table.Sums().size(), 2u + 3u + 2u);  // rows, columns, and the grand total both ways

  absl::StatusOr<SuppressionResult> result = table.Suppress(5);
  ASSERT_TRUE(result.ok()) << result.status();
  auto mark = [&](const CountTable::Key& key) {
    std::optional<size_t> cell = table.Find(key);
    EXPECT_TRUE(cell.has_value());
    return cell ? result->cells[*cell] : N;
  };
  EXPECT_EQ(mark({"verblijf", "GM1"}), P);
  // Row verblijf: the next smallest is GM2 (10); column GM1: crisis (12); row crisis then has GM1
  // alone, and its next smallest, GM2 (9), also covers column GM2.
  EXPECT_EQ(mark({"verblijf", "GM2"}), C);
  EXPECT_EQ(mark({"crisis", "GM1"}), C);
  EXPECT_EQ(mark({"crisis", "GM2"}), C);
  EXPECT_EQ(mark({"verblijf", "GM3"}), N);
  EXPECT_EQ(mark({"crisis", "GM3"}), N);
  EXPECT_EQ(mark({kAll, kAll}), N);
}

TEST(SmallCellSuppressionTest, LinkedCellsGoTogether) {
  absl::StatusOr<SuppressionResult> result = Suppress({3, 40, 12}, {}, {{1, 0}}, 5);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->cells, ElementsAre(P, C, N));
}

TEST(SmallCellSuppressionTest, RefusesBadInput) {
  EXPECT_THAT(Suppress({-1}, {}, {}, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Suppress({1, 2}, {{2, {0, 1}}}, {}, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cell 2")));
  CountTable table(2);
  EXPECT_THAT(table.Add({"a"}, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(table.Add({"a", "b"}, 1).ok());
  EXPECT_THAT(table.Add({"a", "b"}, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(table.Link(0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Random three-way tables (period x care form x municipality) with totals over municipalities
// and over care forms and a grand total, many of them small. The attack: a withheld cell is
// recovered when it is the only withheld cell of a published sum, by one subtraction: the total
// minus the other parts, or the sum of the parts for a total. None may be.
TEST(SmallCellSuppressionTest, NoWithheldCellFollowsFromPublishedOnesByOneSubtraction) {
  std::mt19937 random(20261001);
  std::uniform_int_distribution<int> shape(1, 5);
  // Mostly small counts, zeros included, some large.
  std::discrete_distribution<int> size_class({3, 5, 3, 2});
  std::uniform_int_distribution<int> small(1, 6);
  std::uniform_int_distribution<int> large(7, 60);
  int tables_with_complements = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const int care_forms = shape(random);
    const int municipalities = shape(random) + 1;
    const int64_t k = 1 + shape(random);
    CountTable table(3);
    for (int period = 0; period < 2; ++period) {
      const std::string p = absl::StrCat("p", period);
      std::vector<double> column_totals(municipalities, 0);
      double grand = 0;
      for (int c = 0; c < care_forms; ++c) {
        double row = 0;
        for (int m = 0; m < municipalities; ++m) {
          const int which = size_class(random);
          const double count = which == 0 ? 0 : which == 1 ? small(random) : large(random);
          ASSERT_TRUE(table.Add({p, absl::StrCat("c", c), absl::StrCat("m", m)}, count).ok());
          row += count;
          column_totals[m] += count;
        }
        ASSERT_TRUE(table.Add({p, absl::StrCat("c", c), kAll}, row).ok());
        grand += row;
      }
      for (int m = 0; m < municipalities; ++m) {
        ASSERT_TRUE(table.Add({p, kAll, absl::StrCat("m", m)}, column_totals[m]).ok());
      }
      ASSERT_TRUE(table.Add({p, kAll, kAll}, grand).ok());
    }
    absl::StatusOr<SuppressionResult> result = table.Suppress(k);
    ASSERT_TRUE(result.ok()) << result.status();
    const std::vector<Suppression>& cells = result->cells;
    bool complement = false;
    for (size_t i = 0; i < table.size(); ++i) {
      const double n = table.counts()[i];
      ASSERT_EQ(cells[i] == P, n > 0 && n < k) << "trial " << trial << " cell " << i;
      ASSERT_FALSE(n == 0 && cells[i] != N) << "trial " << trial << ": a zero was withheld";
      complement = complement || cells[i] == C;
    }
    tables_with_complements += complement ? 1 : 0;
    for (const PublishedSum& sum : table.Sums()) {
      std::vector<size_t> members = sum.parts;
      members.push_back(sum.total);
      std::vector<size_t> withheld;
      for (size_t cell : members) {
        if (cells[cell] != N) withheld.push_back(cell);
      }
      if (withheld.size() != 1) continue;
      // The one withheld cell, worked out from the published rest of this sum.
      const size_t target = withheld[0];
      double derived = target == sum.total ? 0 : table.counts()[sum.total];
      for (size_t part : sum.parts) {
        if (part == target) continue;
        derived += target == sum.total ? table.counts()[part] : -table.counts()[part];
      }
      ADD_FAILURE() << "trial " << trial << ": cell " << target << " (" << table.counts()[target]
                    << ") follows from its published sum as " << derived;
    }
  }
  // The property is only worth something if complements were needed often.
  EXPECT_GT(tables_with_complements, 100);
}

}  // namespace
}  // namespace vroeg::disclosure
