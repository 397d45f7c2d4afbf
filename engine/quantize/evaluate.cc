// Agreement and noise measures (see evaluate.h).
#include "engine/quantize/evaluate.h"

#include <algorithm>
#include <cmath>

namespace edgeserve::quant {

bool is_score_output(const Tensor& t) {
  if (t.dtype() != DType::kFloat32 || t.rank() < 2 || t.dim(1) < 2) return false;
  for (size_t d = 2; d < t.rank(); ++d) {
    if (t.dim(d) != 1) return false;
  }
  return true;
}

namespace {

// Rows of [N, C, 1...] whose argmax agrees, and the row count.
std::pair<int64_t, int64_t> top1_matches(const Tensor& ref, const Tensor& got) {
  const int64_t rows = ref.dim(0), classes = ref.dim(1);
  int64_t same = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* a = ref.data<float>() + r * classes;
    const float* b = got.data<float>() + r * classes;
    same += (std::max_element(a, a + classes) - a) == (std::max_element(b, b + classes) - b) ? 1 : 0;
  }
  return {same, rows};
}

double cosine(const Tensor& ref, const Tensor& got) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < ref.num_elements(); ++i) {
    const double a = ref.data<float>()[i], b = got.data<float>()[i];
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  if (aa == 0 && bb == 0) return 1;
  if (aa == 0 || bb == 0) return 0;
  return ab / std::sqrt(aa * bb);
}

bool comparable(const Tensor& a, const Tensor& b) {
  return a.dtype() == DType::kFloat32 && b.dtype() == DType::kFloat32 && a.dims() == b.dims();
}

}  // namespace

Agreement measure_agreement(const std::vector<std::vector<Tensor>>& reference,
                            const std::vector<std::vector<Tensor>>& candidate) {
  Agreement a;
  const size_t samples = std::min(reference.size(), candidate.size());
  if (samples == 0 || reference[0].empty()) return a;
  if (is_score_output(reference[0][0])) {
    a.metric = "top-1 agreement";
    int64_t same = 0, rows = 0;
    for (size_t s = 0; s < samples; ++s) {
      if (!comparable(reference[s][0], candidate[s][0])) {
        rows += reference[s][0].dim(0);
        continue;
      }
      auto [m, r] = top1_matches(reference[s][0], candidate[s][0]);
      same += m;
      rows += r;
    }
    a.agreement = rows > 0 ? static_cast<double>(same) / static_cast<double>(rows) : 1.0;
    return a;
  }
  a.metric = "mean cosine similarity";
  double sum = 0;
  int count = 0;
  for (size_t s = 0; s < samples; ++s) {
    for (size_t o = 0; o < reference[s].size() && o < candidate[s].size(); ++o) {
      if (reference[s][o].dtype() != DType::kFloat32) continue;
      sum += comparable(reference[s][o], candidate[s][o]) ? cosine(reference[s][o], candidate[s][o]) : 0.0;
      ++count;
    }
  }
  a.agreement = count > 0 ? sum / count : 1.0;
  return a;
}

void NoiseAccumulator::add(const Tensor& reference, const Tensor& got) {
  if (!comparable(reference, got)) return;
  for (int64_t i = 0; i < reference.num_elements(); ++i) {
    const double r = reference.data<float>()[i];
    const double d = static_cast<double>(got.data<float>()[i]) - r;
    noise += d * d;
    signal += r * r;
  }
}

}  // namespace edgeserve::quant
