#ifndef VROEG_TESTS_SUPPORT_TEMP_DIR_H_
#define VROEG_TESTS_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace vroeg::testing {

// Writes `content` to `path`, replacing the file. Without `mode` the file gets the permissions
// the umask allows, as a program under test would create it.
inline void WriteFile(const std::string& path, const std::string& content,
                      std::optional<mode_t> mode = std::nullopt) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    EXPECT_TRUE(out.good()) << "cannot write " << path;
  }
  if (mode.has_value()) {
    EXPECT_EQ(::chmod(path.c_str(), *mode), 0) << "cannot chmod " << path;
  }
}

// The whole content of `path`; empty when it cannot be read.
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Permission bits of `path`, or -1 when it cannot be inspected.
inline int FileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// A fresh directory under the test temporary directory, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "vroeg-XXXXXX").string();
    // Aborts rather than failing softly: callers write into the directory straight away, and an
    // empty path would send those writes to the root directory.
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "mkdtemp %s: %s\n", pattern.c_str(), std::strerror(errno));
      std::abort();
    }
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

  // Writes `content` to `name` inside the directory, creating missing parent directories, and
  // returns the file's path. Private by default, as key files must be: the code under test
  // rejects keys that others can read.
  std::string WriteFile(const std::string& name, const std::string& content,
                        mode_t mode = 0600) const {
    const std::string path = Sub(name);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    ::vroeg::testing::WriteFile(path, content, mode);
    return path;
  }

 private:
  std::string path_;
};

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_TEMP_DIR_H_
