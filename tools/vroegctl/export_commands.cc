// `vroegctl export observations`: streams ExportService.ExportObservations from a collector over
// mutual TLS into a CSV, JSON Lines or xlsx file, in constant memory (with --suppress-below, one
// period's rows at a time).

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/progress_line.h"
#include "common/tls.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/grpcpp.h"
#include "tools/vroegctl/commands.h"
#include "tools/vroegctl/export/export_progress.h"
#include "tools/vroegctl/export/export_rows.h"
#include "tools/vroegctl/export/release_suppression.h"
#include "tools/vroegctl/export/table_writer.h"
#include "vroeg/api/v1/catalogue_service.grpc.pb.h"
#include "vroeg/api/v1/export.grpc.pb.h"

namespace vroeg::vroegctl {
namespace {

using export_format::ObservationRows;
using export_format::TableWriter;

struct ExportCommand {
  std::string collector;
  std::string certificate;
  std::string key;
  std::string ca;
  std::string collector_name;
  std::string format = "csv";
  std::string dialect = "standard";
  bool history = false;
  std::string from;
  std::string to;
  std::vector<std::string> reporters;
  std::vector<std::string> indicators;
  std::vector<std::string> care_forms;
  std::vector<std::string> municipalities;
  int64_t suppress_below = 0;
  std::string out;
  int timeout_seconds = 3600;
};

// What the collector said, with what to do about it.
absl::Status CallError(absl::string_view call, const std::string& collector,
                       const grpc::Status& status) {
  std::string hint;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      hint = "check --collector, that the collector runs, and --ca / --collector-name";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      hint = "use a certificate the region's CA issued and that is not revoked or expired";
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      hint =
          "exports need a supervisor certificate, or a region certificate that the collector "
          "lists under export_readers";
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      hint = "correct the option the message names";
      break;
    default:
      hint = "the export is incomplete; run it again";
  }
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      absl::StrCat(call, " at ", collector, " failed: ", status.error_message(), "; ", hint));
}

std::unique_ptr<grpc::ClientContext> Context(const ExportCommand& command) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(command.timeout_seconds));
  return context;
}

// Writes the rows of one period, with their suppression marks when asked for.
absl::Status WritePeriod(const std::vector<api::v1::ExportedObservation>& rows,
                         const Catalogue& catalogue, int64_t k, ObservationRows& mapper,
                         TableWriter& out) {
  std::vector<disclosure::Suppression> marks(rows.size(), disclosure::Suppression::kNone);
  if (k > 0) {
    absl::StatusOr<std::vector<disclosure::Suppression>> computed =
        export_format::SuppressObservations(rows, catalogue, k);
    if (!computed.ok()) return computed.status();
    marks = *std::move(computed);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    absl::Status written = mapper.Write(rows[i], marks[i], out);
    if (!written.ok()) return written;
  }
  return absl::OkStatus();
}

absl::Status RunObservations(const ExportCommand& command, std::ostream& report) {
  absl::StatusOr<export_format::Format> format = export_format::ParseFormat(command.format);
  if (!format.ok())
    return absl::InvalidArgumentError(absl::StrCat("--format: ", format.status().message()));
  absl::StatusOr<export_format::CsvDialect> dialect =
      export_format::ParseCsvDialect(command.dialect);
  if (!dialect.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--dialect: ", dialect.status().message()));
  }
  config::v1::Tls tls_config;
  tls_config.set_certificate(command.certificate);
  tls_config.set_private_key(command.key);
  tls_config.set_ca_certificate(command.ca);
  absl::StatusOr<TlsMaterial> tls = LoadTlsMaterial(tls_config, "");
  if (!tls.ok()) {
    return absl::Status(tls.status().code(),
                        absl::StrCat("--certificate, --key, --ca: ", tls.status().message()));
  }
  grpc::ChannelArguments args;
  if (!command.collector_name.empty()) args.SetSslTargetNameOverride(command.collector_name);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel(command.collector, MutualTlsChannelCredentials(*tls), args);

  // The collector's own catalogue, so that every indicator it sends is known.
  api::v1::GetCatalogueResponse catalogue_response;
  grpc::Status got = api::v1::CatalogueService::NewStub(channel)->GetCatalogue(
      Context(command).get(), api::v1::GetCatalogueRequest(), &catalogue_response);
  if (!got.ok()) return CallError("GetCatalogue", command.collector, got);
  absl::StatusOr<std::shared_ptr<const Catalogue>> catalogue =
      Catalogue::FromProto(catalogue_response.catalogue());
  if (!catalogue.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the collector's catalogue is unusable: ", catalogue.status().message()));
  }

  api::v1::ExportObservationsRequest request;
  request.set_mode(command.history ? api::v1::EXPORT_MODE_HISTORY : api::v1::EXPORT_MODE_CURRENT);
  api::v1::ExportFilter* filter = request.mutable_filter();
  filter->mutable_period_end()->set_start(command.from);
  filter->mutable_period_end()->set_end(command.to);
  for (const std::string& r : command.reporters) filter->add_reporters(r);
  for (const std::string& i : command.indicators) filter->add_indicators(i);
  for (const std::string& c : command.care_forms) filter->add_care_forms(c);
  for (const std::string& m : command.municipalities) filter->add_municipalities(m);

  export_format::RowOptions row_options;
  row_options.history = command.history;
  row_options.suppression = command.suppress_below > 0;
  ObservationRows mapper(*catalogue, row_options);
  export_format::OutputOptions output;
  output.format = *format;
  output.dialect = *dialect;
  output.sheets = export_format::DatasetSheets();
  absl::StatusOr<std::unique_ptr<TableWriter>> writer =
      export_format::OpenTableWriter(mapper.columns(), output, command.out, std::cout);
  if (!writer.ok()) {
    return absl::Status(writer.status().code(), absl::StrCat("--out: ", writer.status().message()));
  }

  SystemClock clock;
  ProgressLine line(std::cerr, ::isatty(STDERR_FILENO) == 1);
  export_format::ExportProgress progress(&line, &clock);
  auto context = Context(command);
  auto reader =
      api::v1::ExportService::NewStub(channel)->ExportObservations(context.get(), request);
  api::v1::ExportObservationsResponse response;
  api::v1::ExportHeader header;
  std::vector<api::v1::ExportedObservation> period;
  absl::Status status;
  while (status.ok() && reader->Read(&response)) {
    if (response.has_header()) header = response.header();
    for (api::v1::ExportedObservation& row : *response.mutable_observations()) {
      const api::v1::Period& p = row.observation().period();
      if (!period.empty() && (period.back().observation().period().start() != p.start() ||
                              period.back().observation().period().end() != p.end())) {
        status = WritePeriod(period, **catalogue, command.suppress_below, mapper, **writer);
        period.clear();
      }
      period.push_back(std::move(row));
      progress.Add(1);
    }
  }
  if (!status.ok()) {
    context->TryCancel();
    reader->Finish();
    progress.Finish();
    return status;
  }
  grpc::Status finished = reader->Finish();
  progress.Finish();
  if (!finished.ok()) return CallError("ExportObservations", command.collector, finished);
  if (!period.empty()) {
    status = WritePeriod(period, **catalogue, command.suppress_below, mapper, **writer);
    if (!status.ok()) return status;
  }
  if (absl::Status done = (*writer)->Finish(); !done.ok()) return done;
  // The report goes to stderr when the export itself goes to standard output.
  std::ostream& summary = command.out == "-" ? std::cerr : report;
  summary << "exported " << progress.rows() << " observations from region "
          << header.collector_region() << " (catalogue " << header.catalogue_version()
          << ", audit entry " << header.audit_seq() << ")"
          << (command.out == "-" ? "" : absl::StrCat(" to ", command.out)) << "\n";
  return absl::OkStatus();
}

