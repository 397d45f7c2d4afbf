// JsonWriter: separators, nesting, escaping and numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "common/json_writer.h"

namespace edgeserve {
namespace {

TEST(JsonWriter, NestsAndSeparates) {
  JsonWriter w;
  w.begin_object().key("a").integer(1).key("b").begin_array().number(0.5).boolean(true).null().end_array();
  w.key("c").begin_object().end_object().key("d").string("x").end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[0.5,true,null],"c":{},"d":"x"})");
}

TEST(JsonWriter, EscapesStringsAndWritesNonFiniteAsNull) {
  JsonWriter w;
  w.begin_array().string("q\"b\\n\n\x01").number(NAN).number(INFINITY).number(1e-3).end_array();
  EXPECT_EQ(w.str(), R"(["q\"b\\n\u000a\u0001",null,null,0.001])");
}

}  // namespace
}  // namespace edgeserve
