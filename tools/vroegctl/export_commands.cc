// `vroegctl export observations|aggregates|compliance`: streams one of ExportService's exports
// from a collector over mutual TLS into a CSV, JSON Lines or xlsx file, in constant memory (with
// --suppress-below, one period's rows at a time). The three share one code path; they differ in
// their request, their rows and how a period's rows are written.

#include <unistd.h>

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/grpc_status.h"
#include "common/progress_line.h"
#include "common/tls.h"
#include "google/protobuf/util/time_util.h"
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
  bool by_municipality = false;
  // RFC 3339; empty: now.
  std::string as_of;
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

// The checked output options and the channel to the collector, with its own catalogue so that
// every indicator it sends is known.
struct Connection {
  export_format::OutputOptions output;
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<const Catalogue> catalogue;
};

absl::StatusOr<Connection> Connect(const ExportCommand& command) {
  Connection connection;
  absl::StatusOr<export_format::Format> format = export_format::ParseFormat(command.format);
  if (!format.ok())
    return absl::InvalidArgumentError(absl::StrCat("--format: ", format.status().message()));
  absl::StatusOr<export_format::CsvDialect> dialect =
      export_format::ParseCsvDialect(command.dialect);
  if (!dialect.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--dialect: ", dialect.status().message()));
  }
  connection.output.format = *format;
  connection.output.dialect = *dialect;
  connection.output.sheets = export_format::DatasetSheets();
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
  connection.channel =
      grpc::CreateCustomChannel(command.collector, MutualTlsChannelCredentials(*tls), args);

  api::v1::GetCatalogueResponse catalogue_response;
  grpc::Status got = api::v1::CatalogueService::NewStub(connection.channel)
                         ->GetCatalogue(Context(command).get(), api::v1::GetCatalogueRequest(),
                                        &catalogue_response);
  if (!got.ok()) return CallError("GetCatalogue", command.collector, got);
  absl::StatusOr<std::shared_ptr<const Catalogue>> catalogue =
      Catalogue::FromProto(catalogue_response.catalogue());
  if (!catalogue.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the collector's catalogue is unusable: ", catalogue.status().message()));
  }
  connection.catalogue = *std::move(catalogue);
  return connection;
}

api::v1::ExportFilter FilterOf(const ExportCommand& command) {
  api::v1::ExportFilter filter;
  filter.mutable_period_end()->set_start(command.from);
  filter.mutable_period_end()->set_end(command.to);
  for (const std::string& r : command.reporters) filter.add_reporters(r);
  for (const std::string& i : command.indicators) filter.add_indicators(i);
  for (const std::string& c : command.care_forms) filter.add_care_forms(c);
  for (const std::string& m : command.municipalities) filter.add_municipalities(m);
  return filter;
}

// The rows of each response, and the period each row is of.
auto& RowsOf(api::v1::ExportObservationsResponse& r) { return *r.mutable_observations(); }
auto& RowsOf(api::v1::ExportAggregatesResponse& r) { return *r.mutable_figures(); }
auto& RowsOf(api::v1::ExportComplianceResponse& r) { return *r.mutable_records(); }
const api::v1::Period& PeriodOf(const api::v1::ExportedObservation& row) {
  return row.observation().period();
}
const api::v1::Period& PeriodOf(const api::v1::AggregateFigure& row) { return row.period(); }
const api::v1::Period& PeriodOf(const api::v1::ComplianceRecord& row) { return row.period(); }

// What differs between the exports.
template <typename Response, typename Row>
struct ExportKind {
  // The RPC's name, for errors, and what its rows are called in the summary.
  absl::string_view call;
  absl::string_view noun;
  std::vector<export_format::Column> columns;
  std::function<std::unique_ptr<grpc::ClientReader<Response>>(api::v1::ExportService::Stub&,
                                                              grpc::ClientContext*)>
      start;
  // Writes the rows of one period (the stream is ordered by period, so suppression can work a
  // period at a time in bounded memory).
  std::function<absl::Status(const std::vector<Row>&, TableWriter&)> write_period;
};

