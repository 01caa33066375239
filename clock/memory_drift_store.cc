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
  if (now_) last_written_ = now_();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::Time>> MemoryDriftStore::LastWritten() {
  if (corrupt_) return absl::DataLossError("memory drift store marked corrupt");
  if (!value_.has_value()) return std::optional<absl::Time>();
  return last_written_;
}

}  // namespace clocks
