#include "tests/bench/probes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/test_region.h"

namespace vroeg::bench {
namespace {

absl::StatusOr<std::string> Metrics(int port) {
  auto response = testing::HttpGet(port, "/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("/metrics answered ", response->status));
  }
  return std::move(response->body);
}

absl::Status WriteError(const std::string& what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat("cannot ", what, " ", path, ": ", strerror(errno)));
}

// Writes all of `block` at `offset`; a short write is an error too, without an errno of its own.
absl::Status WriteBlock(int fd, const std::string& block, size_t offset, const std::string& path) {
  const ssize_t written = pwrite(fd, block.data(), block.size(), static_cast<off_t>(offset));
  if (written < 0) return WriteError("write", path);
  if (static_cast<size_t>(written) != block.size()) {
    return absl::UnavailableError(
        absl::StrCat("short write to ", path, ": ", written, " of ", block.size(), " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DurableWriteResult> DurableWrites(const std::string& dir, absl::Duration limit) {
  constexpr size_t kBlock = 4096;
  constexpr size_t kBlocks = 256;
  const std::string path = absl::StrCat(dir, "/durable-writes.bench");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return WriteError("create", path);
  const std::string block(kBlock, 'v');
  absl::Status status;
  DurableWriteResult result;
  // Allocated and synced first, so that the measured writes change no file size or extents.
  for (size_t i = 0; i < kBlocks && status.ok(); ++i)
    status = WriteBlock(fd, block, i * kBlock, path);
  if (status.ok() && fsync(fd) != 0) status = WriteError("sync", path);
  const absl::Time start = absl::Now();
  for (size_t i = 0; status.ok() && absl::Now() - start < limit; ++i) {
    const absl::Time t0 = absl::Now();
    status = WriteBlock(fd, block, (i % kBlocks) * kBlock, path);
    if (status.ok() && fdatasync(fd) != 0) status = WriteError("sync", path);
    if (!status.ok()) break;
    result.seconds.push_back(absl::ToDoubleSeconds(absl::Now() - t0));
  }
  result.elapsed = absl::Now() - start;
  close(fd);
  unlink(path.c_str());
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<ScrapeResult> Scrape(int port, const std::string& path, int count) {
  ScrapeResult result;
  for (int i = 0; i < count; ++i) {
    const absl::Time t0 = absl::Now();
    auto response = testing::HttpGet(port, path);
    const absl::Duration took = absl::Now() - t0;
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return absl::InternalError(absl::StrCat(path, " answered ", response->status));
    }
    result.seconds.push_back(absl::ToDoubleSeconds(took));
    result.bytes = static_cast<int64_t>(response->body.size());
    result.samples = 0;
    for (absl::string_view line : absl::StrSplit(response->body, '\n')) {
      if (!line.empty() && line[0] != '#') ++result.samples;
    }
    result.body = std::move(response->body);
  }
  return result;
}

absl::StatusOr<EndToEndResult> RunEndToEnd(const EndToEndSpec& spec) {
  const std::string series = absl::StrCat(
      "jeugdzorg_waiting_youths{region=\"", spec.region, "\",reporter=\"", spec.reporter_agb,
      "\",reporter_kind=\"provider\",care_form=\"verblijf\",municipality=\"GM0034\"}");
  auto before = Metrics(spec.metrics_port);
  if (!before.ok()) return before.status();
  // Start from whatever an earlier run left, so that every value is new.
  int value = static_cast<int>(testing::SampleValue(*before, series).value_or(0));
  EndToEndResult result;
  for (int i = 0; i < spec.iterations; ++i) {
    value = (value + 1) % 100000;
    const std::string file = absl::StrCat(spec.work_dir, "/e2e-", i, ".csv");
    std::ofstream(file) << "period_start,period_end,care_form,municipality,indicator,value\n"
                        << "2026-09-01,2026-09-30,verblijf,GM0034,wachtenden," << value << "\n";
    const absl::Time t0 = absl::Now();
    auto submitted = testing::RunCommand(
        {spec.agent_binary, "submit", "--config", spec.agent_config, file}, absl::Seconds(60));
    const absl::Time returned = absl::Now();
    if (!submitted.ok()) return submitted.status();
    if (submitted->exit_code != 0) {
      return absl::InternalError(absl::StrCat("vroeg-agent submit exited ", submitted->exit_code,
                                              ": ", submitted->out, submitted->err));
    }
    result.submit_seconds.push_back(absl::ToDoubleSeconds(returned - t0));
    while (true) {
      auto metrics = Metrics(spec.metrics_port);
      if (!metrics.ok()) return metrics.status();
      if (testing::SampleValue(*metrics, series) == static_cast<double>(value)) break;
      if (absl::Now() - returned > spec.visibility_timeout) {
        return absl::DeadlineExceededError(absl::StrCat(
            series, " did not show ", value, " within ",
            absl::FormatDuration(spec.visibility_timeout), " of vroeg-agent submit returning"));
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    result.visible_seconds.push_back(absl::ToDoubleSeconds(absl::Now() - returned));
  }
  return result;
}

}  // namespace vroeg::bench
