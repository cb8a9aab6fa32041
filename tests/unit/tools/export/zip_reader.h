#ifndef VROEG_TESTS_UNIT_TOOLS_EXPORT_ZIP_READER_H_
#define VROEG_TESTS_UNIT_TOOLS_EXPORT_ZIP_READER_H_

// Just enough of the zip format to look inside a workbook in a test: the central directory,
// stored and deflated entries, each checked against its CRC-32. An .xlsx is a zip of XML files.

#include <zlib.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace vroeg::testing {

inline uint32_t ZipLittleEndian(const std::string& data, size_t offset, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(data[offset + i]);
  }
  return value;
}

// Entry name -> content.
inline absl::StatusOr<std::map<std::string, std::string>> ReadZip(const std::string& archive) {
  constexpr uint32_t kEndOfDirectory = 0x06054b50;
  constexpr uint32_t kDirectoryEntry = 0x02014b50;
  constexpr uint32_t kLocalHeader = 0x04034b50;
  constexpr size_t kEndSize = 22;
  if (archive.size() < kEndSize) return absl::DataLossError("too short for a zip");
  size_t end = archive.size() - kEndSize;
  while (ZipLittleEndian(archive, end, 4) != kEndOfDirectory) {
    if (end == 0) return absl::DataLossError("no end of central directory");
    --end;
  }
  const uint32_t entries = ZipLittleEndian(archive, end + 10, 2);
  size_t at = ZipLittleEndian(archive, end + 16, 4);
  std::map<std::string, std::string> files;
  for (uint32_t i = 0; i < entries; ++i) {
    if (at + 46 > archive.size() || ZipLittleEndian(archive, at, 4) != kDirectoryEntry) {
      return absl::DataLossError(absl::StrCat("bad central directory entry ", i));
    }
    const uint32_t method = ZipLittleEndian(archive, at + 10, 2);
    const uint32_t crc = ZipLittleEndian(archive, at + 16, 4);
    const uint32_t compressed = ZipLittleEndian(archive, at + 20, 4);
    const uint32_t size = ZipLittleEndian(archive, at + 24, 4);
    const uint32_t name_length = ZipLittleEndian(archive, at + 28, 2);
    const uint32_t extra_length = ZipLittleEndian(archive, at + 30, 2);
    const uint32_t comment_length = ZipLittleEndian(archive, at + 32, 2);
    const size_t local = ZipLittleEndian(archive, at + 42, 4);
    const std::string name = archive.substr(at + 46, name_length);
    at += 46 + name_length + extra_length + comment_length;

    if (local + 30 > archive.size() || ZipLittleEndian(archive, local, 4) != kLocalHeader) {
      return absl::DataLossError(absl::StrCat("bad local header of ", name));
    }
    const size_t data = local + 30 + ZipLittleEndian(archive, local + 26, 2) +
                        ZipLittleEndian(archive, local + 28, 2);
    if (data + compressed > archive.size()) return absl::DataLossError(name + " is cut off");
    std::string content(size, '\0');
    if (method == 0) {
      content = archive.substr(data, compressed);
    } else if (method == 8) {
      z_stream stream = {};
      if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return absl::InternalError("inflateInit2");
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(archive.data() + data));
      stream.avail_in = compressed;
      stream.next_out = reinterpret_cast<Bytef*>(content.data());
      stream.avail_out = size;
      const int result = inflate(&stream, Z_FINISH);
      inflateEnd(&stream);
      if (result != Z_STREAM_END) return absl::DataLossError(name + " does not inflate");
    } else {
      return absl::UnimplementedError(absl::StrCat(name, ": compression method ", method));
    }
    const uint32_t actual =
        crc32(0, reinterpret_cast<const Bytef*>(content.data()), content.size());
    if (actual != crc) return absl::DataLossError(name + ": CRC mismatch");
    files[name] = std::move(content);
  }
  return files;
}

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_UNIT_TOOLS_EXPORT_ZIP_READER_H_
