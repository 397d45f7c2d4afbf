// Hungarian method with potentials (e-maxx formulation, rows <= cols) plus the component split
// and gating used by the tracker.
#include "vision/track/assignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace edgeserve::vision {
namespace {

constexpr double kLargeCost = 1e15;  // stands in for non-finite input costs

double finite_or_large(double v) { return std::isfinite(v) ? v : kLargeCost; }

// rows <= cols required. Returns row_to_col with every row matched.
std::vector<int> hungarian_rows_le_cols(const Matrix& a) {
  const int n = a.rows;
  const int m = a.cols;
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based arrays as in the classic formulation; column 0 is the virtual start.
  std::vector<double> u(n + 1, 0), v(m + 1, 0), minv(m + 1);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);
  std::vector<char> used(m + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = finite_or_large(a.at(i0 - 1, j - 1)) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (int j = 1; j <= m; ++j) {
    if (p[j] != 0) row_to_col[p[j] - 1] = j - 1;
  }
  return row_to_col;
}

Matrix transposed(const Matrix& a) {
  Matrix t(a.cols, a.rows);
  for (int r = 0; r < a.rows; ++r) {
    for (int c = 0; c < a.cols; ++c) t.at(c, r) = a.at(r, c);
  }
  return t;
}

// Union-find over rows (0..rows-1) and columns (rows..rows+cols-1).
struct DisjointSets {
  std::vector<int> parent;
  explicit DisjointSets(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void join(int a, int b) { parent[find(a)] = find(b); }
};

struct Component {
  std::vector<int> rows;
  std::vector<int> cols;
};

bool eligible(double similarity, double min_similarity) {
  return std::isfinite(similarity) && similarity >= min_similarity;
}

std::vector<Component> split_components(const Matrix& sim, double min_similarity) {
  DisjointSets sets(sim.rows + sim.cols);
  std::vector<char> has_edge(static_cast<size_t>(sim.rows) + sim.cols, 0);
  for (int r = 0; r < sim.rows; ++r) {
    for (int c = 0; c < sim.cols; ++c) {
      if (!eligible(sim.at(r, c), min_similarity)) continue;
      sets.join(r, sim.rows + c);
      has_edge[r] = has_edge[sim.rows + c] = 1;
    }
  }
  std::vector<int> index_of_root(has_edge.size(), -1);
  std::vector<Component> components;
  for (int node = 0; node < sim.rows + sim.cols; ++node) {
    if (!has_edge[node]) continue;
    const int root = sets.find(node);
    if (index_of_root[root] < 0) {
      index_of_root[root] = static_cast<int>(components.size());
      components.emplace_back();
    }
    Component& comp = components[index_of_root[root]];
    if (node < sim.rows) {
      comp.rows.push_back(node);
    } else {
      comp.cols.push_back(node - sim.rows);
    }
  }
  return components;
}

void match_component_exact(const Matrix& sim, double min_similarity, const Component& comp,
                           std::vector<Match>& out) {
  const int n = static_cast<int>(comp.rows.size());
  const int m = static_cast<int>(comp.cols.size());
  // Cost = -(gain); ineligible pairs cost 0, the same as leaving both unmatched.
  Matrix cost(n, m, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      const double s = sim.at(comp.rows[i], comp.cols[j]);
      if (eligible(s, min_similarity)) cost.at(i, j) = -(s - min_similarity);
    }
  }
  const std::vector<int> row_to_col = solve_min_cost_assignment(cost);
  for (int i = 0; i < n; ++i) {
    const int j = row_to_col[i];
    if (j >= 0 && eligible(sim.at(comp.rows[i], comp.cols[j]), min_similarity)) {
      out.push_back({comp.rows[i], comp.cols[j]});
    }
  }
}

void match_component_greedy(const Matrix& sim, double min_similarity, const Component& comp,
                            std::vector<Match>& out) {
  struct Edge {
    double similarity;
    int row;
    int col;
  };
  std::vector<Edge> edges;
  for (int r : comp.rows) {
    for (int c : comp.cols) {
      if (eligible(sim.at(r, c), min_similarity)) edges.push_back({sim.at(r, c), r, c});
    }
  }
  std::stable_sort(edges.begin(), edges.end(),
                   [](const Edge& a, const Edge& b) { return a.similarity > b.similarity; });
  std::vector<char> row_used(sim.rows, 0), col_used(sim.cols, 0);
  for (const Edge& e : edges) {
    if (row_used[e.row] || col_used[e.col]) continue;
    row_used[e.row] = col_used[e.col] = 1;
    out.push_back({e.row, e.col});
  }
}

}  // namespace

std::vector<int> solve_min_cost_assignment(const Matrix& cost) {
  if (cost.rows == 0 || cost.cols == 0) return std::vector<int>(cost.rows, -1);
  if (cost.rows <= cost.cols) return hungarian_rows_le_cols(cost);
  const std::vector<int> col_to_row = hungarian_rows_le_cols(transposed(cost));
  std::vector<int> row_to_col(cost.rows, -1);
  for (int c = 0; c < cost.cols; ++c) row_to_col[col_to_row[c]] = c;
  return row_to_col;
}

std::vector<Match> match_max_similarity(const Matrix& similarity, double min_similarity) {
  std::vector<Match> matches;
  for (const Component& comp : split_components(similarity, min_similarity)) {
    const double n = static_cast<double>(std::min(comp.rows.size(), comp.cols.size()));
    const double m = static_cast<double>(std::max(comp.rows.size(), comp.cols.size()));
    if (n * n * m <= kExactAssignmentMaxWork) {
      match_component_exact(similarity, min_similarity, comp, matches);
    } else {
      match_component_greedy(similarity, min_similarity, comp, matches);
    }
  }
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) { return a.row < b.row; });
  return matches;
}

}  // namespace edgeserve::vision
