// StringNormalizer and TfIdfVectorizer: stopwords, case changes (UTF-8 included), the
// empty-output rule, n-gram counting with skips, weighting modes, and malformed attributes.
#include "tests/unit/kernel_test_util.h"

namespace edgeserve::testing {
namespace {

Attribute strings_attr(std::vector<std::string> v) {
  Attribute a;
  a.kind = AttrKind::kStrings;
  a.strings = std::move(v);
  return a;
}

Tensor words(const Dims& dims, std::vector<std::string> v) { return Tensor::from_vector<std::string>(dims, v); }

NodeSpec normalizer(Tensor x, std::map<std::string, Attribute> attrs) {
  return spec("StringNormalizer", {std::move(x)}, std::move(attrs), 1, 10);
}

TEST(StringNormalizer, CaseSensitiveStopwordsThenUpper) {
  Tensor y = run_ok(normalizer(words({3}, {"monday", "Monday", "tuesday"}),
                               {{"stopwords", strings_attr({"monday"})},
                                {"is_case_sensitive", int_attr(1)},
                                {"case_change_action", string_attr("UPPER")}}));
  EXPECT_EQ(y.dims(), (Dims{2}));
  EXPECT_EQ(values<std::string>(y), (std::vector<std::string>{"MONDAY", "TUESDAY"}));
}

TEST(StringNormalizer, CaseInsensitiveByDefaultKeepsTwoDims) {
  Tensor y = run_ok(normalizer(words({1, 3}, {"MONDAY", "Tuesday", "monday"}), {{"stopwords", strings_attr({"Monday"})}}));
  EXPECT_EQ(y.dims(), (Dims{1, 1}));
  EXPECT_EQ(values<std::string>(y), (std::vector<std::string>{"Tuesday"}));
}

TEST(StringNormalizer, AllWordsDroppedLeavesOneEmptyString) {
  const std::map<std::string, Attribute> attrs{{"stopwords", strings_attr({"a"})}};
  Tensor one_d = run_ok(normalizer(words({2}, {"a", "A"}), attrs));
  EXPECT_EQ(one_d.dims(), (Dims{1}));
  EXPECT_EQ(values<std::string>(one_d), (std::vector<std::string>{""}));
  Tensor two_d = run_ok(normalizer(words({1, 1}, {"a"}), attrs));
  EXPECT_EQ(two_d.dims(), (Dims{1, 1}));
  EXPECT_EQ(values<std::string>(two_d), (std::vector<std::string>{""}));
}

TEST(StringNormalizer, ChangesCaseOfUtf8Letters) {
  Tensor lower = run_ok(normalizer(words({2}, {"ÀÉÎ Straße", "ΣΑΣ Привет Ÿ"}), {{"case_change_action", string_attr("LOWER")}}));
  EXPECT_EQ(values<std::string>(lower), (std::vector<std::string>{"àéî straße", "σασ привет ÿ"}));
  // Sharp s has no one-letter upper case and stays; final sigma and ÿ map to their capitals.
  Tensor upper = run_ok(normalizer(words({2}, {"straße", "ς ÿ ñ ž"}), {{"case_change_action", string_attr("UPPER")}}));
  EXPECT_EQ(values<std::string>(upper), (std::vector<std::string>{"STRAßE", "Σ Ÿ Ñ Ž"}));
}

TEST(StringNormalizer, InvalidUtf8BytesPassThrough) {
  Tensor y = run_ok(normalizer(words({1}, {"\xff\xc3" "A\xe2\x82"}), {{"case_change_action", string_attr("LOWER")}}));
  EXPECT_EQ(values<std::string>(y)[0], "\xff\xc3" "a\xe2\x82");
}

TEST(StringNormalizer, RejectsBadAttributesAndShapes) {
  expect_error(normalizer(words({1}, {"a"}), {{"case_change_action", string_attr("TITLE")}}), "case_change_action");
  expect_error(normalizer(words({2, 1}, {"a", "b"}), {}), "[C] or [1, C]");
  expect_error(normalizer(Tensor::from_vector<int64_t>({1}, {1}), {}), "input 0", StatusCode::kUnimplemented);
}

// The ONNX example pool: unigrams 2 3 5 4, bigrams (5 6) (7 8) (6 7).
std::map<std::string, Attribute> tfidf_attrs(const std::string& mode, int64_t min_gram, int64_t max_gram, int64_t skip) {
  return {{"mode", string_attr(mode)},
          {"min_gram_length", int_attr(min_gram)},
          {"max_gram_length", int_attr(max_gram)},
          {"max_skip_count", int_attr(skip)},
          {"ngram_counts", ints_attr({0, 4})},
          {"ngram_indexes", ints_attr({0, 1, 2, 3, 4, 5, 6})},
          {"pool_int64s", ints_attr({2, 3, 5, 4, 5, 6, 7, 8, 6, 7})}};
}

NodeSpec tfidf(Tensor x, std::map<std::string, Attribute> attrs) { return spec("TfIdfVectorizer", {std::move(x)}, std::move(attrs), 1, 9); }

Tensor tokens_1d() { return Tensor::from_vector<int32_t>({12}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8}); }

TEST(TfIdfVectorizer, CountsUnigramsOnceAndBigramsPerSkip) {
  Tensor y = run_ok(tfidf(tokens_1d(), tfidf_attrs("TF", 1, 2, 5)));
  EXPECT_EQ(y.dims(), (Dims{7}));
  // (7 8) occurs at distances 1 (positions 5-6), 6 (5-11) and 3 (8-11).
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 3, 1, 0, 1, 3, 1}));
  Tensor no_skip = run_ok(tfidf(tokens_1d(), tfidf_attrs("TF", 2, 2, 0)));
  EXPECT_EQ(values<float>(no_skip), (std::vector<float>{0, 0, 0, 0, 1, 1, 1}));
}

