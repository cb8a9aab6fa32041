#include "agent/agent_status.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/exit_codes.h"
#include "common/proto_time.h"
#include "common/tls.h"
#include "common/yaml_proto.h"
#include "google/protobuf/util/json_util.h"

namespace vroeg {
namespace {

// A daemon rewrites its status every interval; a status older than this many intervals (plus
// slack for a slow disk) means it no longer does.
constexpr int kStaleIntervals = 3;
constexpr absl::Duration kStaleSlack = absl::Seconds(30);

std::string Rfc3339(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProtoTimestamp(time), absl::UTCTimeZone());
}

// "2m5s" rather than "2m5.123456s": whole seconds are what a person reads.
std::string Age(absl::Time since, absl::Time now) {
  const absl::Duration age = now - since;
  if (age < absl::Seconds(1)) return "0s";
  return absl::FormatDuration(absl::Trunc(age, absl::Seconds(1)));
}

std::string Bytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes) / 1024;
  const char* unit = "KiB";
  for (const char* larger : {"MiB", "GiB"}) {
    if (value < 1024) break;
    value /= 1024;
    unit = larger;
  }
  return absl::StrFormat("%.1f %s", value, unit);
}

// The status as JSON, with the proto's field names; `all_fields` prints zeros too.
absl::StatusOr<std::string> StatusJson(const agent::v1::AgentStatus& status, bool all_fields) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = all_fields;
  if (auto printed = google::protobuf::util::MessageToJsonString(status, &json, options);
      !printed.ok()) {
    return absl::InternalError(absl::StrCat("cannot encode the status: ", printed.ToString()));
  }
  return json;
}

std::string Event(const agent::v1::DeliveryEvent& event, absl::Time now) {
  if (!event.has_at()) return "none since start";
  std::string text =
      absl::StrCat(Rfc3339(event.at()), " (", Age(FromProtoTimestamp(event.at()), now), " ago)");
  if (!event.code().empty()) absl::StrAppend(&text, " ", event.code(), ":");
  if (!event.message().empty()) absl::StrAppend(&text, " ", event.message());
  if (!event.submission_id().empty()) {
    absl::StrAppend(&text, event.code().empty() ? " submission " : "; submission ",
                    event.submission_id());
  }
  if (!event.source().empty()) absl::StrAppend(&text, " from ", event.source());
  return text;
}

}  // namespace

std::string StatusFilePath(const std::string& spool_path) { return spool_path + ".status.json"; }

StatusBoard::StatusBoard(agent::v1::AgentStatus identity, absl::Time started_at)
    : status_(std::move(identity)) {
  *status_.mutable_started_at() = ToProtoTimestamp(started_at);
}

void StatusBoard::SetCollector(const std::string& collector) {
  absl::MutexLock lock(&mu_);
  status_.set_collector(collector);
}

void StatusBoard::RecordDelivered(const SpooledSubmission& submission, absl::Time at) {
  absl::MutexLock lock(&mu_);
  auto* event = status_.mutable_last_success();
  event->Clear();
  *event->mutable_at() = ToProtoTimestamp(at);
  event->set_submission_id(submission.request.submission_id());
  event->set_source(submission.source);
}

void StatusBoard::RecordError(const absl::Status& error, absl::Time at,
                              const std::string& submission_id, const std::string& source) {
  absl::MutexLock lock(&mu_);
  auto* event = status_.mutable_last_error();
  event->Clear();
  *event->mutable_at() = ToProtoTimestamp(at);
  event->set_code(absl::StatusCodeToString(error.code()));
  event->set_message(std::string(error.message()));
  event->set_submission_id(submission_id);
  event->set_source(source);
}

void StatusBoard::RecordFile(IntakeOutcome outcome) {
  absl::MutexLock lock(&mu_);
  switch (outcome) {
    case IntakeOutcome::kSpooled:
      status_.set_files_spooled(status_.files_spooled() + 1);
      break;
    case IntakeOutcome::kRejected:
      status_.set_files_rejected(status_.files_rejected() + 1);
      break;
    case IntakeOutcome::kDeferred:
      status_.set_files_deferred(status_.files_deferred() + 1);
      break;
  }
}

agent::v1::AgentStatus StatusBoard::Snapshot(const SpoolStats& spool, uint64_t files_waiting,
                                             absl::Time now, bool running) const {
  agent::v1::AgentStatus status;
  {
    absl::MutexLock lock(&mu_);
    status = status_;
  }
  status.set_pid(getpid());
  status.set_running(running);
  *status.mutable_updated_at() = ToProtoTimestamp(now);
  status.set_pending_submissions(spool.pending_submissions);
  status.set_pending_bytes(spool.pending_bytes);
  status.set_spool_bytes(spool.disk_bytes);
  if (spool.oldest_pending)
    *status.mutable_oldest_pending_at() = ToProtoTimestamp(*spool.oldest_pending);
  status.set_quarantined_total(spool.quarantined_total);
  status.set_corrupt_segments_total(spool.corrupt_segments_total);
  status.set_files_waiting(files_waiting);
  return status;
}

