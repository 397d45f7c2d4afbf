# Third-party libraries of vision/, as Debian packages them (scripts/setup.sh installs them).
# Debian's split OpenCV -dev packages ship neither a CMake config nor a .pc file unless the
# libopencv-dev meta package is installed, so the three modules we use are found by hand.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
pkg_check_modules(MOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)
find_package(SQLite3 REQUIRED)
find_package(yaml-cpp REQUIRED)

find_path(EDGE_OPENCV_INCLUDE opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
add_library(edge_opencv INTERFACE)
target_include_directories(edge_opencv SYSTEM INTERFACE ${EDGE_OPENCV_INCLUDE})
foreach(module core imgproc objdetect imgcodecs)
  find_library(EDGE_OPENCV_${module} opencv_${module} REQUIRED)
  target_link_libraries(edge_opencv INTERFACE ${EDGE_OPENCV_${module}})
endforeach()
