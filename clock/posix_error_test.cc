#include "clock/posix_error.h"

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PosixErrorTest, MapsErrnoToCodesWithContext) {
  EXPECT_THAT(PosixError("bind 127.0.0.2:123", EADDRINUSE),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("bind 127.0.0.2:123: Address already in use")));
  EXPECT_THAT(PosixError("x", EPERM), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(PosixError("x", EAGAIN), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(PosixError("x", EINVAL), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PosixError("x", EADDRNOTAVAIL), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(PosixError("x", ENOTDIR), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(PosixError("x", EIO), StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace clocks
