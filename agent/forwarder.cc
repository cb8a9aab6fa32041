#include "agent/forwarder.h"

#include <malloc.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/retry_policy.h"
#include "common/status_macros.h"

namespace vroeg {

Forwarder::Forwarder(Spool* spool, SubmissionSender* sender,
                     std::unique_ptr<BackoffStrategy> backoff, Logger* logger, size_t batch,
                     absl::Duration idle_poll)
    : spool_(spool),
      sender_(sender),
      backoff_(std::move(backoff)),
      logger_(logger),
      batch_(batch == 0 ? 1 : batch),
      idle_poll_(idle_poll) {}

absl::StatusOr<ForwardPass> Forwarder::SendPending() {
  ForwardPass pass;
  connection_failed_ = false;
  {
    // New retry settings apply from the next pass on, whichever wait came before it.
    absl::MutexLock lock(&mu_);
    if (next_backoff_ != nullptr) backoff_ = std::move(next_backoff_);
  }
  while (true) {
    VROEG_ASSIGN_OR_RETURN(std::vector<SpooledSubmission> pending, spool_->Peek(batch_));
    if (pending.empty()) return pass;
    for (const SpooledSubmission& submission : pending) {
      auto response = sender_->Submit(submission.request);
      const absl::Status& status = response.status();
      const SendOutcome outcome = ClassifySendResult(status);
      // Settled first, so that an observer never reports a delivery the spool may still repeat.
      switch (outcome) {
        case SendOutcome::kAcknowledged:
          VROEG_RETURN_IF_ERROR(spool_->Acknowledge(submission.sequence));
          backoff_->Reset();
          ++pass.acknowledged;
          logger_->Info("submission_acknowledged",
                        {{"submission_id", submission.request.submission_id()},
                         {"source", submission.source},
                         {"duplicate", response->duplicate() ? "true" : "false"},
                         {"stored", response->stored()}});
          break;
        case SendOutcome::kQuarantine:
          VROEG_RETURN_IF_ERROR(spool_->Quarantine(
              submission.sequence,
              absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message())));
          ++pass.quarantined;
          logger_->Error("submission_quarantined",
                         {{"submission_id", submission.request.submission_id()},
                          {"source", submission.source},
                          {"code", absl::StatusCodeToString(status.code())},
                          {"reason", status.message()}});
          break;
        case SendOutcome::kRetry:
          pass.retry_after = NextDelayHonouringHint(*backoff_, RetryAfterHint(status));
          connection_failed_ = status.code() == absl::StatusCode::kUnavailable;
          logger_->Warning("submission_retry",
                           {{"submission_id", submission.request.submission_id()},
                            {"code", absl::StatusCodeToString(status.code())},
                            {"reason", status.message()},
                            {"retry_in_seconds", absl::ToDoubleSeconds(*pass.retry_after)}});
          if (observer_) observer_(SendReport{submission, response, outcome});
          return pass;
      }
      if (observer_) observer_(SendReport{submission, response, outcome});
    }
  }
}

void Forwarder::Run() {
  // The first pass runs at once: the spool may hold what an earlier run left.
  std::optional<absl::Duration> backoff = absl::ZeroDuration();
  while (backoff ? WaitToRetry(*backoff) : Wait(std::nullopt)) {
    auto pass = SendPending();
    if (pass.ok()) {
      // A settled submission's request (a whole file's observations) is freed by now; give the
      // pages back rather than keep the daemon at its peak until the next file.
      if (pass->acknowledged + pass->quarantined > 0) malloc_trim(0);
      backoff = pass->retry_after;
      continue;
    }
    // The spool could not be read or settled; the submission is still pending, so try again.
    backoff = backoff_->NextDelay();
    logger_->Error("spool_error", {{"reason", pass.status().message()},
                                   {"retry_in_seconds", absl::ToDoubleSeconds(*backoff)}});
  }
}

void Forwarder::SetBackoff(std::unique_ptr<BackoffStrategy> backoff) {
  absl::MutexLock lock(&mu_);
  next_backoff_ = std::move(backoff);
}

bool Forwarder::WaitToRetry(absl::Duration delay) {
  if (!connection_failed_) return Wait(delay);
  // Slices keep Stop responsive: a wait for the connection cannot be interrupted.
  constexpr absl::Duration kSlice = absl::Milliseconds(500);
  const absl::Time deadline = absl::Now() + delay;
  for (absl::Duration left = delay; left > absl::ZeroDuration(); left = deadline - absl::Now()) {
    if (Stopping()) return false;
    if (sender_->AwaitConnected(std::min(left, kSlice))) break;
  }
  return !Stopping();
}

bool Forwarder::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool Forwarder::Wait(std::optional<absl::Duration> backoff) {
  absl::MutexLock lock(&mu_);
  if (backoff) {
    // New submissions do not make the collector come back sooner: only Stop cuts this short.
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), *backoff);
  } else {
    // Idle: wake on news, and now and then anyway in case another process appended.
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return notified_ || stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), idle_poll_);
  }
  notified_ = false;
  return !stopping_;
}

void Forwarder::Notify() {
  absl::MutexLock lock(&mu_);
  notified_ = true;
}

void Forwarder::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

}  // namespace vroeg
