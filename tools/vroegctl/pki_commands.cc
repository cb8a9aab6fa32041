#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/certificate.h"
#include "tools/pki/pki.h"
#include "tools/vroegctl/commands.h"

namespace vroeg::vroegctl {
namespace {

std::string Date(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

std::string Plural(size_t n, absl::string_view noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

// How a person names the holder of a certificate.
std::string Holder(const pki::IndexEntry& entry) {
  return entry.IsServer() ? absl::StrCat("server ", entry.identity) : entry.identity;
}

std::string DescribeCrl(const pki::WrittenCrl& crl) {
  return absl::StrCat("CRL ", crl.number, " written to ", crl.path, " with ",
                      Plural(crl.revoked_count, "revoked certificate"), ", next update ",
                      Date(crl.next_update),
                      "; collectors pick it up within their reload interval\n");
}

absl::Status RunInit(const pki::CaOptions& options, std::ostream& out) {
  if (absl::Status status = pki::InitCa(options); !status.ok()) return status;
  std::error_code error;
  std::filesystem::path dir = std::filesystem::absolute(options.dir, error);
  if (error) dir = options.dir;
  std::string cert_path = (dir / pki::kCaCertFile).string();
  std::string key_path = (dir / pki::kCaKeyFile).string();
  std::string index_path = (dir / pki::kIndexFile).string();
  std::string crl_path = (dir / pki::kCrlFile).string();
  out << "created CA for region " << options.region;
  // The files are written; failing to read them back only makes the report shorter.
  if (auto certs = ReadCertificateFile(cert_path); certs.ok()) {
    out << " serial " << certs->front().serial_hex << " valid until "
        << Date(certs->front().not_after);
  }
  out << ": " << absl::StrJoin({cert_path, key_path, index_path, crl_path}, ", ") << "\n";
  return absl::OkStatus();
}

absl::Status RunIssue(const pki::IssueOptions& options, std::ostream& out) {
  absl::StatusOr<pki::IssuedCertificate> issued = pki::Issue(options);
  if (!issued.ok()) return issued.status();
  out << "issued " << (options.server ? "server certificate for " : "") << issued->identity
      << " serial " << issued->serial_hex << " valid until " << Date(issued->not_after) << ": "
      << issued->certificate_path << ", " << issued->key_path << "\n";
  return absl::OkStatus();
}

absl::Status RunRevoke(const pki::RevokeOptions& options, std::ostream& out) {
  absl::StatusOr<pki::RevokeResult> result = pki::Revoke(options);
  if (!result.ok()) return result.status();
  for (const pki::IndexEntry& entry : result->already_revoked) {
    out << Holder(entry) << " serial " << entry.serial_hex << " was already revoked on "
        << Date(*entry.revoked_at) << " (" << pki::RevocationReasonName(entry.reason)
        << "); left unchanged\n";
  }
  for (const pki::IndexEntry& entry : result->revoked) {
    out << "revoked " << Holder(entry) << " serial " << entry.serial_hex << " ("
        << pki::RevocationReasonName(entry.reason) << ")\n";
  }
  if (result->crl) out << DescribeCrl(*result->crl);
  return absl::OkStatus();
}

absl::Status RunCrl(const pki::CrlOptions& options, std::ostream& out) {
  absl::StatusOr<pki::WrittenCrl> crl = pki::WriteCrl(options);
  if (!crl.ok()) return crl.status();
  out << DescribeCrl(*crl);
  return absl::OkStatus();
}

struct ListOptions {
  std::string ca_dir;
  bool json = false;
  // Only valid certificates expiring within this many days; unset lists everything.
  std::optional<int> expiring_within_days;
};

// Whole days until `not_after`, rounded down; negative once it has passed.
int64_t DaysLeft(const pki::IndexEntry& entry, absl::Time now) {
  return static_cast<int64_t>(
      std::floor(absl::FDivDuration(entry.not_after - now, absl::Hours(24))));
}

absl::string_view StateName(pki::CertificateState state) {
  switch (state) {
    case pki::CertificateState::kValid:
      return "valid";
    case pki::CertificateState::kExpired:
      return "expired";
    case pki::CertificateState::kRevoked:
      return "revoked";
  }
  return "valid";
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void PrintJson(const std::vector<pki::IndexEntry>& entries, absl::Time now, std::ostream& out) {
  out << "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const pki::IndexEntry& e = entries[i];
    bool revoked = e.revoked_at.has_value();
    out << (i == 0 ? "\n  " : ",\n  ") << "{\"serial\": " << JsonString(e.serial_hex)
        << ", \"identity\": " << JsonString(e.identity)
        << ", \"server\": " << (e.IsServer() ? "true" : "false") << ", \"not_after\": "
        << JsonString(absl::FormatTime(absl::RFC3339_sec, e.not_after, absl::UTCTimeZone()))
        << ", \"days_left\": " << DaysLeft(e, now)
        << ", \"status\": " << JsonString(StateName(pki::StateAt(e, now))) << ", \"revoked_at\": "
        << (revoked ? JsonString(
                          absl::FormatTime(absl::RFC3339_sec, *e.revoked_at, absl::UTCTimeZone()))
                    : "null")
        << ", \"reason\": " << (revoked ? JsonString(pki::RevocationReasonName(e.reason)) : "null")
        << ", \"certificate\": " << JsonString(e.certificate_path) << "}";
  }
  out << (entries.empty() ? "]\n" : "\n]\n");
}

void PrintTable(const std::vector<pki::IndexEntry>& entries, absl::Time now, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"SERIAL", "IDENTITY", "NOT AFTER", "DAYS LEFT", "STATUS"}};
  for (const pki::IndexEntry& e : entries) {
    pki::CertificateState state = pki::StateAt(e, now);
    std::string status(StateName(state));
    if (state == pki::CertificateState::kRevoked) {
      absl::StrAppend(&status, " ", Date(*e.revoked_at), " (", pki::RevocationReasonName(e.reason),
                      ")");
    }
    rows.push_back({e.serial_hex, Holder(e), Date(e.not_after),
                    state == pki::CertificateState::kValid ? absl::StrCat(DaysLeft(e, now)) : "-",
                    status});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      // Days are right-aligned so that they compare at a glance; the last column is not padded.
      if (i == 3) {
        absl::StrAppend(&line, std::string(widths[i] - row[i].size(), ' '), row[i], "  ");
      } else if (i + 1 < row.size()) {
        absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
      } else {
        absl::StrAppend(&line, row[i]);
      }
    }
    out << line << "\n";
  }
}

absl::Status RunList(const ListOptions& options, std::ostream& out) {
  absl::StatusOr<std::vector<pki::IndexEntry>> all = pki::ReadIndex(options.ca_dir);
  if (!all.ok()) return all.status();
  absl::Time now = absl::Now();
  size_t valid = 0, expired = 0, revoked = 0;
  std::vector<pki::IndexEntry> shown;
  for (const pki::IndexEntry& entry : *all) {
    pki::CertificateState state = pki::StateAt(entry, now);
    switch (state) {
      case pki::CertificateState::kValid:
        ++valid;
        break;
      case pki::CertificateState::kExpired:
        ++expired;
        break;
      case pki::CertificateState::kRevoked:
        ++revoked;
        break;
    }
    if (!options.expiring_within_days ||
        (state == pki::CertificateState::kValid &&
         entry.not_after <= now + absl::Hours(24) * *options.expiring_within_days)) {
      shown.push_back(entry);
    }
  }
  std::sort(shown.begin(), shown.end(), [](const pki::IndexEntry& a, const pki::IndexEntry& b) {
    return std::tie(a.identity, a.not_after, a.serial_hex) <
           std::tie(b.identity, b.not_after, b.serial_hex);
  });
  if (options.json) {
    PrintJson(shown, now, out);
    return absl::OkStatus();
  }
  if (!shown.empty()) PrintTable(shown, now, out);
  if (options.expiring_within_days) {
    out << shown.size() << " of " << Plural(valid, "valid certificate") << " expire within "
        << Plural(*options.expiring_within_days, "day") << "\n";
  } else {
    out << Plural(all->size(), "certificate") << ": " << valid << " valid, " << expired
        << " expired, " << revoked << " revoked\n";
  }
  return absl::OkStatus();
}

void AddInit(CLI::App& pki_command, CommandContext& context) {
  CLI::App* init =
      pki_command.add_subcommand("init", "Create the certificate authority of a region");
  auto options = std::make_shared<pki::CaOptions>();
  init->add_option("--dir", options->dir,
                   "Directory for the CA's files; created with mode 0700 if missing")
      ->required();
  init->add_option("--region", options->region,
                   "Region the CA serves, e.g. flevoland (lower-case letters, digits, - and _)")
      ->required();
  init->add_option("--days", options->validity_days, "Validity of the CA certificate in days")
      ->capture_default_str()
      ->check(CLI::Range(1, 36500));
  init->add_flag("--force", options->force,
                 "Replace an existing CA in --dir; certificates it issued stop verifying");
  init->add_option("--crl-days", options->crl_days,
                   "Days until the first certificate revocation list needs re-signing")
      ->capture_default_str()
      ->check(CLI::Range(1, pki::kMaxCrlDays));
  init->footer(
      "Writes an ECDSA P-256 key (ca.key, mode 0600), a self-signed CA certificate (ca.crt),\n"
      "an empty index of issued certificates (index.tsv) and an empty certificate revocation\n"
      "list signed by the CA (crl.pem), so that collectors can check revocations from the "
      "start.\n\n"
      "Example:\n  vroegctl pki init --dir /etc/vroeg/ca --region flevoland");
  init->callback([options, &context] { context.status = RunInit(*options, *context.out); });
}

void AddIssue(CLI::App& pki_command, CommandContext& context) {
  CLI::App* issue = pki_command.add_subcommand(
      "issue", "Issue a client certificate for an agent or a server certificate for the collector");
  auto options = std::make_shared<pki::IssueOptions>();
  issue->add_option("--dir", options->ca_dir, "CA directory created by `vroegctl pki init`")
      ->required();
  CLI::Option_group* kind =
      issue->add_option_group("Certificate type", "Exactly one of --identity and --server");
  kind->add_option("--identity", options->identity,
                   "Client certificate for the reporter urn:vroeg:<kind>:<id>, e.g. "
                   "urn:vroeg:provider:12345678 (AGB code) or urn:vroeg:municipality:GM0171");
  CLI::Option* server = kind->add_flag(
      "--server", options->server, "Server certificate for the collector; give --dns and/or --ip");
  kind->require_option(1);
  issue
      ->add_option("--dns", options->dns_names,
                   "DNS name of the collector (repeatable; wildcards are refused)")
      ->needs(server)
      ->delimiter(',');
  issue
      ->add_option("--ip", options->ip_addresses,
                   "IPv4 or IPv6 address of the collector (repeatable)")
      ->needs(server)
      ->delimiter(',');
  issue->add_option("--out", options->out_dir,
                    "Directory for the key and certificate (default: the CA directory)");
  issue->add_option("--name", options->name,
                    "Base name of the output files (default: <kind>-<id>, or server)");
  issue->add_option("--days", options->validity_days, "Validity of the certificate in days")
      ->capture_default_str()
      ->check(CLI::Range(1, 36500));
  issue->add_flag("--force", options->force, "Replace existing output files");
  issue->footer(
      "Writes a new ECDSA P-256 key (<name>.key, mode 0600) and a certificate signed by the CA\n"
      "(<name>.crt), and records the certificate in the CA's index.tsv. A client certificate\n"
      "names the reporter identity as a URI subjectAltName; the collector admits the agent as\n"
      "that reporter.\n\n"
      "Examples:\n"
      "  vroegctl pki issue --dir /etc/vroeg/ca --identity urn:vroeg:provider:12345678\n"
      "  vroegctl pki issue --dir /etc/vroeg/ca --server --dns collector.example.nl "
      "--ip 192.0.2.10");
  issue->callback([options, &context] { context.status = RunIssue(*options, *context.out); });
}

void AddRevoke(CLI::App& pki_command, CommandContext& context) {
  CLI::App* revoke = pki_command.add_subcommand(
      "revoke", "Revoke certificates and publish a new certificate revocation list");
  auto options = std::make_shared<pki::RevokeOptions>();
  auto reason = std::make_shared<std::string>(pki::RevocationReasonName(options->reason));
  revoke->add_option("--dir", options->ca_dir, "CA directory created by `vroegctl pki init`")
      ->required();
  CLI::Option_group* which =
      revoke->add_option_group("Certificates", "Exactly one of --serial and --identity");
  which->add_option("--serial", options->serial,
                    "Serial of one certificate in hex, as `vroegctl pki list` shows it");
  which->add_option("--identity", options->identity,
                    "Every certificate not yet revoked of this reporter (urn:vroeg:<kind>:<id>) "
                    "or server name");
  which->require_option(1);
  std::vector<std::string> reasons;
  for (pki::RevocationReason r :
       {pki::RevocationReason::kKeyCompromise, pki::RevocationReason::kSuperseded,
        pki::RevocationReason::kCessationOfOperation, pki::RevocationReason::kAffiliationChanged,
        pki::RevocationReason::kUnspecified}) {
    reasons.emplace_back(pki::RevocationReasonName(r));
  }
  revoke
      ->add_option("--reason", *reason,
                   "Why: keyCompromise (key lost or stolen), superseded (replaced by a new "
                   "certificate), cessationOfOperation (stopped reporting), affiliationChanged "
                   "(another organisation), unspecified")
      ->capture_default_str()
      ->check(CLI::IsMember(reasons));
  revoke->add_option("--crl-days", options->crl_days, "Days until the new CRL needs re-signing")
      ->capture_default_str()
      ->check(CLI::Range(1, pki::kMaxCrlDays));
  revoke->footer(
      "Marks the certificates revoked in index.tsv and writes a new crl.pem signed by the CA.\n"
      "Collectors configured with crl.pem refuse the certificates once they reload it. Revoking\n"
      "a certificate that is already revoked changes nothing.\n\n"
      "Examples:\n"
      "  vroegctl pki revoke --dir /etc/vroeg/ca --identity urn:vroeg:provider:12345678 "
      "--reason keyCompromise\n"
      "  vroegctl pki revoke --dir /etc/vroeg/ca --serial 9f3c61d2... --reason superseded");
  revoke->callback([options, reason, &context] {
    absl::StatusOr<pki::RevocationReason> parsed = pki::ParseRevocationReason(*reason);
    if (!parsed.ok()) {
      context.status = parsed.status();
      return;
    }
    options->reason = *parsed;
    context.status = RunRevoke(*options, *context.out);
  });
}

void AddCrl(CLI::App& pki_command, CommandContext& context) {
  CLI::App* crl = pki_command.add_subcommand(
      "crl", "Re-sign the certificate revocation list, e.g. before its next update is due");
  auto options = std::make_shared<pki::CrlOptions>();
  crl->add_option("--dir", options->ca_dir, "CA directory created by `vroegctl pki init`")
      ->required();
  crl->add_option("--crl-days", options->validity_days, "Days until the CRL needs re-signing")
      ->capture_default_str()
      ->check(CLI::Range(1, pki::kMaxCrlDays));
  crl->footer(
      "Writes crl.pem afresh from index.tsv with the next CRL number. Collectors warn once a\n"
      "CRL is past its next update, so run this regularly, e.g. weekly from a timer.\n\n"
      "Example:\n  vroegctl pki crl --dir /etc/vroeg/ca");
  crl->callback([options, &context] { context.status = RunCrl(*options, *context.out); });
}

void AddList(CLI::App& pki_command, CommandContext& context) {
  CLI::App* list =
      pki_command.add_subcommand("list", "List the certificates the CA issued, with their state");
  auto options = std::make_shared<ListOptions>();
  auto days = std::make_shared<int>(0);
  list->add_option("--dir", options->ca_dir, "CA directory created by `vroegctl pki init`")
      ->required();
  list->add_flag("--json", options->json, "Print a JSON array instead of a table");
  CLI::Option* expiring =
      list->add_option("--expiring-within", *days,
                       "Only certificates that are valid now and expire within DAYS days")
          ->option_text("DAYS")
          ->check(CLI::Range(0, 36500));
  list->footer(
      "Prints one line per certificate, sorted by identity: serial, holder, expiry date, days\n"
      "left and status (valid, expired, or revoked with date and reason), then the counts.\n\n"
      "Examples:\n"
      "  vroegctl pki list --dir /etc/vroeg/ca\n"
      "  vroegctl pki list --dir /etc/vroeg/ca --expiring-within 30 --json");
  list->callback([options, days, expiring, &context] {
    if (expiring->count() > 0) options->expiring_within_days = *days;
    context.status = RunList(*options, *context.out);
  });
}

}  // namespace

void AddPkiCommands(CLI::App& app, CommandContext& context) {
  CLI::App* pki_command =
      app.add_subcommand("pki",
                         "Run the region's certificate authority: create it, issue certificates "
                         "for agents and the collector, list and revoke them");
  pki_command->require_subcommand(1);
  AddInit(*pki_command, context);
  AddIssue(*pki_command, context);
  AddRevoke(*pki_command, context);
  AddCrl(*pki_command, context);
  AddList(*pki_command, context);
}

}  // namespace vroeg::vroegctl