absl::Status WriteStatusFile(const std::string& path, const agent::v1::AgentStatus& status) {
  absl::StatusOr<std::string> encoded = StatusJson(status, /*all_fields=*/false);
  if (!encoded.ok()) return encoded.status();
  const std::string& json = *encoded;
  const std::string temp = path + ".tmp";
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write the status file ", temp));
  }
  const bool written = write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size());
  const int write_errno = errno;
  close(fd);
  if (!written) {
    unlink(temp.c_str());
    return absl::ErrnoToStatus(write_errno, absl::StrCat("cannot write the status file ", temp));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot replace the status file ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<agent::v1::AgentStatus> ReadStatusFile(const std::string& path) {
  auto json = ReadFileToString(path);
  if (!json.ok()) {
    if (absl::IsNotFound(json.status())) {
      return absl::NotFoundError(absl::StrCat(
          "no status at ", path,
          ": `vroeg-agent run` has not run with this configuration yet (start it, e.g. "
          "systemctl start vroeg-agent)"));
    }
    return json.status();
  }
  agent::v1::AgentStatus status;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(*json, &status, options);
      !parsed.ok()) {
    return absl::DataLossError(
        absl::StrCat("the status file ", path, " is unreadable: ", parsed.ToString()));
  }
  return status;
}

DaemonState JudgeDaemon(const agent::v1::AgentStatus& status, absl::Time now, bool process_alive) {
  if (!status.running() || !process_alive) return DaemonState::kStopped;
  const absl::Duration stale =
      kStaleIntervals * absl::Seconds(status.update_interval_seconds()) + kStaleSlack;
  if (now - FromProtoTimestamp(status.updated_at()) > stale) return DaemonState::kNotResponding;
  return DaemonState::kRunning;
}

std::string FormatStatus(const agent::v1::AgentStatus& status, absl::Time now, DaemonState state) {
  const absl::Time updated = FromProtoTimestamp(status.updated_at());
  std::string daemon;
  switch (state) {
    case DaemonState::kRunning:
      daemon = absl::StrCat("running (pid ", status.pid(), ", since ", Rfc3339(status.started_at()),
                            ")");
      break;
    case DaemonState::kStopped:
      daemon = absl::StrCat("not running (last seen ", Rfc3339(status.updated_at()), ", ",
                            Age(updated, now), " ago; figures below are from then)");
      break;
    case DaemonState::kNotResponding:
      daemon = absl::StrCat("not responding (pid ", status.pid(),
                            " exists but has not updated its status for ", Age(updated, now),
                            "; see its log)");
      break;
  }
  std::string oldest = "none pending";
  if (status.has_oldest_pending_at()) {
    oldest = absl::StrCat(Age(FromProtoTimestamp(status.oldest_pending_at()), now), " (since ",
                          Rfc3339(status.oldest_pending_at()), ")");
  }
  std::string text;
  auto line = [&text](absl::string_view label, absl::string_view value) {
    absl::StrAppend(&text, absl::StrFormat("%-16s%s\n", absl::StrCat(label, ":"), value));
  };
  line("daemon", daemon);
  line("reporter", status.reporter());
  line("collector", status.collector());
  line("spool",
       absl::StrCat(status.pending_submissions(), " submission",
                    status.pending_submissions() == 1 ? "" : "s", " pending (",
                    Bytes(status.pending_bytes()), "); ", Bytes(status.spool_bytes()), " of ",
                    Bytes(status.spool_max_bytes()), " used; ", status.spool_path()));
  line("oldest pending", oldest);
  line("last success", Event(status.last_success(), now));
  line("last error", Event(status.last_error(), now));
  line("quarantined", absl::StrCat(status.quarantined_total(), " submission",
                                   status.quarantined_total() == 1 ? "" : "s", " since start",
                                   status.quarantined_total() > 0
                                       ? absl::StrCat(" (see ", status.spool_path(), "/quarantine)")
                                       : ""));
  if (status.corrupt_segments_total() > 0) {
    line("corrupt",
         absl::StrCat(status.corrupt_segments_total(), " damaged spool segment(s) set aside in ",
                      status.spool_path(), "/quarantine"));
  }
  line("files", absl::StrCat(status.files_spooled(), " spooled, ", status.files_rejected(),
                             " rejected, ", status.files_deferred(), " deferred since start; ",
                             status.files_waiting(), " waiting in the drop folders"));
  return text;
}

int ShowAgentStatus(const AgentSettings& settings, const Clock& clock, bool json, std::ostream& out,
                    std::ostream& err) {
  const std::string path =
      StatusFilePath(ResolvePath(settings.base_dir, settings.config.spool().path()));
  auto status = ReadStatusFile(path);
  if (!status.ok()) {
    err << "vroeg-agent: error: " << status.status().message() << "\n";
    return kExitUsage;
  }
  // EPERM means the process exists but belongs to another user, e.g. the vroeg service user.
  const bool alive =
      status->pid() > 0 && (kill(static_cast<pid_t>(status->pid()), 0) == 0 || errno == EPERM);
  const DaemonState state = JudgeDaemon(*status, clock.Now(), alive);
  if (json) {
    if (state != DaemonState::kRunning) status->set_running(false);
    absl::StatusOr<std::string> encoded = StatusJson(*status, /*all_fields=*/true);
    if (!encoded.ok()) {
      err << "vroeg-agent: error: " << encoded.status().message() << "\n";
      return kExitUsage;
    }
    out << *encoded << "\n";
  } else {
    out << FormatStatus(*status, clock.Now(), state);
  }
  return state == DaemonState::kRunning ? kExitOk : kExitRetryLater;
}

}  // namespace vroeg
