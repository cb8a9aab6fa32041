# vroeg-demo-data's generator (tools/demo). Included from this folder's CMakeLists.txt.
vroeg_test(demo_data_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/demo_data_test.cc
  LIBS vroeg::demo_data yaml-cpp absl::strings absl::time
  LABELS unit)
