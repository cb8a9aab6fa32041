# vroeg::small_cell_suppression and vroeg::export_format (tools/vroegctl/export). Included from
# this folder's CMakeLists.txt; sources in export/.

vroeg_test(small_cell_suppression_test
  SOURCES export/small_cell_suppression_test.cc
  LIBS vroeg::small_cell_suppression)

# The workbook tests read the produced zip back with zlib.
find_package(ZLIB REQUIRED)

vroeg_test(export_format_test
  SOURCES export/table_writer_test.cc export/export_rows_test.cc
          export/release_suppression_test.cc export/export_progress_test.cc
  LIBS vroeg::export_format ZLIB::ZLIB protobuf::libprotobuf)

# A million rows through each format; a few seconds each, mostly the workbook's compression.
vroeg_test(export_memory_test
  SOURCES export/export_memory_test.cc
  LIBS vroeg::export_format
  TIMEOUT 600)
