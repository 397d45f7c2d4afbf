# Project-wide warning flags: on, and kept clean. Applied through edge_warnings so third-party
# code (generated protobuf, gtest) is not held to them.
add_library(edge_warnings INTERFACE)
target_compile_options(edge_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
  -Wnon-virtual-dtor -Wno-unused-parameter)