TEST(TfIdfVectorizer, TwoDimensionalInputCountsPerRow) {
  const Tensor x = Tensor::from_vector<int64_t>({2, 6}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});
  Tensor y = run_ok(tfidf(x, tfidf_attrs("TF", 1, 2, 5)));
  EXPECT_EQ(y.dims(), (Dims{2, 7}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1}));
}

TEST(TfIdfVectorizer, IdfAndTfIdfApplyWeights) {
  auto attrs = tfidf_attrs("IDF", 1, 2, 5);
  attrs["weights"] = floats_attr({1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(values<float>(run_ok(tfidf(tokens_1d(), attrs))), (std::vector<float>{0, 2, 3, 0, 5, 6, 7}));
  attrs["mode"] = string_attr("TFIDF");
  EXPECT_EQ(values<float>(run_ok(tfidf(tokens_1d(), attrs))), (std::vector<float>{0, 6, 3, 0, 5, 18, 7}));
  attrs.erase("weights");  // default weights are all one: IDF is then a presence flag
  attrs["mode"] = string_attr("IDF");
  EXPECT_EQ(values<float>(run_ok(tfidf(tokens_1d(), attrs))), (std::vector<float>{0, 1, 1, 0, 1, 1, 1}));
}

TEST(TfIdfVectorizer, StringPoolWithRemappedIndexes) {
  // Pool: unigram "b", bigrams (a b) (b c); ngram_indexes sends them to coordinates 2, 0, 1.
  std::map<std::string, Attribute> attrs{{"mode", string_attr("TF")},
                                         {"min_gram_length", int_attr(1)},
                                         {"max_gram_length", int_attr(2)},
                                         {"max_skip_count", int_attr(0)},
                                         {"ngram_counts", ints_attr({0, 1})},
                                         {"ngram_indexes", ints_attr({2, 0, 1})},
                                         {"pool_strings", strings_attr({"b", "a", "b", "b", "c"})}};
  Tensor y = run_ok(tfidf(words({5}, {"a", "b", "c", "zz", "b"}), attrs));
  EXPECT_EQ(y.dims(), (Dims{3}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{1, 1, 2}));
}

TEST(TfIdfVectorizer, RejectsMalformedAttributesAndInputs) {
  auto both = tfidf_attrs("TF", 1, 2, 0);
  both["pool_strings"] = strings_attr({"a"});
  expect_error(tfidf(tokens_1d(), both), "pool_int64s and pool_strings");
  auto neither = tfidf_attrs("TF", 1, 2, 0);
  neither.erase("pool_int64s");
  expect_error(tfidf(tokens_1d(), neither), "pool_int64s and pool_strings");
  auto a = tfidf_attrs("TF", 1, 2, 0);
  a["ngram_indexes"] = ints_attr({0, 1, 2});
  expect_error(tfidf(tokens_1d(), a), "ngram_indexes");
  a["ngram_indexes"] = ints_attr({0, 1, 2, 3, 4, 5, -1});
  expect_error(tfidf(tokens_1d(), a), "ngram_indexes");
  a = tfidf_attrs("TF", 1, 2, 0);
  a["ngram_counts"] = ints_attr({0, 3});  // leaves 7 values for bigrams
  expect_error(tfidf(tokens_1d(), a), "ngram_counts");
  a["ngram_counts"] = ints_attr({0, 5});  // unigram 5 twice
  expect_error(tfidf(tokens_1d(), a), "twice");
  a["ngram_counts"] = ints_attr({0, 40});
  expect_error(tfidf(tokens_1d(), a), "ngram_counts");
  a = tfidf_attrs("TF", 1, 2, 0);
  a["weights"] = floats_attr({1});
  expect_error(tfidf(tokens_1d(), a), "weights");
  expect_error(tfidf(tokens_1d(), tfidf_attrs("BM25", 1, 2, 0)), "mode");
  expect_error(tfidf(tokens_1d(), tfidf_attrs("TF", 3, 2, 0)), "min_gram_length");
  expect_error(tfidf(tokens_1d(), tfidf_attrs("TF", 1, 2, -1)), "max_skip_count");
  expect_error(tfidf(Tensor::from_vector<int32_t>({1, 1, 2}, {1, 2}), tfidf_attrs("TF", 1, 2, 0)), "[C] or [N, C]");
  expect_error(tfidf(words({1}, {"a"}), tfidf_attrs("TF", 1, 2, 0)), "int32 or int64");
}

}  // namespace
}  // namespace edgeserve::testing
