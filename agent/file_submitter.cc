#include "agent/file_submitter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
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
  observations->Reserve(static_cast<int>(read->observations.size()));
  for (auto& observation : read->observations) *observations->Add() = std::move(observation);
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

int SubmitFiles(const std::vector<std::string>& paths, CollectorClient& client, const Clock& clock,
                std::ostream& out) {
  auto proto = client.GetCatalogue();
  if (!proto.ok()) {
    out << "vroeg-agent: cannot fetch the catalogue: " << proto.status().message() << "\n";
    return ClassifySendResult(proto.status()) == SendOutcome::kRetry ? kExitRetryLater : kExitUsage;
  }
  auto catalogue = Catalogue::FromProto(*std::move(proto));
  if (!catalogue.ok()) {
    out << "vroeg-agent: the collector's catalogue is unusable: " << catalogue.status().message()
        << "\n";
    return kExitUsage;
  }
  ValidationContext context{*catalogue, client.reporter(), DutchDate(clock.Now()), {}, ""};
  int exit_code = kExitOk;
  for (const std::string& path : paths) {
    PreparedFile file = PrepareFile(path, context);
    if (ReportUnfit(file, out)) {
      exit_code = std::max(exit_code, kExitRejected);
      continue;
    }
    auto response = client.Submit(file.request);
    if (response.ok()) {
      if (response->duplicate()) {
        out << path << ": already accepted earlier as submission " << response->submission_id()
            << "; nothing new stored\n";
      } else {
        out << path << ": accepted: " << Plural(response->stored(), "observation") << " stored ("
            << Plural(response->corrections(), "correction") << ") as submission "
            << response->submission_id() << "\n";
      }
      continue;
    }
    const absl::Status& status = response.status();
    if (ClassifySendResult(status) == SendOutcome::kRetry) {
      out << path << ": not sent, try again later: " << status.message() << "\n";
      exit_code = std::max(exit_code, kExitRetryLater);
      continue;
    }
    out << path << ": rejected by the collector (" << absl::StatusCodeToString(status.code())
        << "): " << status.message() << "\n";
    if (auto rejection = GetRejection(status)) {
      std::vector<Problem> problems;
      for (const auto& p : rejection->problems()) {
        problems.push_back(Problem{p.source_row(), p.source_column(), p.value(), p.message()});
      }
      out << FormatProblems(problems, kShownProblems, "  ");
    }
    exit_code = std::max(exit_code, kExitRejected);
  }
  return exit_code;
}

}  // namespace vroeg
