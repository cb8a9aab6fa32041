#include "common/metrics_server.h"

#include <memory>
#include <string>
#include <vector>

#include "common/text_exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "tests/support/http_get.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using vroeg::testing::HttpGet;

prometheus::MetricFamily Gauge(const std::string& name, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = "A gauge.";
  family.type = prometheus::MetricType::Gauge;
  family.metric.emplace_back().gauge.value = value;
  return family;
}

class FamiliesCollectable : public prometheus::Collectable {
 public:
  explicit FamiliesCollectable(std::vector<prometheus::MetricFamily> families)
      : families_(std::move(families)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return families_; }

 private:
  const std::vector<prometheus::MetricFamily> families_;
};

// Serves fixed chunks; Collect would give something else, so the test sees which one is used.
class ChunksCollectable : public TextCollectable {
 public:
  explicit ChunksCollectable(std::vector<ExpositionChunk> chunks) : chunks_(std::move(chunks)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return {Gauge("wrong", 0)}; }
  void AppendExposition(std::vector<ExpositionChunk>* chunks) const override {
    chunks->insert(chunks->end(), chunks_.begin(), chunks_.end());
  }

 private:
  const std::vector<ExpositionChunk> chunks_;
};

std::string Text(const std::vector<prometheus::MetricFamily>& families) {
  std::string text;
  AppendTextExposition(families, &text);
  return text;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::weak_ptr<prometheus::Collectable>> collectables) {
    auto server = StartMetricsServer("metrics_listen", "127.0.0.1:0", {}, "", collectables);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
  }

  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, PlainHttpServesEveryCollectableInOrder) {
  // A body larger than libmicrohttpd's read blocks, split over several chunks.
  std::string large = "# TYPE big gauge\n";
  for (int i = 0; large.size() < 300 * 1024; ++i)
    large += "big{i=\"" + std::to_string(i) + "\"} 1\n";
  auto first = std::make_shared<FamiliesCollectable>(
      std::vector<prometheus::MetricFamily>{Gauge("first", 1), Gauge("second", 2)});
  auto text = std::make_shared<ChunksCollectable>(std::vector<ExpositionChunk>{
      std::make_shared<const std::string>(large), std::make_shared<const std::string>(""),
      std::make_shared<const std::string>("# TYPE small gauge\nsmall 3\n")});
  auto last = std::make_shared<FamiliesCollectable>(
      std::vector<prometheus::MetricFamily>{Gauge("last", 4)});
  Start({first, text, last});
  auto response = HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->head, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  EXPECT_EQ(response->body, Text({Gauge("first", 1), Gauge("second", 2)}) + large +
                                "# TYPE small gauge\nsmall 3\n" + Text({Gauge("last", 4)}));
}

TEST_F(MetricsServerTest, CollectablesThatAreGoneAreSkipped) {
  auto kept = std::make_shared<FamiliesCollectable>(
      std::vector<prometheus::MetricFamily>{Gauge("kept", 1)});
  auto gone = std::make_shared<FamiliesCollectable>(
      std::vector<prometheus::MetricFamily>{Gauge("gone", 1)});
  Start({gone, kept});
  gone.reset();
  auto response = HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, Text({Gauge("kept", 1)}));
}

TEST_F(MetricsServerTest, OtherPathsAreNotFound) {
  Start({});
  for (const std::string path : {"/", "/metrics/", "/metricsx", "/favicon.ico"}) {
    auto response = HttpGet(server_->port(), path);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 404) << path;
  }
}

TEST_F(MetricsServerTest, ABusyPortIsUnavailableNamingTheSetting) {
  Start({});
  const std::string listen = "127.0.0.1:" + std::to_string(server_->port());
  auto second = StartMetricsServer("metrics_listen", listen, {}, "", {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("metrics_listen: cannot listen on " + listen));
}

}  // namespace
}  // namespace vroeg
