// A plain row-major matrix multiply shared by MatMul, Gemm and Conv (im2col) reference kernels.
// Loop order i-k-j keeps the innermost loop contiguous in B and C so the compiler vectorises
// it: readable, and fast enough for the reference provider to run real CNNs in seconds.
#pragma once

#include <cstdint>

namespace edgeserve::ref {

// C[m, n] = beta * C[m, n] + sum_k A[m, k] * B[k, n], with A and B addressed through
// (row stride, column stride) so a transpose is just swapped strides.
// beta == 0 overwrites C (NaNs in C do not propagate), as BLAS does.
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_row, int64_t a_col, const T* b, int64_t b_row,
          int64_t b_col, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* crow = c + i * ldc;
    if (beta == T{0}) {
      for (int64_t j = 0; j < n; ++j) crow[j] = T{0};
    } else if (beta != T{1}) {
      for (int64_t j = 0; j < n; ++j) crow[j] *= beta;
    }
    for (int64_t p = 0; p < k; ++p) {
      const T av = a[i * a_row + p * a_col];
      const T* brow = b + p * b_row;
      if (b_col == 1) {
        for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];
      } else {
        for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * b_col];
      }
    }
  }
}

}  // namespace edgeserve::ref
