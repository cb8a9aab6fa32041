#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/progress_line.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/audit/audit_log.h"
#include "tools/vroegctl/commands.h"

namespace vroeg::vroegctl {
namespace {

struct VerifyCommand {
  std::string file;
  std::string expect_head;
  uint64_t expect_entries = 0;
  bool json = false;
  // Set when the option was given.
  CLI::Option* expect_head_option = nullptr;
  CLI::Option* expect_entries_option = nullptr;
};

// Accepts the head as the collector logs it, in either case.
std::string CheckHash(std::string& text) {
  text = absl::AsciiStrToLower(text);
  const bool hash = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
                      return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
                    });
  return hash ? "" : "must be the 64 hex digits of a SHA-256 hash, as the collector logs its head";
}

// `text` as a JSON string, escaped by the protobuf JSON printer.
std::string JsonString(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string json;
  // A string Value always converts.
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

// One JSON object on one line for scripts; field names as in AuditVerification.
void PrintJson(const std::string& file, const absl::StatusOr<AuditVerification>& verified,
               std::ostream& out) {
  out << "{\"ok\":" << (verified.ok() ? "true" : "false") << ",\"file\":" << JsonString(file);
  if (!verified.ok()) {
    out << ",\"error\":" << JsonString(std::string(verified.status().message())) << "}\n";
    return;
  }
  out << ",\"entries\":" << verified->entries
      << ",\"first_time\":" << JsonString(verified->first_time)
      << ",\"last_time\":" << JsonString(verified->last_time)
      << ",\"head_hash\":" << JsonString(verified->head_hash)
      << ",\"expected_head_entry\":" << verified->expected_head_entry
      << ",\"incomplete_tail_bytes\":" << verified->incomplete_tail_bytes << "}\n";
}

void PrintReport(const VerifyCommand& command, const AuditVerification& verified,
                 std::ostream& out) {
  out << "ok: " << verified.entries << " entries";
  if (verified.entries > 0) out << " from " << verified.first_time << " to " << verified.last_time;
  out << "; head " << verified.head_hash << "\n";
  if (verified.expected_head_entry > 0) {
    out << "the recorded head is entry " << verified.expected_head_entry;
    if (const uint64_t added = verified.entries - verified.expected_head_entry; added > 0) {
      out << "; " << added << (added == 1 ? " entry was" : " entries were") << " added after it";
    }
    out << "\n";
  } else if (*command.expect_entries_option) {
    out << "the " << command.expect_entries << " entries recorded earlier are all present\n";
  }
  if (verified.incomplete_tail_bytes > 0) {
    out << "note: the last line (" << verified.incomplete_tail_bytes
        << " bytes without a newline) is an append the collector never finished nor "
           "acknowledged; it was not checked, and the collector removes it when it next "
           "opens the log\n";
  }
}

absl::Status RunVerify(const VerifyCommand& command, std::ostream& out) {
  AuditVerifyOptions options;
  if (*command.expect_head_option) options.expect_head = command.expect_head;
  if (*command.expect_entries_option) options.expect_entries = command.expect_entries;
  ProgressLine progress(std::cerr, ::isatty(STDERR_FILENO) == 1);
  options.progress = [&](const AuditVerifyProgress& p) {
    const uint64_t percent =
        p.bytes_total > 0 ? std::min<uint64_t>(100, p.bytes_read * 100 / p.bytes_total) : 0;
    progress.Update(
        absl::StrCat("verifying ", command.file, ": ", percent, "% (", p.entries, " entries)"));
  };
  absl::StatusOr<AuditVerification> verified = VerifyAuditFile(command.file, options);
  progress.Clear();
  if (command.json) PrintJson(command.file, verified, out);
  if (!verified.ok()) {
    if (!absl::IsDataLoss(verified.status())) return verified.status();
    return absl::DataLossError(absl::StrCat(
        verified.status().message(),
        "\nThe log is not as the collector wrote it: keep this file unchanged as evidence and "
        "compare it with a backup copy of the log."));
  }
  if (!command.json) PrintReport(command, *verified, out);
  return absl::OkStatus();
}

void AddVerify(CLI::App& audit_command, CommandContext& context) {
  CLI::App* verify = audit_command.add_subcommand(
      "verify", "Prove that no entry of a collector's audit log was edited, removed or reordered");
  auto command = std::make_shared<VerifyCommand>();
  verify->add_option("--file", command->file, "The audit log (the collector's audit_log file)")
      ->required();
  command->expect_head_option =
      verify
          ->add_option("--expect-head", command->expect_head,
                       "Head hash recorded earlier (the collector logs it when it starts and "
                       "stops); some entry must have it")
          ->transform(CLI::Validator(CheckHash, "HASH"));
  command->expect_entries_option =
      verify
          ->add_option("--expect-entries", command->expect_entries,
                       "Number of entries recorded earlier; the log must hold at least these, and "
                       "with --expect-head, entry N must have that hash")
          ->check(CLI::PositiveNumber);
  verify->add_flag("--json", command->json,
                   "Print the result as one JSON object (also on failure), for scripts");
  verify->footer(
      "Checks every line: each entry's hash over its own content, its sequence number, and the\n"
      "hash of the entry before it. Exit code 0 when the log is intact, 1 with the first bad\n"
      "line otherwise. Entries removed from the end leave an intact chain; they are found only\n"
      "against a head recorded earlier, with --expect-head and --expect-entries.\n\n"
      "Examples:\n"
      "  vroegctl audit verify --file /var/lib/vroeg/audit.jsonl\n"
      "  vroegctl audit verify --file audit.jsonl --expect-entries 18230 --expect-head 3f9c...");
  verify->callback([command, &context] { context.status = RunVerify(*command, *context.out); });
}

}  // namespace

void AddAuditCommands(CLI::App& app, CommandContext& context) {
  CLI::App* audit_command =
      app.add_subcommand("audit", "Check the collector's audit log of every call it answered");
  audit_command->require_subcommand(1);
  AddVerify(*audit_command, context);
}

}  // namespace vroeg::vroegctl
