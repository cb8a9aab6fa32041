#include "agent/file_submitter.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "agent/forwarder.h"
#include "agent/sources/observation_reader.h"
#include "common/digest.h"
#include "common/grpc_status.h"
#include "common/period.h"
#include "common/retry_policy.h"

namespace vroeg {
namespace {

// Enough to fix a file in one go without flooding a terminal.
constexpr size_t kShownProblems = 50;

std::string Plural(size_t n, absl::string_view word) {
  return absl::StrCat(n, " ", word, n == 1 ? "" : "s");
}

// Reports a file that cannot be sent; true when it was not fit to send.
bool ReportUnfit(const PreparedFile& file, std::ostream& out) {
  if (!file.error.ok()) {
    out << file.path << ": rejected: " << file.error.message() << "\n";
    return true;
  }
  if (!file.problems.empty()) {
    out << file.path << ": rejected: " << Plural(file.problems.size(), "problem")
        << ", nothing sent:\n";
    out << FormatProblems(file.problems, kShownProblems, "  ");
    return true;
  }
  return false;
}

}  // namespace

PreparedFile PrepareFile(const std::string& path, const ValidationContext& context) {
  PreparedFile file;
  file.path = path;
  auto read = ReadObservationFile(path);
  if (!read.ok()) {
    file.error = read.status();
    return file;
  }
  file.problems = std::move(read->problems);
  auto* observations = file.request.mutable_observations();
  {
    // The moved-from messages are a file's worth of empty shells: freed here, before validation
    // allocates its own per-row state, they do not add to the agent's peak.
    std::vector<api::v1::Observation> read_observations = std::move(read->observations);
    observations->Reserve(static_cast<int>(read_observations.size()));
    for (auto& observation : read_observations) *observations->Add() = std::move(observation);
  }
  std::vector<Problem> invalid = ValidateObservations(context, observations);
  file.problems.insert(file.problems.end(), invalid.begin(), invalid.end());
  std::stable_sort(file.problems.begin(), file.problems.end(),
                   [](const Problem& a, const Problem& b) { return a.row < b.row; });
  if (observations->empty() && file.problems.empty()) {
    file.error = absl::InvalidArgumentError(absl::StrCat(path, " holds no figures"));
  }
  const std::string reporter = context.reporter.Urn();
  file.request.set_reporter(reporter);
  file.request.set_submission_id(
      absl::StrCat("f-", ObservationsDigest(*observations).substr(0, 40)));
  return file;
}

int CheckFiles(const std::vector<std::string>& paths, const ValidationContext& context,
               std::ostream& out) {
  int exit_code = kExitOk;
  for (const std::string& path : paths) {
    PreparedFile file = PrepareFile(path, context);
    if (ReportUnfit(file, out)) {
      exit_code = kExitRejected;
      continue;
    }
    out << path << ": valid: " << Plural(file.request.observations_size(), "observation") << "\n";
  }
  return exit_code;
}

namespace {

// Reports how the collector settled one submission; returns the exit code it deserves.
int ReportSettled(const std::string& source,
                  const absl::StatusOr<api::v1::SubmitResponse>& response, std::ostream& out) {
  if (response.ok()) {
    if (response->duplicate()) {
      out << source << ": already accepted earlier as submission " << response->submission_id()
          << "; nothing new stored\n";
    } else {
      out << source << ": accepted: " << Plural(response->stored(), "observation") << " stored ("
          << Plural(response->corrections(), "correction") << ") as submission "
          << response->submission_id() << "\n";
    }
    return kExitOk;
  }
  const absl::Status& status = response.status();
  out << source << ": rejected by the collector (" << absl::StatusCodeToString(status.code())
      << "): " << status.message() << "\n";
  if (auto rejection = GetRejection(status)) {
    std::vector<Problem> problems;
    for (const auto& p : rejection->problems()) {
      problems.push_back(Problem{p.source_row(), p.source_column(), p.value(), p.message()});
    }
    out << FormatProblems(problems, kShownProblems, "  ");
  }
  out << "  (set aside in the spool's quarantine directory; fix the file and submit it again)\n";
  return kExitRejected;
}

// The catalogue to check against: the collector's, else the copy from the last contact.
absl::StatusOr<std::shared_ptr<const Catalogue>> CatalogueForSubmit(CollectorClient& client,
                                                                    CatalogueCache& cache,
                                                                    Logger& logger,
                                                                    std::ostream& out) {
  auto fetched = cache.Refresh(client, logger);
  if (fetched.ok()) return *fetched;
  if (ClassifySendResult(fetched.status()) == SendOutcome::kRetry) {
    if (auto copy = cache.LoadCopy()) {
      out << "vroeg-agent: the collector is unreachable; checking against the catalogue "
             "version "
          << copy->version() << " kept from the last contact\n";
      return copy;
    }
  }
  return fetched.status();
}

}  // namespace

int SubmitFiles(const std::vector<std::string>& paths, CollectorClient& client, Spool& spool,
                CatalogueCache& catalogue_cache, const SubmitOptions& options, const Clock& clock,
                Logger& logger, std::ostream& out, ProgressLine& progress) {
  int exit_code = kExitOk;
  // Submission sequence -> file, for the files of this run.
  std::map<uint64_t, std::string> ours;
  if (!paths.empty()) {
    auto catalogue = CatalogueForSubmit(client, catalogue_cache, logger, out);
    if (!catalogue.ok()) {
      out << "vroeg-agent: cannot fetch the catalogue: " << catalogue.status().message() << "\n";
      return ClassifySendResult(catalogue.status()) == SendOutcome::kRetry ? kExitRetryLater
                                                                           : kExitUsage;
    }
    ValidationContext context{*catalogue, client.reporter(), DutchDate(clock.Now()), {}, ""};
    for (const std::string& path : paths) {
      PreparedFile file = PrepareFile(path, context);
      if (ReportUnfit(file, out)) {
        exit_code = std::max(exit_code, kExitRejected);
        continue;
      }
      auto sequence = spool.Append(file.request, path);
      if (!sequence.ok()) {
        out << path << ": not spooled: " << sequence.status().message() << "\n";
        exit_code = std::max(
            exit_code, absl::IsResourceExhausted(sequence.status()) ? kExitRetryLater : kExitUsage);
        continue;
      }
      ours.emplace(*sequence, path);
    }
  }

  size_t settled = 0;
  absl::Status last_failure;
  Forwarder forwarder(
      &spool, &client,
      std::make_unique<JitteredExponentialBackoff>(options.retry_initial, options.retry_max),
      &logger);
  forwarder.SetObserver([&](const SendReport& report) {
    if (report.outcome == SendOutcome::kRetry) {
      last_failure = report.response.status();
      return;
    }
    progress.Clear();
    auto it = ours.find(report.submission.sequence);
    std::string source = report.submission.source;
    if (it == ours.end()) {
      source = absl::StrCat(source, " (spooled earlier)");
    } else {
      ours.erase(it);
      ++settled;
    }
    exit_code = std::max(exit_code, ReportSettled(source, report.response, out));
  });

  const absl::Time deadline = clock.Now() + options.wait;
  while (true) {
    auto pass = forwarder.SendPending();
    if (!pass.ok()) {
      progress.Clear();
      out << "vroeg-agent: the spool failed: " << pass.status().message() << "\n";
      return kExitUsage;
    }
    if (!pass->retry_after) break;
    const absl::Duration remaining = deadline - clock.Now();
    if (remaining <= absl::ZeroDuration()) break;
    const absl::Duration delay = std::min(*pass->retry_after, remaining);
    progress.Update(absl::StrCat("delivering: ", settled, " of ", settled + ours.size(),
                                 " settled; retrying in ",
                                 absl::FormatDuration(absl::Ceil(delay, absl::Seconds(1))), " (",
                                 last_failure.message(), ")"));
    forwarder.WaitToRetry(delay);
  }
  progress.Clear();
  if (const SpoolStats stats = spool.Stats(); stats.pending_submissions > 0) {
    for (const auto& [sequence, path] : ours) {
      out << path << ": spooled, not yet acknowledged: " << last_failure.message() << "\n";
    }
    out << "vroeg-agent: " << Plural(stats.pending_submissions, "submission")
        << " wait in the spool; `vroeg-agent submit` without files or `vroeg-agent run` "
           "delivers them\n";
    exit_code = std::max(exit_code, kExitRetryLater);
  }
  return exit_code;
}

}  // namespace vroeg
