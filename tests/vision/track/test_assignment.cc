// The assignment solver against brute force on small random matrices.
#include "vision/track/assignment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace edgeserve::vision {
namespace {

// Minimum cost over all injective maps of the smaller side into the larger.
double brute_force_min_cost(const Matrix& c, int row, std::vector<char>& col_used, int matched_left) {
  if (row == c.rows) return 0;
  double best = std::numeric_limits<double>::infinity();
  const int rows_left = c.rows - row;
  // A row may stay unmatched only while there are more rows left than columns to match.
  if (rows_left > matched_left) best = brute_force_min_cost(c, row + 1, col_used, matched_left);
  for (int j = 0; j < c.cols; ++j) {
    if (col_used[j] || matched_left == 0) continue;
    col_used[j] = 1;
    best = std::min(best, c.at(row, j) + brute_force_min_cost(c, row + 1, col_used, matched_left - 1));
    col_used[j] = 0;
  }
  return best;
}

double brute_force_max_gain(const Matrix& s, double min_s, int row, std::vector<char>& col_used) {
  if (row == s.rows) return 0;
  double best = brute_force_max_gain(s, min_s, row + 1, col_used);
  for (int j = 0; j < s.cols; ++j) {
    if (col_used[j] || s.at(row, j) < min_s) continue;
    col_used[j] = 1;
    best = std::max(best, s.at(row, j) - min_s + brute_force_max_gain(s, min_s, row + 1, col_used));
    col_used[j] = 0;
  }
  return best;
}

Matrix random_matrix(std::mt19937& rng, int rows, int cols) {
  std::uniform_real_distribution<double> value(0, 1);
  Matrix m(rows, cols);
  for (double& v : m.values) v = std::round(value(rng) * 20) / 20;  // ties on purpose
  return m;
}

TEST(Assignment, MinCostMatchesBruteForceOnRandomRectangularMatrices) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> size(1, 6);
  for (int trial = 0; trial < 400; ++trial) {
    const Matrix cost = random_matrix(rng, size(rng), size(rng));
    const std::vector<int> row_to_col = solve_min_cost_assignment(cost);
    ASSERT_EQ(row_to_col.size(), static_cast<size_t>(cost.rows));
    std::set<int> used;
    double total = 0;
    for (int r = 0; r < cost.rows; ++r) {
      if (row_to_col[r] < 0) continue;
      ASSERT_LT(row_to_col[r], cost.cols);
      EXPECT_TRUE(used.insert(row_to_col[r]).second) << "column used twice";
      total += cost.at(r, row_to_col[r]);
    }
    EXPECT_EQ(used.size(), static_cast<size_t>(std::min(cost.rows, cost.cols)));
    std::vector<char> col_used(cost.cols, 0);
    const double best = brute_force_min_cost(cost, 0, col_used, std::min(cost.rows, cost.cols));
    EXPECT_NEAR(total, best, 1e-9) << "trial " << trial << " " << cost.rows << "x" << cost.cols;
  }
}

TEST(Assignment, GatedMatchingMatchesBruteForce) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> size(1, 5);
  for (int trial = 0; trial < 400; ++trial) {
    const Matrix sim = random_matrix(rng, size(rng), size(rng));
    const double min_s = 0.5;
    double gain = 0;
    std::set<int> rows, cols;
    for (const Match& m : match_max_similarity(sim, min_s)) {
      EXPECT_GE(sim.at(m.row, m.col), min_s);
      EXPECT_TRUE(rows.insert(m.row).second);
      EXPECT_TRUE(cols.insert(m.col).second);
      gain += sim.at(m.row, m.col) - min_s;
    }
    std::vector<char> col_used(sim.cols, 0);
    EXPECT_NEAR(gain, brute_force_max_gain(sim, min_s, 0, col_used), 1e-9) << "trial " << trial;
  }
}

TEST(Assignment, OptimalNotGreedy) {
  // Greedy would take (0,0) = 0.9 and leave row 1 with nothing above 0.3; optimal takes both
  // 0.8 pairs.
  Matrix sim(2, 2);
  sim.at(0, 0) = 0.9;
  sim.at(0, 1) = 0.8;
  sim.at(1, 0) = 0.8;
  sim.at(1, 1) = 0.1;
  const std::vector<Match> m = match_max_similarity(sim, 0.3);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].col, 1);
  EXPECT_EQ(m[1].col, 0);
}

TEST(Assignment, EmptyAndNonFiniteInputs) {
  EXPECT_TRUE(solve_min_cost_assignment(Matrix(0, 3)).empty());
  EXPECT_EQ(solve_min_cost_assignment(Matrix(2, 0)), (std::vector<int>{-1, -1}));
  EXPECT_TRUE(match_max_similarity(Matrix(0, 0), 0.2).empty());
  Matrix cost(2, 2, 1.0);
  cost.at(0, 0) = std::numeric_limits<double>::quiet_NaN();
  cost.at(1, 1) = std::numeric_limits<double>::infinity();
  EXPECT_EQ(solve_min_cost_assignment(cost), (std::vector<int>{1, 0}));
  Matrix sim(1, 2, std::numeric_limits<double>::quiet_NaN());
  sim.at(0, 1) = 0.6;
  const std::vector<Match> m = match_max_similarity(sim, 0.2);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].col, 1);
}

TEST(Assignment, HugeComponentFallsBackToAValidMatching) {
  // 400 identical boxes: one component of 400x400, above the exact solver's work bound.
  const int n = 400;
  ASSERT_GT(double(n) * n * n, kExactAssignmentMaxWork);
  Matrix sim(n, n, 1.0);
  const std::vector<Match> m = match_max_similarity(sim, 0.2);
  ASSERT_EQ(m.size(), static_cast<size_t>(n));
  std::set<int> cols;
  for (const Match& x : m) cols.insert(x.col);
  EXPECT_EQ(cols.size(), static_cast<size_t>(n));
}

}  // namespace
}  // namespace edgeserve::vision
