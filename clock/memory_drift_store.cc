#include "clock/memory_drift_store.h"

#include <cmath>

namespace clocks {

absl::StatusOr<std::optional<double>> MemoryDriftStore::Read() {
  if (corrupt_) return absl::DataLossError("memory drift store marked corrupt");
  return value_;
}

absl::Status MemoryDriftStore::Write(double frequency_ppm) {
  if (!std::isfinite(frequency_ppm)) {
    return absl::InvalidArgumentError("drift value is not finite");
  }
  if (!write_error_.ok()) return write_error_;
  value_ = frequency_ppm;
  corrupt_ = false;
  writes_.push_back(frequency_ppm);
  return absl::OkStatus();
}

}  // namespace clocks
