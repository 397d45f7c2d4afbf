// StringNormalizer (opset 10) and TfIdfVectorizer (opset 9): the two ONNX ops on text tokens.
// Case changes are locale-independent (the `locale` attribute is accepted and ignored): ASCII plus
// the one-to-one mappings of Latin-1, Latin Extended-A, basic Greek and Cyrillic, decoded from
// UTF-8. Mappings that change length (German sharp s -> "SS") are left alone, as towupper() does
// in en_US; bytes that are not valid UTF-8 pass through unchanged.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/ep/reference/kernel_table.h"
#include "engine/ep/reference/kernels/kernel_util.h"

namespace edgeserve::ref {

namespace {

// ---- UTF-8 case mapping ----

// Upper-case code points [first, last] whose lower case is cp + delta; `alternating` ranges
// interleave upper and lower (upper at first, first + 2, ...).
struct CaseRange {
  char32_t first;
  char32_t last;
  int32_t delta;
  bool alternating;
};

constexpr CaseRange kCaseRanges[] = {
    {0x41, 0x5A, 32, false},   {0xC0, 0xD6, 32, false},   {0xD8, 0xDE, 32, false},   // ASCII, Latin-1
    {0x100, 0x12F, 1, true},   {0x132, 0x137, 1, true},   {0x139, 0x148, 1, true},   // Latin Extended-A
    {0x14A, 0x177, 1, true},   {0x178, 0x178, -0x79, false}, {0x179, 0x17E, 1, true},
    {0x386, 0x386, 38, false}, {0x388, 0x38A, 37, false}, {0x38C, 0x38C, 64, false},  // Greek
    {0x38E, 0x38F, 63, false}, {0x391, 0x3A1, 32, false}, {0x3A3, 0x3AB, 32, false},
    {0x400, 0x40F, 80, false}, {0x410, 0x42F, 32, false}, {0x460, 0x481, 1, true},    // Cyrillic
    {0x48A, 0x4BF, 1, true},   {0x4C1, 0x4CE, 1, true},   {0x4D0, 0x52F, 1, true},
};

// One-way mappings whose inverse is another letter: dotted capital I, dotless i, long s,
// final sigma, micro sign.
char32_t special_case(char32_t cp, bool upper) {
  if (!upper) return cp == 0x130 ? U'i' : cp;
  switch (cp) {
    case 0x131: return U'I';
    case 0x17F: return U'S';
    case 0x3C2: return 0x3A3;
    case 0xB5: return 0x39C;
    default: return cp;
  }
}

char32_t change_case(char32_t cp, bool upper) {
  for (const CaseRange& r : kCaseRanges) {
    // Upper-casing searches the ranges shifted by delta (where the lower-case letters are).
    const int64_t shift = upper ? r.delta : 0;
    const int64_t lo = static_cast<int64_t>(r.first) + shift;
    const int64_t hi = static_cast<int64_t>(r.last) + shift;
    const int64_t c = static_cast<int64_t>(cp);
    if (c < lo || c > hi || (r.alternating && (c - lo) % 2 != 0)) continue;
    return static_cast<char32_t>(upper ? c - r.delta : c + r.delta);
  }
  return special_case(cp, upper);
}

// Decodes the code point at s[pos] (advancing pos), or nullopt for an invalid, overlong or
// truncated sequence (then pos is unchanged).
std::optional<char32_t> decode_utf8(const std::string& s, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  const int len = b0 >= 0xF0 && b0 < 0xF5 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (len == 0 || pos + static_cast<size_t>(len) > s.size()) return std::nullopt;
  char32_t cp = b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  const char32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  pos += static_cast<size_t>(len);
  return cp;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string change_case(const std::string& s, bool upper) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      append_utf8(change_case(static_cast<char32_t>(s[pos++]), upper), out);
      continue;
    }
    const std::optional<char32_t> cp = decode_utf8(s, pos);
    if (cp) append_utf8(change_case(*cp, upper), out);
    else out += s[pos++];
  }
  return out;
}

// ---- StringNormalizer ----

enum class CaseAction { kNone, kLower, kUpper };

struct NormalizerAttrs {
  CaseAction action = CaseAction::kNone;
  bool case_sensitive = false;
  std::unordered_set<std::string> stopwords;  // lower-cased when !case_sensitive
};

