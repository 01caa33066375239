#include "sim/event_loop.h"

#include <algorithm>

#include "sim/random.h"

namespace sim {
namespace {

constexpr int kSequenceBits = 40;
constexpr uint64_t kSequenceMask = (uint64_t{1} << kSequenceBits) - 1;
constexpr int kPhaseShift = 60;
constexpr uint64_t kRankMask = (uint64_t{1} << kPhaseShift) - 1;

EventId MakeId(uint32_t slot, uint32_t generation) {
  return (uint64_t{generation} << 32) | (uint64_t{slot} + 1);
}

}  // namespace

EventLoop::EventLoop(Options options) : options_(options) {
  AddDomain("world");
}

DomainId EventLoop::AddDomain(std::string name) {
  Domain domain;
  domain.name = std::move(name);
  domains_.push_back(std::move(domain));
  return static_cast<DomainId>(domains_.size() - 1);
}

uint64_t EventLoop::Rank(DomainId target, int64_t time, Phase phase) const {
  uint64_t rank = target;
  if (options_.perturb_seed.has_value()) {
    uint64_t state = *options_.perturb_seed ^ (uint64_t{target} << 32) ^
                     static_cast<uint64_t>(time) * 0x9e3779b97f4a7c15ULL;
    rank = SplitMix64(state) & kRankMask;
  }
  return (uint64_t{static_cast<uint8_t>(phase)} << kPhaseShift) | rank;
}

EventId EventLoop::Schedule(int64_t at_ns, DomainId target, DomainId origin,
                            Phase phase, absl::AnyInvocable<void()> callback) {
  if (at_ns < now_ns_) at_ns = now_ns_;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.callback = std::move(callback);
  s.live = true;
  s.target = target;
  s.phase = phase;
  const uint64_t sequence = domains_[origin].next_sequence++;
  heap_.push_back(Entry{at_ns, Rank(target, at_ns, phase),
                        (uint64_t{origin} << kSequenceBits) | (sequence & kSequenceMask),
                        slot, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), Later());
  ++pending_;
  return MakeId(slot, s.generation);
}

bool EventLoop::IsPending(EventId id) const {
  const uint64_t slot_plus_one = id & 0xffffffffULL;
  if (slot_plus_one == 0 || slot_plus_one > slots_.size()) return false;
  const Slot& s = slots_[slot_plus_one - 1];
  return s.live && s.generation == static_cast<uint32_t>(id >> 32);
}

bool EventLoop::Cancel(EventId id) {
  if (!IsPending(id)) return false;
  const uint32_t slot = static_cast<uint32_t>((id & 0xffffffffULL) - 1);
  Slot& s = slots_[slot];
  s.live = false;
  s.callback = nullptr;
  ++s.generation;  // the heap entry is now stale
  free_slots_.push_back(slot);
  --pending_;
  return true;
}

bool EventLoop::IsStale(const Entry& e) const {
  const Slot& s = slots_[e.slot];
  return !s.live || s.generation != e.generation;
}

void EventLoop::PruneTop() {
  while (!heap_.empty() && IsStale(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
  }
}

std::optional<int64_t> EventLoop::NextEventTime() {
  PruneTop();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().time;
}

uint64_t EventLoop::RunUntil(int64_t end_ns) {
  stop_requested_ = false;
  uint64_t ran = 0;
  while (!stop_requested_) {
    PruneTop();
    if (heap_.empty() || heap_.front().time > end_ns) break;
    const Entry e = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
    Slot& s = slots_[e.slot];
    absl::AnyInvocable<void()> callback = std::move(s.callback);
    s.callback = nullptr;
    s.live = false;
    ++s.generation;
    const DomainId target = s.target;
    const Phase phase = s.phase;
    free_slots_.push_back(e.slot);
    --pending_;
    now_ns_ = e.time;
    current_domain_ = target;
    Digest& d = domains_[target].digest;
    d.AddI64(e.time);
    d.AddU64(static_cast<uint64_t>(phase));
    callback();
    current_domain_ = kWorldDomain;
    ++ran;
    ++events_run_;
  }
  if (!stop_requested_ && end_ns > now_ns_) now_ns_ = end_ns;
  return ran;
}

Digest EventLoop::CombinedDigest() const {
  Digest combined;
  for (const Domain& d : domains_) {
    combined.AddString(d.name);
    combined.AddDigest(d.digest);
  }
  return combined;
}

}  // namespace sim
