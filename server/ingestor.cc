#include "server/ingestor.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/grpc_status.h"
#include "common/period.h"
#include "common/retry_policy.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"

namespace vroeg {

struct Ingestor::Pending {
  SubmissionRecord record;
  // The caller's request, queued upstream after the commit.
  api::v1::SubmitRequest* request = nullptr;
  std::string reporter_urn;
  // Set by the leader before `done`.
  absl::StatusOr<api::v1::SubmitResponse> answer;
  // Guarded by commit_mu_.
  bool done = false;
  // Signalled when `done` is set, or when this caller is to lead the next group.
  absl::CondVar wake;
};

namespace {

// A bounded set of reasons, used as a metric label.
absl::string_view ReasonLabel(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "invalid";
    case absl::StatusCode::kPermissionDenied:
      return "permission_denied";
    case absl::StatusCode::kUnauthenticated:
      return "unauthenticated";
    case absl::StatusCode::kAlreadyExists:
      return "id_reused";
    case absl::StatusCode::kUnavailable:
      return "storage_unavailable";
    case absl::StatusCode::kResourceExhausted:
      return "limit";
    default:
      return "internal";
  }
}

// A refusal travels in gRPC's trailing metadata, which clients accept only up to 8 KiB by
// default; beyond that the sender would get a transport error instead of its problems. So every
// text taken from the request is cut short and the list stops at a byte budget.
constexpr size_t kMaxProblemText = 200;
constexpr size_t kRejectionBudget = 4096;

std::string Bounded(absl::string_view text) {
  if (text.size() <= kMaxProblemText) return std::string(text);
  size_t cut = kMaxProblemText;
  // Never inside a UTF-8 sequence: a proto string must stay valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(text.substr(0, cut), "... (", text.size() - cut, " more bytes)");
}

Problem BoundedProblem(const Problem& problem) {
  return Problem{problem.row, Bounded(problem.column), Bounded(problem.value),
                 Bounded(problem.message)};
}

absl::Status ValidateSubmissionId(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError(
        "submission_id: must be 1 to 128 characters; choose one per batch and reuse it on "
        "retries");
  }
  for (char c : id) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "submission_id: '", id, "' may contain only letters, digits, '.', '_', ':' and '-'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Ingestor::Ingestor(std::shared_ptr<const Catalogue> catalogue, IngestorOptions options,
                   ObservationStore* store, LatestState* state, const Clock* clock, Logger* logger,
                   prometheus::Registry* registry)
    : catalogue_(std::move(catalogue)),
      options_(std::move(options)),
      authorizer_(catalogue_, options_.region, options_.member_regions, registry),
      rate_limiter_(options_.submissions_per_minute, options_.burst, clock),
      store_(store),
      state_(state),
      clock_(clock),
      logger_(logger) {
  accepted_ = &prometheus::BuildCounter()
                   .Name("vroeg_submissions_accepted_total")
                   .Help("Submissions committed to storage (duplicates not included).")
                   .Register(*registry)
                   .Add({});
  duplicates_ = &prometheus::BuildCounter()
                     .Name("vroeg_submissions_duplicate_total")
                     .Help("Retries of an already committed submission, acknowledged again.")
                     .Register(*registry)
                     .Add({});
  rejected_ = &prometheus::BuildCounter()
                   .Name("vroeg_submissions_rejected_total")
                   .Help("Submissions refused, by reason.")
                   .Register(*registry);
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kPermissionDenied,
        absl::StatusCode::kUnauthenticated, absl::StatusCode::kAlreadyExists,
        absl::StatusCode::kUnavailable, absl::StatusCode::kResourceExhausted,
        absl::StatusCode::kInternal}) {
    rejected_->Add({{"reason", std::string(ReasonLabel(code))}});
  }
  observations_stored_ = &prometheus::BuildCounter()
                              .Name("vroeg_observations_stored_total")
                              .Help("Observations committed to storage, corrections included.")
                              .Register(*registry)
                              .Add({});
  corrections_ = &prometheus::BuildCounter()
                      .Name("vroeg_observation_corrections_total")
                      .Help("Stored observations that replaced an earlier value.")
                      .Register(*registry)
                      .Add({});
  commit_seconds_ = &prometheus::BuildHistogram()
                         .Name("vroeg_commit_duration_seconds")
                         .Help(
                             "Per submission committed: duration of the storage "
                             "transaction that committed it durably (with its group).")
                         .Register(*registry)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                      0.5, 1, 2.5, 5});
  group_submissions_ = &prometheus::BuildHistogram()
                            .Name("vroeg_commit_batch_submissions")
                            .Help("Submissions committed together in one storage transaction.")
                            .Register(*registry)
                            .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64,
                                                                             128, 256, 512, 1024});
  waiting_submissions_ = &prometheus::BuildGauge()
                              .Name("vroeg_commit_waiting_submissions")
                              .Help(
                                  "Submissions that passed every check and wait for a "
                                  "storage transaction to take them.")
                              .Register(*registry)
                              .Add({});
}