bool is_stopword(const NormalizerAttrs& a, const std::string& word) {
  if (a.stopwords.empty()) return false;
  return a.stopwords.count(a.case_sensitive ? word : change_case(word, false)) != 0;
}

Status run_string_normalizer(const NormalizerAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kString) {
    return unimplemented(str_cat("input 0 of type ", dtype_name(x.dtype()), " is not supported, expected string"));
  }
  if (x.rank() != 1 && !(x.rank() == 2 && x.dim(0) == 1)) {
    return invalid_argument(str_cat("input 0 must have shape [C] or [1, C], got ", dims_to_string(x.dims())));
  }
  std::vector<std::string> kept;
  const std::string* in = x.data<std::string>();
  for (int64_t i = 0; i < x.num_elements(); ++i) {
    if (is_stopword(a, in[i])) continue;
    kept.push_back(a.action == CaseAction::kNone ? in[i] : change_case(in[i], a.action == CaseAction::kUpper));
  }
  // ONNX: when every word is dropped the output holds one empty string, not zero elements.
  if (kept.empty()) kept.emplace_back();
  const int64_t n = static_cast<int64_t>(kept.size());
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kString, x.rank() == 1 ? Dims{n} : Dims{1, n}));
  std::move(kept.begin(), kept.end(), y->mutable_data<std::string>());
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_string_normalizer(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  NormalizerAttrs a;
  EDGE_ASSIGN_OR_RETURN(std::string action, node.attr_string("case_change_action", "NONE"));
  if (action == "LOWER") a.action = CaseAction::kLower;
  else if (action == "UPPER") a.action = CaseAction::kUpper;
  else if (action != "NONE") {
    return invalid_argument(str_cat(node.describe(), ": case_change_action is '", action, "', expected LOWER, UPPER or NONE"));
  }
  EDGE_ASSIGN_OR_RETURN(int64_t sensitive, node.attr_int("is_case_sensitive", 0));
  a.case_sensitive = sensitive != 0;
  EDGE_ASSIGN_OR_RETURN(std::vector<std::string> stopwords, node.attr_strings("stopwords", std::vector<std::string>{}));
  for (const std::string& w : stopwords) a.stopwords.insert(a.case_sensitive ? w : change_case(w, false));
  // `locale` only has to be a string: the case mapping above does not depend on it.
  EDGE_RETURN_IF_ERROR(node.attr_string("locale", "en_US").status());
  return make_kernel(std::move(a), run_string_normalizer);
}

// ---- TfIdfVectorizer ----

enum class TfIdfMode { kTf, kIdf, kTfIdf };

// Widest output row accepted; ngram_indexes beyond it are certainly a malformed model.
constexpr int64_t kMaxNgramIndex = std::numeric_limits<int32_t>::max();

struct TfIdfAttrs {
  TfIdfMode mode = TfIdfMode::kTf;
  int64_t min_gram = 1;
  int64_t max_gram = 1;  // clamped to the longest n-gram length the pool holds
  int64_t max_skip = 0;
  bool strings = false;  // pool_strings: tokens are string ids; else pool_int64s: the values
  std::unordered_map<std::string, int64_t> string_ids;  // pool string -> token id
  std::map<std::vector<int64_t>, size_t> ngrams;        // n-gram tokens -> its number in the pool
  std::vector<int64_t> out_index;                       // per n-gram: the output coordinate
  std::vector<float> weights;                           // per n-gram
  int64_t width = 0;                                    // max(ngram_indexes) + 1
  int64_t pool_max_gram = 0;                            // longest n-gram length in the pool
};

// The pool as token ids: int64 values as they are, strings numbered by first appearance.
std::vector<int64_t> pool_tokens(TfIdfAttrs& a, const std::vector<int64_t>& ints, const std::vector<std::string>& strs) {
  if (!a.strings) return ints;
  std::vector<int64_t> tokens;
  for (const std::string& s : strs) {
    auto it = a.string_ids.emplace(s, static_cast<int64_t>(a.string_ids.size())).first;
    tokens.push_back(it->second);
  }
  return tokens;
}

