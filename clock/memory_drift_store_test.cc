#include "clock/memory_drift_store.h"

#include <cmath>

#include "gtest/gtest.h"
#include "ntp/testing/status_matchers.h"

namespace clocks {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

TEST(MemoryDriftStoreTest, EmptyThenWritten) {
  MemoryDriftStore store;
  absl::StatusOr<std::optional<double>> v = store.Read();
  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->has_value());
  ASSERT_THAT(store.Write(-3.5), IsOk());
  v = store.Read();
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(**v, -3.5);
  EXPECT_EQ(store.writes().size(), 1u);
}

TEST(MemoryDriftStoreTest, WritesRecordTheTimeSourcesTime) {
  MemoryDriftStore store;
  ASSERT_THAT(store.LastWritten(), IsOk());
  EXPECT_FALSE(store.LastWritten()->has_value());
  ASSERT_THAT(store.Write(1.0), IsOk());
  EXPECT_FALSE(store.LastWritten()->has_value());  // no time source: no time
  const absl::Time t0 = absl::FromUnixSeconds(4102444800);
  store.set_last_written(t0);
  EXPECT_EQ(*store.LastWritten(), t0);
  absl::Time now = t0 + absl::Hours(1);
  store.set_time_source([&now] { return now; });
  ASSERT_THAT(store.Write(2.0), IsOk());
  EXPECT_EQ(*store.LastWritten(), t0 + absl::Hours(1));
  store.set_write_error(absl::PermissionDeniedError("read-only"));
  now += absl::Hours(1);
  EXPECT_FALSE(store.Write(3.0).ok());
  EXPECT_EQ(*store.LastWritten(), t0 + absl::Hours(1));  // a failed write records nothing
  store.set_corrupt(true);
  EXPECT_THAT(store.LastWritten(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(MemoryDriftStoreTest, CorruptAndFailing) {
  MemoryDriftStore store(1.0);
  store.set_corrupt(true);
  EXPECT_THAT(store.Read(), StatusIs(absl::StatusCode::kDataLoss));
  store.set_write_error(absl::PermissionDeniedError("read-only"));
  EXPECT_THAT(store.Write(2.0), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store.Write(std::nan("")), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace clocks
