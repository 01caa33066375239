#include "ntp/runtime/instance.h"

#include "clock/fake_clock.h"
#include "clock/manual_scheduler.h"
#include "gtest/gtest.h"
#include "net/fake_network.h"
#include "ntp/testing/status_matchers.h"

namespace ntp::runtime {
namespace {

using ::ntp::testing::IsOk;
using ::ntp::testing::StatusIs;

class InstanceTest : public ::testing::Test {
 protected:
  InstanceTest() : clock_(absl::FromUnixSeconds(1700000000)), network_(&scheduler_) {
    seams_.clock = &clock_;
    seams_.network = &network_;
    seams_.scheduler = &scheduler_;
  }
  clocks::ManualScheduler scheduler_;
  clocks::FakeClock clock_;
  net::FakeNetwork network_;
  Seams seams_;
};

TEST_F(InstanceTest, CreateRequiresTheSeams) {
  EXPECT_THAT(Instance::Create(NtpConfig(), HostOptions(), nullptr, Seams()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Seams no_clock = seams_;
  no_clock.clock = nullptr;
  EXPECT_THAT(Instance::Create(NtpConfig(), HostOptions(), nullptr, no_clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Seams no_network = seams_;
  no_network.network = nullptr;
  EXPECT_THAT(Instance::Create(NtpConfig(), HostOptions(), nullptr, no_network),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Seams no_scheduler = seams_;
  no_scheduler.scheduler = nullptr;
  EXPECT_THAT(Instance::Create(NtpConfig(), HostOptions(), nullptr, no_scheduler),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The drift store and the event sink are optional.
  EXPECT_THAT(Instance::Create(NtpConfig(), HostOptions(), nullptr, seams_), IsOk());
}

TEST_F(InstanceTest, NothingIsBoundOrArmedBeforeTheStart) {
  HostOptions options;
  options.port = 11123;
  options.listen = {*net::SocketAddress::Parse("10.0.0.1:0")};
  absl::StatusOr<std::unique_ptr<Instance>> instance =
      Instance::Create(NtpConfig(), options, nullptr, seams_);
  ASSERT_THAT(instance, IsOk());
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_TRUE((*instance)->host().bound_addresses().empty());
  ASSERT_THAT((*instance)->Start(), IsOk());
  EXPECT_EQ((*instance)->host().bound_addresses(),
            std::vector<net::SocketAddress>{*net::SocketAddress::Parse("10.0.0.1:11123")});
  EXPECT_THAT(network_.Bind(*net::SocketAddress::Parse("10.0.0.1:11123")),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace ntp::runtime
