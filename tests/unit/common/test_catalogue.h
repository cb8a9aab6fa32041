#ifndef VROEG_TESTS_UNIT_COMMON_TEST_CATALOGUE_H_
#define VROEG_TESTS_UNIT_COMMON_TEST_CATALOGUE_H_

#include <cstdlib>
#include <memory>
#include <string>

#include "common/catalogue.h"
#include "gtest/gtest.h"

namespace vroeg::testing {

// The catalogue that ships with Vroeg, found through VROEG_SOURCE_DIR (set by ctest).
inline std::string ShippedCataloguePath() {
  const char* source_dir = std::getenv("VROEG_SOURCE_DIR");
  if (source_dir == nullptr || *source_dir == '\0') {
    ADD_FAILURE() << "VROEG_SOURCE_DIR is not set; run the test through ctest";
    return "";
  }
  return std::string(source_dir) + "/deploy/catalogue/catalogue.yaml";
}

// Loads the shipped catalogue; fails the calling test (and returns nullptr) when it does not
// load.
inline std::shared_ptr<const Catalogue> LoadShippedCatalogue() {
  auto catalogue = Catalogue::LoadFile(ShippedCataloguePath());
  if (!catalogue.ok()) {
    ADD_FAILURE() << "shipped catalogue does not load: " << catalogue.status();
    return nullptr;
  }
  return *std::move(catalogue);
}

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_UNIT_COMMON_TEST_CATALOGUE_H_