// Splits the pool into n-grams: level n (1-based) spans pool[counts[n-1], counts[n]).
Status index_pool(const Node& node, TfIdfAttrs& a, const std::vector<int64_t>& pool, const std::vector<int64_t>& counts) {
  if (!counts.empty() && counts[0] != 0) return invalid_argument(str_cat(node.describe(), ": ngram_counts must start at 0"));
  const int64_t pool_size = static_cast<int64_t>(pool.size());
  for (size_t level = 0; level < counts.size(); ++level) {
    const int64_t n = static_cast<int64_t>(level) + 1;
    const int64_t begin = counts[level];
    const int64_t end = level + 1 < counts.size() ? counts[level + 1] : pool_size;
    if (begin > end || end > pool_size || (end - begin) % n != 0) {
      return invalid_argument(str_cat(node.describe(), ": ngram_counts entry ", level, " does not delimit whole ", n,
                                      "-grams in a pool of ", pool_size));
    }
    for (int64_t p = begin; p < end; p += n) {
      std::vector<int64_t> gram(pool.begin() + p, pool.begin() + p + n);
      if (!a.ngrams.emplace(std::move(gram), a.ngrams.size()).second) {
        return invalid_argument(str_cat(node.describe(), ": the pool holds the ", n, "-gram at ", p, " twice"));
      }
    }
    if (end > begin) a.pool_max_gram = n;
  }
  return Status::ok();
}

Status parse_tfidf_lengths(const Node& node, TfIdfAttrs& a) {
  EDGE_ASSIGN_OR_RETURN(std::string mode, node.attr_string("mode"));
  if (mode == "TF") a.mode = TfIdfMode::kTf;
  else if (mode == "IDF") a.mode = TfIdfMode::kIdf;
  else if (mode == "TFIDF") a.mode = TfIdfMode::kTfIdf;
  else return invalid_argument(str_cat(node.describe(), ": mode is '", mode, "', expected TF, IDF or TFIDF"));
  EDGE_ASSIGN_OR_RETURN(a.min_gram, node.attr_int("min_gram_length"));
  EDGE_ASSIGN_OR_RETURN(a.max_gram, node.attr_int("max_gram_length"));
  EDGE_ASSIGN_OR_RETURN(a.max_skip, node.attr_int("max_skip_count"));
  if (a.min_gram < 1 || a.max_gram < a.min_gram) {
    return invalid_argument(str_cat(node.describe(), ": need 1 <= min_gram_length <= max_gram_length, got ", a.min_gram,
                                    " and ", a.max_gram));
  }
  if (a.max_skip < 0) return invalid_argument(str_cat(node.describe(), ": max_skip_count must be >= 0"));
  return Status::ok();
}

Status parse_tfidf_outputs(const Node& node, TfIdfAttrs& a) {
  EDGE_ASSIGN_OR_RETURN(a.out_index, node.attr_ints("ngram_indexes"));
  if (a.out_index.size() != a.ngrams.size()) {
    return invalid_argument(str_cat(node.describe(), ": ngram_indexes has ", a.out_index.size(), " entries, the pool holds ",
                                    a.ngrams.size(), " n-grams"));
  }
  for (int64_t idx : a.out_index) {
    if (idx < 0 || idx > kMaxNgramIndex) {
      return invalid_argument(str_cat(node.describe(), ": ngram_indexes entry ", idx, " is outside [0, ", kMaxNgramIndex, "]"));
    }
    a.width = std::max(a.width, idx + 1);
  }
  EDGE_ASSIGN_OR_RETURN(a.weights, node.attr_floats("weights", std::vector<float>(a.out_index.size(), 1.0f)));
  if (a.weights.size() != a.out_index.size()) {
    return invalid_argument(str_cat(node.describe(), ": weights has ", a.weights.size(), " entries, expected ",
                                    a.out_index.size(), " (one per n-gram)"));
  }
  return Status::ok();
}

// The input's tokens: int values as they are, strings as their pool id (-1: not in the pool).
Result<std::vector<int64_t>> input_tokens(const TfIdfAttrs& a, const Tensor& x) {
  if (!a.strings) {
    if (x.dtype() != DType::kInt32 && x.dtype() != DType::kInt64) {
      return invalid_argument(str_cat("input 0 is ", dtype_name(x.dtype()), ", expected int32 or int64 for pool_int64s"));
    }
    return read_int_values(x);
  }
  if (x.dtype() != DType::kString) {
    return invalid_argument(str_cat("input 0 is ", dtype_name(x.dtype()), ", expected string for pool_strings"));
  }
  std::vector<int64_t> tokens(static_cast<size_t>(x.num_elements()), -1);
  for (size_t i = 0; i < tokens.size(); ++i) {
    auto it = a.string_ids.find(x.data<std::string>()[i]);
    if (it != a.string_ids.end()) tokens[i] = it->second;
  }
  return tokens;
}

