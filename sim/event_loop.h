// The simulator's event core: virtual true time in integer nanoseconds and
// one queue of events with a total, deterministic order. No wall clock, no
// threads, no hash-order iteration.
//
// Order. Every event belongs to a causal *domain* (one per simulated host,
// plus the world domain for faults and observation): the domain whose state
// it touches. Events run in the order of the key
//   (time, phase, rank(target domain, time), origin domain, origin sequence)
// where `origin` is the domain that scheduled the event and the origin
// sequence counts the events that domain scheduled (its insertion order).
// Without perturbation rank(d, t) = d. Events at the same instant in
// different domains touch disjoint state, so any order among them is legal;
// with Options::perturb_seed set, rank becomes a hash of (seed, d, t), which
// shuffles exactly those events and nothing else. Within one (target,
// origin) pair the order is always insertion order, so a host's Scheduler
// keeps its "same due time runs in scheduling order" contract.
//
// Digests. Each domain has its own Digest; the loop adds every event it runs
// (time, phase) to the target domain's digest and components add what they
// did (packets, clock operations, protocol events). CombinedDigest() folds
// the per-domain digests in domain-id order, so it does not depend on how
// independent events were interleaved.
#ifndef SIM_EVENT_LOOP_H_
#define SIM_EVENT_LOOP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "sim/digest.h"

namespace sim {

using DomainId = uint32_t;
inline constexpr DomainId kWorldDomain = 0;

// Identifies a scheduled event. Never 0; never reused.
using EventId = uint64_t;

// Coarse order among events due at the same instant.
enum class Phase : uint8_t {
  kFault = 0,    // scenario faults and host start/stop: before anything else
  kNormal = 1,   // protocol timers and packet deliveries
  kObserve = 2,  // metric sampling: sees the state after the instant settled
};

class EventLoop {
 public:
  struct Options {
    // See the file comment. Unset: canonical order.
    std::optional<uint64_t> perturb_seed;
  };

  EventLoop() : EventLoop(Options{}) {}
  explicit EventLoop(Options options);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers a domain; ids are 1, 2, ... in call order (0 is the world).
  DomainId AddDomain(std::string name);
  size_t domain_count() const { return domains_.size(); }
  const std::string& domain_name(DomainId domain) const {
    return domains_[domain].name;
  }

  // Current true time (ns since the scenario start). Constant while an
  // event runs.
  int64_t now_ns() const { return now_ns_; }
  // Target domain of the running event; the world outside events.
  DomainId current_domain() const { return current_domain_; }

  // Schedules `callback` at `at_ns` (clamped to now: never in the past).
  // REQUIRES: both domains registered.
  EventId Schedule(int64_t at_ns, DomainId target, DomainId origin, Phase phase,
                   absl::AnyInvocable<void()> callback);
  // Schedule with origin = current_domain().
  EventId Schedule(int64_t at_ns, DomainId target, Phase phase,
                   absl::AnyInvocable<void()> callback) {
    return Schedule(at_ns, target, current_domain_, phase, std::move(callback));
  }
  // True if `id` was pending (it will never run now); false if it already
  // ran, is running, was cancelled or is unknown.
  bool Cancel(EventId id);
  bool IsPending(EventId id) const;

  // Runs every event due at or before `end_ns`, in order, then sets the time
  // to `end_ns` (never backwards). Stops early, right after the running
  // event, if RequestStop() was called. Returns the number of events run.
  uint64_t RunUntil(int64_t end_ns);
  void RequestStop() { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

  // Time of the earliest pending event.
  std::optional<int64_t> NextEventTime();
  size_t pending() const { return pending_; }
  uint64_t events_run() const { return events_run_; }

  // The digest of one domain (components add their records to it).
  Digest& digest(DomainId domain) { return domains_[domain].digest; }
  // All domain digests folded in id order, with their names.
  Digest CombinedDigest() const;

 private:
  struct Domain {
    std::string name;
    uint64_t next_sequence = 0;
    Digest digest;
  };
  struct Slot {
    absl::AnyInvocable<void()> callback;
    uint32_t generation = 0;
    bool live = false;
    DomainId target = 0;
    Phase phase = Phase::kNormal;
  };
  struct Entry {
    int64_t time;
    uint64_t rank;    // phase in the top bits, then the domain rank
    uint64_t origin;  // origin domain in the top bits, then its sequence
    uint32_t slot;
    uint32_t generation;
  };
  struct Later {
    bool operator()(const Entry& x, const Entry& y) const {
      if (x.time != y.time) return x.time > y.time;
      if (x.rank != y.rank) return x.rank > y.rank;
      return x.origin > y.origin;
    }
  };

  uint64_t Rank(DomainId target, int64_t time, Phase phase) const;
  bool IsStale(const Entry& e) const;
  void PruneTop();

  Options options_;
  int64_t now_ns_ = 0;
  DomainId current_domain_ = kWorldDomain;
  bool stop_requested_ = false;
  std::vector<Domain> domains_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<Entry> heap_;
  size_t pending_ = 0;
  uint64_t events_run_ = 0;
};

}  // namespace sim

#endif  // SIM_EVENT_LOOP_H_
