// The drift (frequency) store port: where the clock discipline keeps its
// frequency correction across restarts (ntpd's `driftfile`). The executor
// (ntp/runtime/executor.h) reads it once at start and hands the value to the
// core in its StartInput; it carries out the core's WriteDrift actions
// (about hourly and at clean shutdown). Implementations: DriftFile
// (clock/drift_file.h, the real atomic file) and MemoryDriftStore
// (clock/memory_drift_store.h, the simulator's drift files and tests).
#ifndef CLOCK_DRIFT_STORE_H_
#define CLOCK_DRIFT_STORE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace clocks {

class DriftStore {
 public:
  DriftStore() = default;
  DriftStore(const DriftStore&) = delete;
  DriftStore& operator=(const DriftStore&) = delete;
  virtual ~DriftStore() = default;

  // The stored frequency correction in ppm (same sign convention as
  // clocks::Clock::SetFrequencyPpm), or nullopt if nothing is stored yet
  // (ntpd: file absent). DataLoss if something is stored but unreadable as
  // one finite number (corrupt file); other codes for I/O errors (e.g.
  // PermissionDenied). The value is returned as stored: clamping to the
  // clock's range is the caller's business.
  virtual absl::StatusOr<std::optional<double>> Read() = 0;

  // Replaces the stored value atomically: after a crash either the old or the
  // new value is read back, never a mix. InvalidArgument for a non-finite
  // value; I/O errors as the implementation reports them.
  virtual absl::Status Write(double frequency_ppm) = 0;

  // When the stored value was last written, on the system clock's UTC
  // scale at that time (the file's modification time), or nullopt when
  // nothing is stored or the store keeps no time. The daemon writes only
  // while synchronised, so this is a lower bound on the time now that the
  // client may use to resolve the NTP era (RFC 5905 §6). Errors as Read().
  virtual absl::StatusOr<std::optional<absl::Time>> LastWritten() = 0;

  // Where the value lives, for log lines ("/var/lib/ntp/drift", "memory").
  virtual std::string Describe() const = 0;
};

}  // namespace clocks

#endif  // CLOCK_DRIFT_STORE_H_
