// vroeg-collector: the regional collector. Wiring lives in server/collector.cc.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "common/clock.h"
#include "common/command_line.h"
#include "common/log.h"
#include "common/process_lifecycle.h"
#include "server/collector.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Regional collector for early signalling of risks to the availability of "
      "specialist youth care. Accepts submissions over gRPC with mutual TLS, stores them durably "
      "and exposes them as Prometheus metrics."};
  std::string config_path = "/etc/vroeg/collector.yaml";
  bool validate_only = false;
  app.add_option("-c,--config", config_path, "Configuration file (YAML)")->capture_default_str();
  app.add_flag("--validate-config", validate_only, "Check the configuration file and exit");
  app.name("vroeg-collector");
  app.set_version_flag("--version", std::string("vroeg-collector ") + VROEG_VERSION);
  if (auto exit_code = vroeg::ParseCommandLine(app, argc, argv)) return *exit_code;

  auto settings = vroeg::LoadCollectorSettings(config_path);
  if (!settings.ok()) {
    std::cerr << "vroeg-collector: error: " << settings.status().message() << "\n";
    return 1;
  }
  if (validate_only) {
    std::cout << config_path << ": configuration is valid\n";
    return 0;
  }

  vroeg::BlockStopSignals();
  vroeg::SystemClock clock;
  vroeg::Logger logger(stderr, &clock);
  auto collector = vroeg::Collector::Start(*settings, &clock, &logger);
  if (!collector.ok()) {
    logger.Error("start_failed", {{"reason", collector.status().message()}});
    std::cerr << "vroeg-collector: error: " << collector.status().message() << "\n";
    return 1;
  }
  std::thread waiter = vroeg::StopOnSignal(
      logger, [&] { (*collector)->Shutdown(); }, [&] { (*collector)->Reload(); });
  (*collector)->Wait();
  waiter.join();
  return 0;
}
