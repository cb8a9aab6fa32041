#ifndef VROEG_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define VROEG_TESTS_SUPPORT_STATUS_MATCHERS_H_

// gMock matchers for absl::Status and absl::StatusOr<T>:
//
//   EXPECT_THAT(Load(path), IsOk());
//   EXPECT_THAT(Load(path), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(Load(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
//   EXPECT_THAT(Parse("x"), IsOkAndHolds(Eq(42)));
//
// The message matcher sees the message as a std::string, so Eq("..."), HasSubstr("..."),
// StartsWith("...") and friends all work.

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace vroeg::testing {
namespace internal_status {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

inline std::string Describe(const absl::Status& status) {
  if (status.ok()) return "OK";
  return absl::StatusCodeToString(status.code()) + ": " + std::string(status.message());
}

class IsOkMatcher {
 public:
  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    if (!status.ok()) *listener << "whose status is " << Describe(status);
    return status.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    *listener << "whose status is " << Describe(status);
    if (status.code() != code_) return false;
    const std::string message(status.message());
    ::testing::StringMatchResultListener inner;
    if (!message_.MatchAndExplain(message, &inner)) {
      if (!inner.str().empty()) *listener << ", and the message " << inner.str();
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has status code " << absl::StatusCodeToString(code_) << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status code " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename StatusOrType>
class IsOkAndHoldsImpl : public ::testing::MatcherInterface<StatusOrType> {
 public:
  using ValueType = typename std::remove_cv_t<std::remove_reference_t<StatusOrType>>::value_type;

  explicit IsOkAndHoldsImpl(::testing::Matcher<const ValueType&> inner)
      : inner_(std::move(inner)) {}

  bool MatchAndExplain(StatusOrType value,
                       ::testing::MatchResultListener* listener) const override {
    if (!value.ok()) {
      *listener << "whose status is " << Describe(value.status());
      return false;
    }
    ::testing::StringMatchResultListener inner;
    const bool matches = inner_.MatchAndExplain(*value, &inner);
    if (!inner.str().empty()) *listener << "whose value " << inner.str();
    return matches;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and has a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK or has a value that ";
    inner_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<const ValueType&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT(runtime/explicit)
    using ValueType = typename std::remove_cv_t<std::remove_reference_t<StatusOrType>>::value_type;
    return ::testing::Matcher<StatusOrType>(
        new IsOkAndHoldsImpl<StatusOrType>(::testing::SafeMatcherCast<const ValueType&>(inner_)));
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal_status

// Matches an OK absl::Status or an absl::StatusOr<T> that holds a value.
inline ::testing::PolymorphicMatcher<internal_status::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal_status::IsOkMatcher());
}

// Matches a status (or the status of a StatusOr) with `code`, whatever its message.
inline ::testing::PolymorphicMatcher<internal_status::StatusIsMatcher> StatusIs(
    absl::StatusCode code) {
  return ::testing::MakePolymorphicMatcher(
      internal_status::StatusIsMatcher(code, ::testing::A<const std::string&>()));
}

// Matches a status with `code` whose message matches `message` (a string matcher or a string
// that must be equal).
template <typename MessageMatcher>
::testing::PolymorphicMatcher<internal_status::StatusIsMatcher> StatusIs(absl::StatusCode code,
                                                                         MessageMatcher message) {
  return ::testing::MakePolymorphicMatcher(internal_status::StatusIsMatcher(
      code, ::testing::MatcherCast<const std::string&>(std::move(message))));
}

// Matches an absl::StatusOr<T> that is OK and whose value matches `inner`.
template <typename InnerMatcher>
internal_status::IsOkAndHoldsMatcher<InnerMatcher> IsOkAndHolds(InnerMatcher inner) {
  return internal_status::IsOkAndHoldsMatcher<InnerMatcher>(std::move(inner));
}

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_STATUS_MATCHERS_H_
