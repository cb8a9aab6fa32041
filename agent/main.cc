// vroeg-agent: reads a provider's or municipality's exports and submits them to the regional
// collector. Logic lives in the agent libraries; this file only parses the command line.
#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "agent/agent_daemon.h"
#include "agent/agent_settings.h"
#include "agent/agent_status.h"
#include "agent/catalogue_cache.h"
#include "agent/collector_client.h"
#include "agent/file_submitter.h"
#include "agent/spool/file_spool.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/command_line.h"
#include "common/period.h"
#include "common/process_lifecycle.h"
#include "common/progress_line.h"
#include "common/reporter_certificate.h"
#include "common/tls.h"

namespace {

int Fail(absl::string_view message) {
  std::cerr << "vroeg-agent: error: " << message << "\n";
  return vroeg::kExitUsage;
}

int RunDaemon(const std::string& config_path) {
  auto settings = vroeg::LoadAgentSettings(config_path);
  if (!settings.ok()) return Fail(settings.status().message());
  vroeg::BlockStopSignals();
  vroeg::SystemClock clock;
  vroeg::Logger logger(stderr, &clock);
  auto daemon = vroeg::AgentDaemon::Start(*settings, &clock, &logger);
  if (!daemon.ok()) {
    logger.Error("start_failed", {{"reason", daemon.status().message()}});
    return Fail(daemon.status().message());
  }
  std::thread waiter = vroeg::StopOnSignal(
      logger, [&] { (*daemon)->Shutdown(); },
      [&] { (*daemon)->Reload(config_path).IgnoreError(); });
  (*daemon)->Wait();
  waiter.join();
  return vroeg::kExitOk;
}

int SubmitThroughSpool(const vroeg::AgentSettings& settings, const std::vector<std::string>& files,
                       absl::Duration wait, const vroeg::Clock& clock) {
  auto client = vroeg::CollectorClient::Create(settings);
  if (!client.ok()) return Fail(client.status().message());
  const bool terminal = isatty(STDERR_FILENO) == 1;
  // On a terminal the progress line says what the forwarder is doing; its log lines would only
  // scroll it away. Spool damage found at opening is always shown.
  vroeg::Logger spool_logger(stderr, &clock, vroeg::LogLevel::kWarning);
  vroeg::Logger forwarder_logger(stderr, &clock,
                                 terminal ? vroeg::LogLevel::kError : vroeg::LogLevel::kWarning);
  const std::string spool_path =
      vroeg::ResolvePath(settings.base_dir, settings.config.spool().path());
  vroeg::FileSpoolOptions spool_options;
  spool_options.max_bytes = settings.config.spool().max_bytes();
  auto spool = vroeg::FileSpool::Open(spool_path, spool_options, &clock, &spool_logger);
  if (!spool.ok()) {
    return Fail(absl::StrCat(
        "spool.path: ", spool.status().message(),
        absl::IsFailedPrecondition(spool.status())
            ? "; if `vroeg-agent run` uses this configuration, copy the files into one of its "
              "drop folders instead, or stop it first"
            : ""));
  }
  vroeg::CatalogueCache catalogue(vroeg::CatalogueCache::PathForSpool(spool_path));
  vroeg::SubmitOptions options;
  options.wait = wait;
  options.retry_initial = absl::Milliseconds(settings.config.retry().initial_milliseconds());
  options.retry_max = absl::Seconds(settings.config.retry().max_seconds());
  vroeg::ProgressLine progress(std::cerr, terminal);
  return vroeg::SubmitFiles(files, **client, **spool, catalogue, options, clock, forwarder_logger,
                            std::cout, progress);
}

}  // namespace

