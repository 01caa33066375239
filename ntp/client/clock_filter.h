// The clock filter of one association (RFC 5905 §10): an 8-stage shift
// register of (offset, delay, dispersion, epoch) samples that picks the
// minimum-delay sample and computes the peer statistics offset, delay,
// dispersion and jitter, with ntpd 4.2.8's details (stage aging by PHI, the
// Allan-intercept sort key, the popcorn spike suppressor).
//
// Times are seconds on the client's monotonic timeline (the engine's
// "seconds since start", RFC 5905's seconds counter c.t, but fractional).
// Pure computation: no clock, no I/O. Not thread-safe.
#ifndef NTP_CLIENT_CLOCK_FILTER_H_
#define NTP_CLIENT_CLOCK_FILTER_H_

#include <array>

#include "ntp/client/constants.h"

namespace ntp {

// One stage of the shift register.
struct FilterStage {
  double offset_seconds = 0;
  double delay_seconds = kMaxDispersion;
  // Dispersion as of the filter's last run (aged by PHI at every run).
  double dispersion_seconds = kMaxDispersion;
  double epoch_seconds = 0;  // when the sample was taken
  bool valid = false;        // false: the dummy tuple (RFC 5905 §10)
};

// What one run of the filter produced.
struct FilterResult {
  // A new best sample was adopted: the peer offset/delay/epoch changed and
  // the system process should run (RFC 5905 §10: "if the first tuple epoch
  // t_0 is not later than tp, the routine exits without affecting the
  // current peer variables").
  bool new_sample = false;
  // The best sample was discarded by the popcorn spike suppressor.
  bool popcorn = false;
  // Samples that count for the statistics (dispersion < MAXDISP and, after
  // the first two, below the distance threshold).
  int usable_samples = 0;
};

class ClockFilter {
 public:
  // `precision_seconds`: the local clock's precision (2^s.precision), the
  // floor for the peer jitter (RFC 5905 §10).
  // `phi`: the dispersion rate (s/s; RFC 5905 PHI, `tinker dispersion`).
  explicit ClockFilter(double precision_seconds = 1e-6, double phi = kPhi);

  // Shifts in a real sample taken at `now_seconds` (RFC 5905 §10) and runs
  // the filter. `max_distance_seconds` is `tos maxdist`, `poll_seconds` the
  // current host poll interval (for the popcorn gate).
  // REQUIRES: delay_seconds >= 0, dispersion_seconds >= 0, `now_seconds` not
  // earlier than the previous call's.
  FilterResult AddSample(double offset_seconds, double delay_seconds,
                         double dispersion_seconds, double now_seconds,
                         double max_distance_seconds = kDefaultMaxDistance,
                         double poll_seconds = 64);
  // Shifts in the dummy tuple (0, MAXDISP, MAXDISP), as the poll process
  // does for a server that stopped answering (RFC 5905 §10, §13.2).
  FilterResult AddDummy(double now_seconds,
                        double max_distance_seconds = kDefaultMaxDistance,
                        double poll_seconds = 64);
  // All stages back to the dummy tuple and the peer statistics cleared
  // (association reset, e.g. after a clock step).
  void Reset();

  // Peer statistics (RFC 5905 §9.1 Figure 19), as of the last run.
  double offset_seconds() const { return offset_; }
  double delay_seconds() const { return delay_; }
  // p.disp: sum of stage dispersions weighted 1/2^(i+1) in sort order,
  // as of update_seconds().
  double dispersion_seconds() const { return dispersion_; }
  // The part of dispersion_seconds() contributed by stages that hold real
  // samples (empty/dummy stages left out). After k good samples this is
  // small while dispersion_seconds() is about 16 * 2^-k (RFC 5905 §10).
  double sample_dispersion_seconds() const { return sample_dispersion_; }
  double jitter_seconds() const { return jitter_; }
  // tp: epoch of the sample the peer variables came from (0 if none yet).
  double epoch_seconds() const { return epoch_; }
  // When the filter last ran (dispersions are as of this time).
  double update_seconds() const { return update_; }
  // Number of stages holding real (non-dummy) samples.
  int valid_stages() const;
  // True once a sample has been adopted since construction / Reset().
  bool has_sample() const { return has_sample_; }

  // The stages, newest first (ntpq's filtdelay/filtoffset/filtdisp order).
  std::array<FilterStage, kFilterStages> StagesNewestFirst() const;

 private:
  FilterResult Run(double now_seconds, double max_distance_seconds,
                   double poll_seconds);

  double precision_;
  double phi_;
  std::array<FilterStage, kFilterStages> stages_;
  int next_ = 0;  // slot the next sample goes to
  double offset_ = 0;
  double delay_ = 0;
  double dispersion_ = kMaxDispersion;
  double sample_dispersion_ = 0;
  double jitter_ = 0;
  double epoch_ = 0;
  double update_ = 0;
  bool has_sample_ = false;
  bool ran_ = false;
};

}  // namespace ntp

#endif  // NTP_CLIENT_CLOCK_FILTER_H_