// Counts the pool's n-grams in one row of c tokens. An n-gram with skip s takes every (s+1)-th
// token; all skips up to max_skip count, but a 1-gram is the same for every skip and counts once.
void count_row(const TfIdfAttrs& a, const int64_t* t, int64_t c, std::vector<int64_t>& counts) {
  std::vector<int64_t> gram;
  for (int64_t n = a.min_gram; n <= a.max_gram; ++n) {
    const int64_t max_dist = n == 1 ? 1 : std::min(a.max_skip, c) + 1;
    for (int64_t dist = 1; dist <= max_dist; ++dist) {
      for (int64_t i = 0; i + (n - 1) * dist < c; ++i) {
        gram.clear();
        for (int64_t k = 0; k < n; ++k) gram.push_back(t[i + k * dist]);
        auto it = a.ngrams.find(gram);
        if (it != a.ngrams.end()) ++counts[it->second];
      }
    }
  }
}

void write_row(const TfIdfAttrs& a, const std::vector<int64_t>& counts, float* out) {
  for (size_t i = 0; i < counts.size(); ++i) {
    const float w = a.weights[i];
    const float tf = static_cast<float>(counts[i]);
    const float v = a.mode == TfIdfMode::kTf ? tf : a.mode == TfIdfMode::kIdf ? (counts[i] > 0 ? w : 0.0f) : tf * w;
    out[a.out_index[i]] += v;
  }
}

Status run_tfidf(const TfIdfAttrs& a, KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 1 && x.rank() != 2) {
    return invalid_argument(str_cat("input 0 must have shape [C] or [N, C], got ", dims_to_string(x.dims())));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> tokens, input_tokens(a, x));
  const int64_t rows = x.rank() == 2 ? x.dim(0) : 1;
  const int64_t cols = x.dim(x.rank() - 1);
  EDGE_ASSIGN_OR_RETURN(Tensor * y, ctx.allocate_output(0, DType::kFloat32, x.rank() == 2 ? Dims{rows, a.width} : Dims{a.width}));
  std::vector<int64_t> counts(a.ngrams.size());
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(counts.begin(), counts.end(), 0);
    count_row(a, tokens.data() + r * cols, cols, counts);
    write_row(a, counts, y->mutable_data<float>() + r * a.width);
  }
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_tfidf(const Node& node) {
  EDGE_RETURN_IF_ERROR(check_arity(node, 1, 1));
  TfIdfAttrs a;
  EDGE_RETURN_IF_ERROR(parse_tfidf_lengths(node, a));
  const bool has_ints = node.has_attr("pool_int64s");
  a.strings = node.has_attr("pool_strings");
  if (has_ints == a.strings) {
    return invalid_argument(str_cat(node.describe(), ": exactly one of pool_int64s and pool_strings must be set"));
  }
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> ints, node.attr_ints("pool_int64s", std::vector<int64_t>{}));
  EDGE_ASSIGN_OR_RETURN(std::vector<std::string> strs, node.attr_strings("pool_strings", std::vector<std::string>{}));
  EDGE_ASSIGN_OR_RETURN(std::vector<int64_t> counts, node.attr_ints("ngram_counts"));
  EDGE_RETURN_IF_ERROR(index_pool(node, a, pool_tokens(a, ints, strs), counts));
  // Longer n-grams cannot be in the pool; clamping also bounds run()'s loops.
  a.max_gram = std::min(a.max_gram, a.pool_max_gram);
  EDGE_RETURN_IF_ERROR(parse_tfidf_outputs(node, a));
  return make_kernel(std::move(a), run_tfidf);
}

}  // namespace

std::vector<KernelEntry> text_kernels() {
  return {
      {"StringNormalizer", make_string_normalizer, HalfMode::kNative, "", 10},
      {"TfIdfVectorizer", make_tfidf, HalfMode::kNative, "", 9},
  };
}

}  // namespace edgeserve::ref
