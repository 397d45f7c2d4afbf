// Optimal assignment for the tracker's association stages: the Hungarian method (shortest
// augmenting paths with dual potentials, as in Jonker-Volgenant) on a dense rectangular matrix,
// and a gated maximum-similarity matching on top of it that behaves like ByteTrack's
// lapjv(cost, extend_cost=True, cost_limit=...).
#pragma once

#include <cstddef>
#include <vector>

namespace edgeserve::vision {

// Dense row-major matrix of doubles (costs or similarities).
struct Matrix {
  int rows = 0;
  int cols = 0;
  std::vector<double> values;  // rows * cols, row-major

  Matrix() = default;
  Matrix(int r, int c, double fill = 0) : rows(r), cols(c), values(static_cast<size_t>(r) * c, fill) {}
  double& at(int r, int c) { return values[static_cast<size_t>(r) * cols + c]; }
  double at(int r, int c) const { return values[static_cast<size_t>(r) * cols + c]; }
};

// Minimum-total-cost assignment that pairs min(rows, cols) rows with distinct columns.
// Returns row_to_col (size rows); -1 marks a row left unmatched, which happens only when
// rows > cols. Non-finite costs are treated as a very large finite cost. O(n^2 * m) time with
// n = min(rows, cols), m = max(rows, cols); O(n + m) extra memory besides a transposed copy.
std::vector<int> solve_min_cost_assignment(const Matrix& cost);

struct Match {
  int row = 0;
  int col = 0;
};

// Gated matching: among pairs with similarity >= min_similarity, chooses the set of disjoint
// pairs that maximises sum(similarity - min_similarity). That is the same optimum as ByteTrack's
// lapjv with cost_limit: leaving a row and a column unmatched costs the limit, so a pair is
// taken when it beats the limit and the whole set is optimal, not greedy.
// The bipartite graph is split into connected components first (real scenes give many tiny
// ones). A component too large for the exact solver within a frame budget (n*n*m above
// kExactAssignmentMaxWork) is matched greedily by descending similarity instead; only
// degenerate input (hundreds of mutually overlapping boxes) reaches that path.
// Returns matches sorted by row.
inline constexpr double kExactAssignmentMaxWork = 5e7;
std::vector<Match> match_max_similarity(const Matrix& similarity, double min_similarity);

}  // namespace edgeserve::vision