// Streams one export into the file --out names, in constant memory.
template <typename Response, typename Row>
absl::Status RunExport(const ExportCommand& command, const Connection& connection,
                       const ExportKind<Response, Row>& kind, std::ostream& report) {
  absl::StatusOr<std::unique_ptr<TableWriter>> writer =
      export_format::OpenTableWriter(kind.columns, connection.output, command.out, std::cout);
  if (!writer.ok()) {
    return absl::Status(writer.status().code(), absl::StrCat("--out: ", writer.status().message()));
  }

  SystemClock clock;
  ProgressLine line(std::cerr, ::isatty(STDERR_FILENO) == 1);
  export_format::ExportProgress progress(&line, &clock);
  auto context = Context(command);
  auto stub = api::v1::ExportService::NewStub(connection.channel);
  std::unique_ptr<grpc::ClientReader<Response>> reader = kind.start(*stub, context.get());
  Response response;
  api::v1::ExportHeader header;
  std::vector<Row> period;
  absl::Status status;
  while (status.ok() && reader->Read(&response)) {
    if (response.has_header()) header = response.header();
    for (Row& row : RowsOf(response)) {
      const api::v1::Period& p = PeriodOf(row);
      if (!period.empty() && (PeriodOf(period.back()).start() != p.start() ||
                              PeriodOf(period.back()).end() != p.end())) {
        status = kind.write_period(period, **writer);
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
  if (!finished.ok()) return CallError(kind.call, command.collector, finished);
  if (!period.empty()) {
    status = kind.write_period(period, **writer);
    if (!status.ok()) return status;
  }
  if (absl::Status done = (*writer)->Finish(); !done.ok()) return done;
  // The report goes to stderr when the export itself goes to standard output.
  std::ostream& summary = command.out == "-" ? std::cerr : report;
  summary << "exported " << progress.rows() << " " << kind.noun << " from region "
          << header.collector_region() << " (catalogue " << header.catalogue_version()
          << ", audit entry " << header.audit_seq() << ")"
          << (command.out == "-" ? "" : absl::StrCat(" to ", command.out)) << "\n";
  return absl::OkStatus();
}

// Writes a period's rows with the marks `suppress` gives them when --suppress-below asks for it.
template <typename Row, typename Mapper>
std::function<absl::Status(const std::vector<Row>&, TableWriter&)> MarkedWriter(
    Mapper& mapper, const Catalogue& catalogue, int64_t k,
    absl::StatusOr<std::vector<disclosure::Suppression>> (*suppress)(absl::Span<const Row>,
                                                                     const Catalogue&, int64_t)) {
  return [&mapper, &catalogue, k, suppress](const std::vector<Row>& rows, TableWriter& out) {
    std::vector<disclosure::Suppression> marks(rows.size(), disclosure::Suppression::kNone);
    if (k > 0) {
      absl::StatusOr<std::vector<disclosure::Suppression>> computed = suppress(rows, catalogue, k);
      if (!computed.ok()) return computed.status();
      marks = *std::move(computed);
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      absl::Status written = mapper.Write(rows[i], marks[i], out);
      if (!written.ok()) return written;
    }
    return absl::OkStatus();
  };
}

absl::Status RunObservations(const ExportCommand& command, std::ostream& report) {
  absl::StatusOr<Connection> connection = Connect(command);
  if (!connection.ok()) return connection.status();
  api::v1::ExportObservationsRequest request;
  request.set_mode(command.history ? api::v1::EXPORT_MODE_HISTORY : api::v1::EXPORT_MODE_CURRENT);
  *request.mutable_filter() = FilterOf(command);
  export_format::RowOptions row_options;
  row_options.history = command.history;
  row_options.suppression = command.suppress_below > 0;
  export_format::ObservationRows mapper(connection->catalogue, row_options);
  ExportKind<api::v1::ExportObservationsResponse, api::v1::ExportedObservation> kind{
      "ExportObservations", "observations", mapper.columns(),
      [&](api::v1::ExportService::Stub& stub, grpc::ClientContext* context) {
        return stub.ExportObservations(context, request);
      },
      MarkedWriter<api::v1::ExportedObservation>(mapper, *connection->catalogue,
                                                 command.suppress_below,
                                                 &export_format::SuppressObservations)};
  return RunExport(command, *connection, kind, report);
}

absl::Status RunAggregates(const ExportCommand& command, std::ostream& report) {
  absl::StatusOr<Connection> connection = Connect(command);
  if (!connection.ok()) return connection.status();
  api::v1::ExportAggregatesRequest request;
  *request.mutable_filter() = FilterOf(command);
  request.set_by_municipality(command.by_municipality);
  export_format::RowOptions row_options;
  row_options.suppression = command.suppress_below > 0;
  export_format::AggregateRows mapper(connection->catalogue, row_options);
  ExportKind<api::v1::ExportAggregatesResponse, api::v1::AggregateFigure> kind{
      "ExportAggregates", "figures", mapper.columns(),
      [&](api::v1::ExportService::Stub& stub, grpc::ClientContext* context) {
        return stub.ExportAggregates(context, request);
      },
      MarkedWriter<api::v1::AggregateFigure>(mapper, *connection->catalogue, command.suppress_below,
                                             &export_format::SuppressAggregates)};
  return RunExport(command, *connection, kind, report);
}

absl::Status RunCompliance(const ExportCommand& command, std::ostream& report) {
  api::v1::ExportComplianceRequest request;
  if (!command.as_of.empty()) {
    absl::Time as_of;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, command.as_of, &as_of, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--as-of: '", command.as_of,
                       "' is not an RFC 3339 time (2026-11-01T00:00:00Z): ", error));
    }
    *request.mutable_as_of() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(as_of));
  }
  absl::StatusOr<Connection> connection = Connect(command);
  if (!connection.ok()) return connection.status();
  *request.mutable_filter() = FilterOf(command);
  export_format::ComplianceRows mapper;
  ExportKind<api::v1::ExportComplianceResponse, api::v1::ComplianceRecord> kind{
      "ExportCompliance", "records", mapper.columns(),
      [&](api::v1::ExportService::Stub& stub, grpc::ClientContext* context) {
        return stub.ExportCompliance(context, request);
      },
      [&](const std::vector<api::v1::ComplianceRecord>& rows, TableWriter& out) {
        for (const api::v1::ComplianceRecord& row : rows) {
          if (absl::Status written = mapper.Write(row, out); !written.ok()) return written;
        }
        return absl::OkStatus();
      }};
  return RunExport(command, *connection, kind, report);
}