void Ingestor::CountRejection(absl::StatusCode code) {
  rejected_->Add({{"reason", std::string(ReasonLabel(code))}}).Increment();
}

absl::StatusOr<api::v1::SubmitResponse> Ingestor::Submit(const ReporterId& caller,
                                                         api::v1::SubmitRequest request) {
  const std::string submission_id = request.submission_id();
  const size_t observations = request.observations_size();
  auto response = SubmitChecked(caller, std::move(request));
  if (!response.ok()) {
    CountRejection(response.status().code());
    logger_->Warning("submission_refused",
                     {{"reporter", caller.Urn()},
                      {"submission_id", Bounded(submission_id)},
                      {"observations", observations},
                      {"code", absl::StatusCodeToString(response.status().code())},
                      {"reason", response.status().message()}});
    return response;
  }
  logger_->Info(response->duplicate() ? "submission_duplicate" : "submission_accepted",
                {{"reporter", caller.Urn()},
                 {"submission_id", submission_id},
                 {"observations", observations},
                 {"stored", response->stored()},
                 {"corrections", response->corrections()}});
  return response;
}

absl::StatusOr<api::v1::SubmitResponse> Ingestor::SubmitChecked(const ReporterId& caller,
                                                                api::v1::SubmitRequest request) {
  if (absl::Duration wait = rate_limiter_.Take(caller.Urn()); wait > absl::ZeroDuration()) {
    absl::Status status = absl::ResourceExhaustedError(
        absl::StrCat(caller.Urn(), " sent more than ", options_.burst, " submissions at once or ",
                     options_.submissions_per_minute, " per minute; retry after ",
                     absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(100)))));
    SetRetryAfterHint(&status, wait);
    return status;
  }
  if (request.observations_size() > static_cast<int>(options_.max_observations_per_submission)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "submission has ", request.observations_size(), " observations; at most ",
        options_.max_observations_per_submission, " are accepted at once: split it into several"));
  }
  VROEG_ASSIGN_OR_RETURN(SubmissionScope scope, authorizer_.AuthorizeSubmission(caller, request));
  const std::string reporter_urn = scope.reporter.Urn();
  VROEG_RETURN_IF_ERROR(ValidateSubmissionId(request.submission_id()));

  const absl::Time now = clock_->Now();
  ValidationContext context{
      catalogue_,
      scope.reporter,
      DutchDate(now),
      {scope.region->municipalities().begin(), scope.region->municipalities().end()},
      scope.region->code()};
  std::vector<Problem> problems = ValidateObservations(context, request.mutable_observations());
  if (!problems.empty()) {
    api::v1::SubmissionRejection rejection;
    for (const Problem& problem : problems) {
      if (rejection.problems_size() == kMaxListedProblems) break;
      const Problem p = BoundedProblem(problem);
      api::v1::ValidationProblem out;
      out.set_source_row(p.row);
      out.set_source_column(p.column);
      out.set_value(p.value);
      out.set_message(p.message);
      if (rejection.ByteSizeLong() + out.ByteSizeLong() > kRejectionBudget) break;
      *rejection.add_problems() = std::move(out);
    }
    rejection.set_truncated(rejection.problems_size() < static_cast<int>(problems.size()));
    absl::Status status = absl::InvalidArgumentError(
        absl::StrCat(problems.size(), " of the submission's observations are invalid; first: ",
                     FormatProblem(BoundedProblem(problems[0]))));
    SetRejection(&status, rejection);
    return status;
  }

  // A forwarded submission keeps the time its region committed it, so that the national store
  // holds the same history and compliance as the region's.
  const bool forwarded = caller.kind == type::v1::REPORTER_KIND_REGION;
  absl::Time received_at = now;
  if (request.has_received_at()) {
    if (!forwarded) {
      return absl::InvalidArgumentError(
          "received_at is set only by a regional collector forwarding a submission; leave it out");
    }
    received_at = absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.received_at()));
  }

  SubmissionRecord record;
  record.reporter = reporter_urn;
  record.submission_id = request.submission_id();
  record.digest = ObservationsDigest(request.observations());
  record.received_at = received_at;
  if (forwarded) record.region = scope.region->code();
  record.observations.reserve(request.observations_size());
  for (const auto& o : request.observations()) {
    StoredObservation stored;
    stored.series = SeriesKey{reporter_urn, o.indicator(), o.care_form(), o.municipality()};
    stored.period_start = o.period().start();
    stored.period_end = o.period().end();
    stored.granularity = o.period().granularity();
    stored.value = o.value();
    stored.submission_id = record.submission_id;
    stored.received_at = received_at;
    record.observations.push_back(std::move(stored));
  }

  Pending pending;
  pending.record = std::move(record);
  pending.request = &request;
  pending.reporter_urn = reporter_urn;
  return CommitInGroup(pending);
}