void AddObservations(CLI::App& export_command, CommandContext& context) {
  CLI::App* sub = export_command.add_subcommand(
      "observations", "Export the observations a collector holds, current values or history");
  auto command = std::make_shared<ExportCommand>();
  sub->add_option("--collector", command->collector, "The collector's gRPC address, HOST:PORT")
      ->required();
  sub->add_option("--certificate", command->certificate,
                  "Client certificate (PEM): a supervisor's, or a region operator's that the "
                  "collector lists under export_readers")
      ->required();
  sub->add_option("--key", command->key, "Private key of --certificate (PEM, mode 600)")
      ->required();
  sub->add_option("--ca", command->ca, "The region's CA certificate (PEM)")->required();
  sub->add_option("--collector-name", command->collector_name,
                  "Name in the collector's certificate, when --collector's host is not in it");
  sub->add_option("--format", command->format, "csv, jsonl or xlsx")->capture_default_str();
  sub->add_option("--dialect", command->dialect,
                  "CSV dialect: standard (',') or nl (';', decimal comma, for Excel-NL)")
      ->capture_default_str();
  sub->add_flag("--history", command->history,
                "Every value ever stored, corrections with what superseded them; default: "
                "current values only");
  sub->add_option("--from", command->from, "First period end date, YYYY-MM-DD (inclusive)");
  sub->add_option("--to", command->to, "Last period end date, YYYY-MM-DD (inclusive)");
  sub->add_option("--reporter", command->reporters, "Reporter URN; repeat for more");
  sub->add_option("--indicator", command->indicators, "Indicator code; repeat for more");
  sub->add_option("--care-form", command->care_forms,
                  "Care-form code, \"\" for organisation-level figures; repeat for more");
  sub->add_option("--municipality", command->municipalities,
                  "CBS code (GM0034), \"\" for figures without one; repeat for more");
  sub->add_option("--suppress-below", command->suppress_below,
                  "Withhold counts of youths 0 < n < K (and what would reveal them), for a "
                  "release beyond the supervisor; 0 withholds nothing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--out", command->out, "Output file, or - for standard output")->required();
  sub->add_option("--timeout-seconds", command->timeout_seconds,
                  "Give up when the export takes longer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->footer(
      "The file is written as <out>.partial and renamed when the collector has sent every row,\n"
      "so a file by the name asked for is always complete. Exit code 0 on success, 1 with what\n"
      "to do otherwise. Every export is recorded in the collector's audit log; the summary\n"
      "names the entry.\n\n"
      "Examples:\n"
      "  vroegctl export observations --collector vroeg.flevoland.nl:7443 --certificate nza.crt "
      "\\\n"
      "      --key nza.key --ca ca.crt --format xlsx --from 2026-01-01 --to 2026-03-31 --out "
      "q1.xlsx\n"
      "  vroegctl export observations ... --history --reporter urn:vroeg:provider:12345678 --out "
      "-");
  sub->callback([command, &context] { context.status = RunObservations(*command, *context.out); });
}

}  // namespace

void AddExportCommands(CLI::App& app, CommandContext& context) {
  CLI::App* export_command =
      app.add_subcommand("export", "Export what a collector holds, for the supervisor");
  export_command->require_subcommand(1);
  AddObservations(*export_command, context);
}

}  // namespace vroeg::vroegctl
