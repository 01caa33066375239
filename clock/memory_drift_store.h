// MemoryDriftStore: a DriftStore kept in memory, for unit tests and for the
// simulator (one per simulated host, surviving a simulated restart). Can be
// told to look corrupt or to fail, to exercise the client's error paths.
#ifndef CLOCK_MEMORY_DRIFT_STORE_H_
#define CLOCK_MEMORY_DRIFT_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "clock/drift_store.h"

namespace clocks {

class MemoryDriftStore final : public DriftStore {
 public:
  MemoryDriftStore() = default;
  explicit MemoryDriftStore(double frequency_ppm) : value_(frequency_ppm) {}

  // While set, Read() returns DataLoss (a corrupt file).
  void set_corrupt(bool corrupt) { corrupt_ = corrupt; }
  // While set, Write() returns this error and stores nothing.
  void set_write_error(absl::Status error) { write_error_ = std::move(error); }

  // The time a successful Write() records as its own (a simulated host's
  // clock); unset: writes leave the recorded time as it was.
  void set_time_source(std::function<absl::Time()> now) { now_ = std::move(now); }
  // Sets the recorded time of the last write (a file written before start).
  void set_last_written(std::optional<absl::Time> when) { last_written_ = when; }

  std::optional<double> value() const { return value_; }
  // Every value successfully written, in order.
  const std::vector<double>& writes() const { return writes_; }

  absl::StatusOr<std::optional<double>> Read() override;
  absl::Status Write(double frequency_ppm) override;
  // The recorded time while a value is stored (a corrupt store fails as
  // Read() does).
  absl::StatusOr<std::optional<absl::Time>> LastWritten() override;
  std::string Describe() const override { return "memory"; }

 private:
  std::optional<double> value_;
  std::optional<absl::Time> last_written_;
  std::function<absl::Time()> now_;
  bool corrupt_ = false;
  absl::Status write_error_;
  std::vector<double> writes_;
};

}  // namespace clocks

#endif  // CLOCK_MEMORY_DRIFT_STORE_H_
