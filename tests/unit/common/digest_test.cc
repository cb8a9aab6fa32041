#include "common/digest.h"

#include <string>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;

using Observations = google::protobuf::RepeatedPtrField<api::Observation>;

api::Observation Obs(const std::string& indicator, double value) {
  api::Observation observation;
  observation.set_indicator(indicator);
  observation.set_care_form("verblijf");
  observation.set_municipality("GM0034");
  observation.mutable_period()->set_start("2026-10-01");
  observation.mutable_period()->set_end("2026-10-31");
  observation.mutable_period()->set_granularity(types::GRANULARITY_MONTH);
  observation.set_value(value);
  observation.set_source_row(2);
  observation.set_source_column("value");
  return observation;
}

Observations SampleBatch() {
  Observations batch;
  *batch.Add() = Obs("wachtenden", 12);
  *batch.Add() = Obs("plaatsen_bezet", 7);
  *batch.Add() = Obs("plaatsen_operationeel", 9);
  return batch;
}

bool IsLowerHexSha256(const std::string& digest) {
  if (digest.size() != 64) return false;
  for (char c : digest) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

TEST(ObservationsDigestTest, IsLowerCaseHexSha256) {
  const std::string digest = ObservationsDigest(SampleBatch());
  EXPECT_TRUE(IsLowerHexSha256(digest)) << digest;
}

TEST(ObservationsDigestTest, EmptyBatchIsTheHashOfNothing) {
  EXPECT_EQ(ObservationsDigest(Observations()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ObservationsDigestTest, EqualContentHashesEqually) {
  const Observations batch = SampleBatch();
  const std::string digest = ObservationsDigest(batch);
  EXPECT_EQ(ObservationsDigest(batch), digest);
  EXPECT_EQ(ObservationsDigest(SampleBatch()), digest);
  // A retry that travelled over the wire.
  Observations parsed;
  for (const auto& observation : batch) {
    ASSERT_TRUE(parsed.Add()->ParseFromString(observation.SerializeAsString()));
  }
  EXPECT_EQ(ObservationsDigest(parsed), digest);
}

TEST(ObservationsDigestTest, AnyChangeOfContentChangesTheDigest) {
  const std::string digest = ObservationsDigest(SampleBatch());
  auto changed = [](auto edit) {
    Observations batch = SampleBatch();
    edit(*batch.Mutable(1));
    return ObservationsDigest(batch);
  };
  EXPECT_NE(changed([](api::Observation& o) { o.set_value(8); }), digest);
  EXPECT_NE(changed([](api::Observation& o) { o.set_value(7.000001); }), digest);
  EXPECT_NE(changed([](api::Observation& o) { o.set_indicator("plaatsen_gecontracteerd"); }),
            digest);
  EXPECT_NE(changed([](api::Observation& o) { o.set_care_form("crisishulp"); }), digest);
  EXPECT_NE(changed([](api::Observation& o) { o.set_municipality("GM0303"); }), digest);
  EXPECT_NE(changed([](api::Observation& o) { o.mutable_period()->set_end("2026-10-30"); }),
            digest);
  EXPECT_NE(changed([](api::Observation& o) { o.set_source_row(3); }), digest);

  Observations longer = SampleBatch();
  *longer.Add() = Obs("wachtenden", 12);
  EXPECT_NE(ObservationsDigest(longer), digest);
}

TEST(ObservationsDigestTest, ObservationBoundariesCount) {
  // Two observations whose encodings, concatenated, are the encoding of a third.
  api::Observation indicator_only;
  indicator_only.set_indicator("wachtenden");
  api::Observation care_form_only;
  care_form_only.set_care_form("verblijf");
  api::Observation both;
  both.set_indicator("wachtenden");
  both.set_care_form("verblijf");
  ASSERT_EQ(indicator_only.SerializeAsString() + care_form_only.SerializeAsString(),
            both.SerializeAsString());

  Observations split;
  *split.Add() = indicator_only;
  *split.Add() = care_form_only;
  Observations joined;
  *joined.Add() = both;
  EXPECT_NE(ObservationsDigest(split), ObservationsDigest(joined));
}

}  // namespace
}  // namespace vroeg
