#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/certificate.h"
#include "tools/pki/pki.h"
#include "tools/vroegctl/commands.h"

namespace vroeg::vroegctl {
namespace {

std::string Date(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

absl::Status RunInit(const pki::CaOptions& options, std::ostream& out) {
  if (absl::Status status = pki::InitCa(options); !status.ok()) return status;
  std::error_code error;
  std::filesystem::path dir = std::filesystem::absolute(options.dir, error);
  if (error) dir = options.dir;
  std::string cert_path = (dir / pki::kCaCertFile).string();
  std::string key_path = (dir / pki::kCaKeyFile).string();
  std::string index_path = (dir / pki::kIndexFile).string();
  out << "created CA for region " << options.region;
  // The files are written; failing to read them back only makes the report shorter.
  if (auto certs = ReadCertificateFile(cert_path); certs.ok()) {
    out << " serial " << certs->front().serial_hex << " valid until "
        << Date(certs->front().not_after);
  }
  out << ": " << absl::StrJoin({cert_path, key_path, index_path}, ", ") << "\n";
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
  init->footer(
      "Writes an ECDSA P-256 key (ca.key, mode 0600), a self-signed CA certificate (ca.crt) and\n"
      "an empty index of issued certificates (index.tsv).\n\n"
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

}  // namespace

void AddPkiCommands(CLI::App& app, CommandContext& context) {
  CLI::App* pki_command =
      app.add_subcommand("pki",
                         "Run the region's certificate authority: create it and issue "
                         "certificates for agents and the collector");
  pki_command->require_subcommand(1);
  AddInit(*pki_command, context);
  AddIssue(*pki_command, context);
}

}  // namespace vroeg::vroegctl
