#ifndef VROEG_TESTS_UNIT_COMMON_SCOPED_TEMP_DIR_H_
#define VROEG_TESTS_UNIT_COMMON_SCOPED_TEMP_DIR_H_

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace vroeg::testing {

// A fresh directory under the test temporary directory, removed with its contents when the
// object goes out of scope.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern =
        (std::filesystem::path(::testing::TempDir()) / "vroeg_common_XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed for " << pattern;
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ~ScopedTempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const {
    return (std::filesystem::path(path_) / name).string();
  }

  // Writes `contents` to `name` inside the directory with permission bits `mode` and returns
  // the file's path.
  std::string WriteFile(const std::string& name, const std::string& contents,
                        mode_t mode = 0600) const {
    const std::string path = Join(name);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << contents;
      EXPECT_TRUE(out.good()) << "cannot write " << path;
    }
    EXPECT_EQ(::chmod(path.c_str(), mode), 0) << "cannot chmod " << path;
    return path;
  }

 private:
  std::string path_;
};

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_UNIT_COMMON_SCOPED_TEMP_DIR_H_