absl::StatusOr<api::v1::SubmitResponse> Ingestor::CommitInGroup(Pending& pending) {
  absl::MutexLock lock(&commit_mu_);
  waiting_.push_back(&pending);
  waiting_submissions_->Set(static_cast<double>(waiting_.size()));
  while (!pending.done && committing_) pending.wake.Wait(&commit_mu_);
  if (pending.done) return std::move(pending.answer);

  // The leader, until its own submission is committed: a caller's wait is bounded by the groups
  // that arrived before it, never by those after.
  committing_ = true;
  while (!pending.done) {
    std::vector<Pending*> group;
    size_t observations = 0;
    while (!waiting_.empty()) {
      // An empty submission still costs a row: counted as one.
      const size_t size = std::max<size_t>(1, waiting_.front()->record.observations.size());
      if (!group.empty() && observations + size > kMaxGroupObservations) break;
      observations += size;
      group.push_back(waiting_.front());
      waiting_.pop_front();
    }
    waiting_submissions_->Set(static_cast<double>(waiting_.size()));
    // Others keep joining the list while this group commits.
    commit_mu_.Unlock();
    CommitGroup(group);
    commit_mu_.Lock();
    for (Pending* member : group) {
      member->done = true;
      member->wake.Signal();
    }
  }
  committing_ = false;
  if (!waiting_.empty()) waiting_.front()->wake.Signal();
  return std::move(pending.answer);
}

void Ingestor::CommitGroup(const std::vector<Pending*>& group) {
  std::vector<const SubmissionRecord*> records;
  records.reserve(group.size());
  for (const Pending* member : group) records.push_back(&member->record);
  const absl::Time started = clock_->Now();
  std::vector<absl::StatusOr<CommitResult>> results = store_->CommitGroup(records);
  const double seconds = absl::ToDoubleSeconds(clock_->Now() - started);
  group_submissions_->Observe(static_cast<double>(group.size()));
  if (results.size() != group.size()) {
    for (Pending* member : group) {
      member->answer = absl::InternalError(absl::StrCat(
          "the store returned ", results.size(), " results for ", group.size(), " submissions"));
    }
    return;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    Pending& member = *group[i];
    if (!results[i].ok()) {
      member.answer = results[i].status();
      continue;
    }
    const CommitResult& result = *results[i];
    commit_seconds_->Observe(seconds);
    if (result.duplicate) {
      duplicates_->Increment();
    } else {
      accepted_->Increment();
      observations_stored_->Increment(result.stored);
      corrections_->Increment(result.corrections);
      for (const auto& observation : member.record.observations) state_->Apply(observation);
    }
    const auto committed_at = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
        absl::ToUnixMicros(result.committed_at));
    // Queued by the leader in commit order, so that the national collector receives corrections
    // in the order they were committed here.
    if (options_.upstream != nullptr) {
      api::v1::SubmitRequest& request = *member.request;
      request.set_reporter(member.reporter_urn);
      *request.mutable_received_at() = committed_at;
      if (absl::Status queued = options_.upstream->Enqueue(request); !queued.ok()) {
        member.answer = std::move(queued);
        continue;
      }
    }
    api::v1::SubmitResponse response;
    response.set_submission_id(member.record.submission_id);
    response.set_duplicate(result.duplicate);
    response.set_stored(result.stored);
    response.set_corrections(result.corrections);
    *response.mutable_committed_at() = committed_at;
    member.answer = std::move(response);
  }
}

}  // namespace vroeg