int main(int argc, char** argv) {
  // One malloc arena for all threads. glibc gives each thread that allocates its own arena (up
  // to eight per core), and memory freed in one is not reused by another: the intake thread's
  // parsed file and the forwarding thread's copy of it would each keep their peak resident.
  // The agent's threads mostly wait, so sharing one arena costs no measurable contention.
  mallopt(M_ARENA_MAX, 1);
  CLI::App app{
      "Submits youth-care indicator exports (CSV or JSON) to the regional "
      "collector over mutual TLS.\nExit codes: 0 all accepted, 1 a file was rejected (fix it), "
      "2 usage or configuration error, 3 not (yet) acknowledged: the collector is unreachable and "
      "the submissions wait in the spool (run submit again later, or let `vroeg-agent run` deliver "
      "them)."};
  app.name("vroeg-agent");
  app.set_version_flag("--version", std::string("vroeg-agent ") + VROEG_VERSION);
  app.require_subcommand(1);

  std::string config_path = "/etc/vroeg/agent.yaml";
  std::vector<std::string> files;
  auto* submit = app.add_subcommand(
      "submit",
      "Check files against the collector's catalogue and submit each valid file as one "
      "submission; prints per file what was stored or exactly why not");
  submit->add_option("-c,--config", config_path, "Agent configuration file (YAML)")
      ->capture_default_str();
  submit->add_option("files", files,
                     "CSV or JSON files to submit; without files, delivers what the spool holds");
  double wait_seconds = 60;
  submit
      ->add_option("--wait", wait_seconds,
                   "Seconds to keep retrying for the collector's acknowledgement; what is not "
                   "acknowledged by then stays in the spool (exit code 3)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  auto* run = app.add_subcommand(
      "run",
      "Run as a daemon: watch the configured drop folders, spool every valid file durably, and "
      "deliver the spool to the collector until each submission is acknowledged. Stops cleanly "
      "on SIGTERM or SIGINT");
  run->add_option("-c,--config", config_path, "Agent configuration file (YAML)")
      ->capture_default_str();
  bool validate_only = false;
  run->add_flag("--validate-config", validate_only, "Check the configuration file and exit");

  bool status_json = false;
  auto* status = app.add_subcommand(
      "status",
      "Show what `vroeg-agent run` is doing: spool depth, oldest pending submission, last "
      "success and last error. Exit code 0 when the daemon runs, 3 when it does not or does not "
      "respond");
  status->add_option("-c,--config", config_path, "Agent configuration file (YAML)")
      ->capture_default_str();
  status->add_flag("--json", status_json, "Print the status as JSON, for scripts");

  std::string catalogue_path = "/usr/share/vroeg/catalogue.yaml";
  std::string reporter_urn;
  std::string check_config;
  auto* check = app.add_subcommand(
      "check", "Validate files offline against a catalogue file, without contacting the collector");
  check->add_option("--catalogue", catalogue_path, "Catalogue file (YAML)")->capture_default_str();
  check->add_option("--reporter", reporter_urn,
                    "Reporter to check for, e.g. urn:vroeg:provider:12345678");
  check->add_option("-c,--config", check_config,
                    "Take the reporter from this agent configuration's certificate instead");
  check->add_option("files", files, "CSV or JSON files to check")->required();

  if (auto exit_code = vroeg::ParseCommandLine(app, argc, argv)) return *exit_code;
  vroeg::SystemClock clock;

  if (*run && validate_only) {
    auto settings = vroeg::LoadAgentSettings(config_path);
    if (!settings.ok()) return Fail(settings.status().message());
    std::cout << config_path << ": configuration is valid\n";
    return vroeg::kExitOk;
  }
  if (*run) return RunDaemon(config_path);

  if (*status) {
    auto settings = vroeg::LoadAgentSettings(config_path);
    if (!settings.ok()) return Fail(settings.status().message());
    return vroeg::ShowAgentStatus(*settings, clock, status_json, std::cout, std::cerr);
  }
  if (*submit) {
    auto settings = vroeg::LoadAgentSettings(config_path);
    if (!settings.ok()) return Fail(settings.status().message());
    return SubmitThroughSpool(*settings, files, absl::Seconds(wait_seconds), clock);
  }

  auto catalogue = vroeg::Catalogue::LoadFile(catalogue_path);
  if (!catalogue.ok()) return Fail(catalogue.status().message());
  vroeg::ReporterId reporter;
  if (!reporter_urn.empty()) {
    auto parsed = vroeg::ParseReporterUrn(reporter_urn);
    if (!parsed.ok()) return Fail(absl::StrCat("--reporter: ", parsed.status().message()));
    reporter = *parsed;
  } else if (!check_config.empty()) {
    auto settings = vroeg::LoadAgentSettings(check_config);
    if (!settings.ok()) return Fail(settings.status().message());
    auto tls = vroeg::LoadTlsMaterial(settings->config.tls(), settings->base_dir);
    if (!tls.ok()) return Fail(tls.status().message());
    auto parsed = vroeg::ReporterFromCertificatePem(tls->certificate_pem);
    if (!parsed.ok()) return Fail(parsed.status().message());
    reporter = *parsed;
  } else {
    return Fail("check needs --reporter URN or --config FILE to know who reports");
  }
  vroeg::ValidationContext context{*catalogue, reporter, vroeg::DutchDate(clock.Now()), {}, ""};
  return vroeg::CheckFiles(files, context, std::cout);
}