// The options every export has: where the collector is, who asks, the file, the period ends and
// the reporters.
void AddCommonOptions(CLI::App* sub, ExportCommand& command) {
  sub->add_option("--collector", command.collector, "The collector's gRPC address, HOST:PORT")
      ->required();
  sub->add_option("--certificate", command.certificate,
                  "Client certificate (PEM): a supervisor's, or a region operator's that the "
                  "collector lists under export_readers")
      ->required();
  sub->add_option("--key", command.key, "Private key of --certificate (PEM, mode 600)")->required();
  sub->add_option("--ca", command.ca, "The region's CA certificate (PEM)")->required();
  sub->add_option("--collector-name", command.collector_name,
                  "Name in the collector's certificate, when --collector's host is not in it");
  sub->add_option("--format", command.format, "csv, jsonl or xlsx")->capture_default_str();
  sub->add_option("--dialect", command.dialect,
                  "CSV dialect: standard (',') or nl (';', decimal comma, for Excel-NL)")
      ->capture_default_str();
  sub->add_option("--from", command.from, "First period end date, YYYY-MM-DD (inclusive)");
  sub->add_option("--to", command.to, "Last period end date, YYYY-MM-DD (inclusive)");
  sub->add_option("--reporter", command.reporters, "Reporter URN; repeat for more");
  sub->add_option("--out", command.out, "Output file, or - for standard output")->required();
  sub->add_option("--timeout-seconds", command.timeout_seconds,
                  "Give up when the export takes longer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// Indicator, care-form and municipality lists, and small-cell suppression.
void AddFigureOptions(CLI::App* sub, ExportCommand& command) {
  sub->add_option("--indicator", command.indicators, "Indicator code; repeat for more");
  sub->add_option("--care-form", command.care_forms,
                  "Care-form code, \"\" for organisation-level figures; repeat for more");
  sub->add_option("--municipality", command.municipalities,
                  "CBS code (GM0034), \"\" for figures without one; repeat for more");
  sub->add_option("--suppress-below", command.suppress_below,
                  "Withhold counts of youths 0 < n < K (and what would reveal them), for a "
                  "release beyond the supervisor; 0 withholds nothing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

// The footer every export's --help ends with, before its examples.
std::string Footer(absl::string_view examples) {
  return absl::StrCat(
      "The file is written as <out>.partial and renamed when the collector has sent every row,\n"
      "so a file by the name asked for is always complete. Exit code 0 on success, 1 with what\n"
      "to do otherwise. Every export is recorded in the collector's audit log; the summary\n"
      "names the entry.\n\n"
      "Examples:\n",
      examples);
}

// Adds `vroegctl export <name>`, which runs `run`, with the options every export has; returns it
// and its command for the options of its own.
std::pair<CLI::App*, std::shared_ptr<ExportCommand>> AddExport(
    CLI::App& export_command, CommandContext& context, const std::string& name,
    const std::string& description,
    absl::Status (*run)(const ExportCommand& command, std::ostream& report),
    absl::string_view examples) {
  CLI::App* sub = export_command.add_subcommand(name, description);
  auto command = std::make_shared<ExportCommand>();
  AddCommonOptions(sub, *command);
  sub->footer(Footer(examples));
  sub->callback([command, run, &context] { context.status = run(*command, *context.out); });
  return {sub, command};
}

void AddObservations(CLI::App& export_command, CommandContext& context) {
  auto [sub, command] = AddExport(
      export_command, context, "observations",
      "Export the observations a collector holds, current values or history", RunObservations,
      "  vroegctl export observations --collector vroeg.flevoland.nl:7443 --certificate nza.crt "
      "\\\n"
      "      --key nza.key --ca ca.crt --format xlsx --from 2026-01-01 --to 2026-03-31 --out "
      "q1.xlsx\n"
      "  vroegctl export observations ... --history --reporter urn:vroeg:provider:12345678 --out "
      "-");
  AddFigureOptions(sub, *command);
  sub->add_flag("--history", command->history,
                "Every value ever stored, corrections with what superseded them; default: "
                "current values only");
}

void AddAggregates(CLI::App& export_command, CommandContext& context) {
  auto [sub, command] = AddExport(
      export_command, context, "aggregates",
      "Export the region's figures over reporters per period, indicator and care form",
      RunAggregates,
      "  vroegctl export aggregates --collector vroeg.flevoland.nl:7443 --certificate nza.crt "
      "\\\n"
      "      --key nza.key --ca ca.crt --by-municipality --suppress-below 5 --from 2026-01-01 "
      "\\\n"
      "      --to 2026-03-31 --format xlsx --out q1-figures.xlsx");
  AddFigureOptions(sub, *command);
  sub->add_flag("--by-municipality", command->by_municipality,
                "Also the figures per municipality and of values without one (--municipality "
                "narrows these; the region's figure always covers every municipality)");
}

void AddCompliance(CLI::App& export_command, CommandContext& context) {
  auto [sub, command] = AddExport(
      export_command, context, "compliance",
      "Export per reporter, dataset and expected period whether it came on time, late or not",
      RunCompliance,
      "  vroegctl export compliance --collector vroeg.flevoland.nl:7443 --certificate nza.crt "
      "\\\n"
      "      --key nza.key --ca ca.crt --from 2026-07-01 --to 2026-09-30 \\\n"
      "      --as-of 2026-10-15T00:00:00Z --out q3-compliance.csv");
  sub->add_option("--as-of", command->as_of,
                  "Compliance as it stood at this time, RFC 3339 (2026-11-01T00:00:00Z); "
                  "default: now");
}

}  // namespace

void AddExportCommands(CLI::App& app, CommandContext& context) {
  CLI::App* export_command =
      app.add_subcommand("export", "Export what a collector holds, for the supervisor");
  export_command->require_subcommand(1);
  AddObservations(*export_command, context);
  AddAggregates(*export_command, context);
  AddCompliance(*export_command, context);
}

}  // namespace vroeg::vroegctl
