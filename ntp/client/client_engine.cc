#include "ntp/client/client_engine.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ntp/client/cluster.h"
#include "ntp/client/combine.h"
#include "ntp/client/peer_fitness.h"
#include "ntp/random.h"
#include "ntp/client/selection.h"
#include "ntp/wire/refid.h"

namespace ntp {
namespace {

// Poll adaptation (AdaptPolls): samples before the poll may first grow,
// samples at a poll before each further step up, and how much larger than
// the typical measurement variance the expected tracking error may be.
constexpr int kSamplesBeforeAdaptation = 8;
constexpr int kSamplesBeforePollIncrease = 4;
constexpr double kPollErrorAllowance = 4;  // mean-square ratio
// |OscillatorEstimator::surprise()| above which the poll halves (white
// noise alone keeps it within ~0.38), and the samples at a poll before a
// further halving.
constexpr double kFrequencySurprise = 1.5;
constexpr int kSamplesBeforePollDecrease = 2;
// Steps down on a sample the tracker rejects (rising jitter).
constexpr int kOutlierPollDrop = 2;
// Before a first clock step an association in a burst must have this many
// samples (a few quick samples guard the first step).
constexpr int kFirstUpdateBurstSamples = 3;
// Rate uncertainty (s/s) above which corrections are stretched to the next
// sample, and the longest stretch.
constexpr double kUncertainRate = 1e-6;
constexpr double kMaxStretchSeconds = 1024;
// Once synchronised, a combined rate estimate less certain than this
// (s/s) does not replace the frequency in use.
constexpr double kVagueRate = 20e-6;
// DropBiasedSurvivors: how far (in jitters) from the survivors' median a
// survivor may be before it counts as biased.
constexpr double kBiasSigmas = 4;
// The smallest jump of all servers' offsets taken for an external step
// (smaller ones are within what the discipline slews anyway).
constexpr double kExternalStepMinimum = 0.128;
// An association that sent this many requests without any reply is not
// waited for by the first-update quorum.
constexpr int kDeadAfterUnanswered = 3;
// PooledRateEstimate: how many samples it remembers, the shortest span
// (s) of a fit, the noise (s) assumed per sample at least, and the largest
// RMS residual (s) of a fit that is believed (beyond it the servers
// disagree or the oscillator wandered).
constexpr size_t kPooledSamples = 16;
constexpr double kPooledMinSpan = 256;
constexpr double kPooledNoiseFloor = 1e-3;
constexpr double kPooledMaxResidual = 5e-3;
// How far before the drift file's modification time a correction may set
// the clock (the file's time comes from a clock that was itself within a
// step of true time) before it is refused as an era or server error.
constexpr double kDriftWrittenSlackSeconds = 1000;

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }


}  // namespace

char PeerSelectTally(PeerSelect select) {
  switch (select) {
    case PeerSelect::kReject: return ' ';
    case PeerSelect::kFalseticker: return 'x';
    case PeerSelect::kExcess: return '.';
    case PeerSelect::kOutlier: return '-';
    case PeerSelect::kCandidate: return '+';
    case PeerSelect::kBackup: return '#';
    case PeerSelect::kSystemPeer: return '*';
  }
  return ' ';
}

// Timer keys relative to ClientEngineEnvironment::timer_base.
constexpr TimerKey kDriftTimer = 0;
constexpr TimerKey kSteeringTimer = 1;
constexpr TimerKey kFirstPollTimer = 2;
// Socket ids: association i uses socket_base + (i + 1) * 2^32 + n.
constexpr int kSocketShift = 32;

ClientEngine::ClientEngine(const ClientEngineOptions& options,
                           const ClientEngineEnvironment& env)
    : options_(options), env_(env), slot_count_(options.servers.size()) {}

ClientEngine::~ClientEngine() = default;

absl::StatusOr<std::unique_ptr<ClientEngine>> ClientEngine::Create(
    const ClientEngineOptions& options, const ClientEngineEnvironment& env) {
  if (env.dispatch == nullptr || env.system == nullptr) {
    return absl::InvalidArgumentError("ClientEngine::Create: dispatch and system are required");
  }
  for (const AssociationConfig& s : options.servers) {
    if (s.server.port() == 0 || s.server.ip().IsUnspecified()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unusable server address ", s.server.ToString()));
    }
  }
  auto engine = std::unique_ptr<ClientEngine>(new ClientEngine(options, env));
  absl::StatusOr<std::unique_ptr<ClientAuthenticator>> auth =
      ClientAuthenticator::Create(env.keys);
  if (!auth.ok()) return auth.status();
  engine->auth_ = std::move(*auth);
  return engine;
}

double ClientEngine::Now() const {
  return Seconds(env_.dispatch->now.monotonic - origin_);
}

void ClientEngine::Report(EventKind kind, std::string text) {
  if (env_.events != nullptr) env_.events->OnEvent(Event{kind, std::move(text)});
}

PeerSelect ClientEngine::select_status(int association_id) const {
  if (association_id < 0 || association_id >= static_cast<int>(select_.size())) {
    return PeerSelect::kReject;
  }
  return select_[association_id];
}

bool ClientEngine::OwnsTimer(TimerKey key) const {
  return key >= env_.timer_base && key < env_.timer_base + kFirstPollTimer + slot_count_;
}

bool ClientEngine::OwnsSocket(SocketId socket) const {
  const SocketId first = env_.socket_base + (SocketId{1} << kSocketShift);
  return socket >= first &&
         socket < first + (static_cast<SocketId>(slot_count_) << kSocketShift);
}

Association* ClientEngine::AssociationForSocket(SocketId socket) {
  if (!OwnsSocket(socket)) return nullptr;
  const size_t index = ((socket - env_.socket_base) >> kSocketShift) - 1;
  return index < slots_.size() ? slots_[index] : nullptr;
}

void ClientEngine::OnTimer(TimerKey key) {
  const TimerKey local = key - env_.timer_base;
  if (local == kDriftTimer) {
    DriftTimer();
  } else if (local == kSteeringTimer) {
    if (steering_ != nullptr) steering_->OnTimer();
  } else if (local - kFirstPollTimer < slots_.size()) {
    if (Association* a = slots_[local - kFirstPollTimer]; a != nullptr) a->OnTimer();
  }
}

void ClientEngine::OnDatagram(SocketId socket, const net::ReceivedDatagram& datagram) {
  if (Association* a = AssociationForSocket(socket); a != nullptr) a->OnDatagram(datagram);
}

void ClientEngine::OnSocketResult(const SocketResultInput& result) {
  if (Association* a = AssociationForSocket(result.socket); a != nullptr) {
    a->OnSocketResult(result);
  }
}

void ClientEngine::OnSendResult(const SendResultInput& result) {
  if (Association* a = AssociationForSocket(result.socket); a != nullptr) {
    a->OnSendResult(result);
  }
}

void ClientEngine::OnKeyExchangeResult(const KeyExchangeResultInput& result) {
  if (Association* a = AssociationForSocket(result.id); a != nullptr) {
    a->OnKeyExchangeResult(result);
  }
}

void ClientEngine::OnClockResult(const ClockResultInput& result) {
  if (steering_ != nullptr) steering_->OnClockResult(result);
}

void ClientEngine::StartDrift(const DriftReading& drift, std::optional<double>* initial) {
  has_drift_store_ = drift.state != DriftReading::State::kNoStore;
  drift_where_ = drift.where;
  if (drift.state == DriftReading::State::kValue) drift_written_ = drift.last_written;
  // Initial frequency: `tinker freq`, else the drift store (ntpd 4.2.8:
  // present -> FSET, absent or unreadable -> NSET, never a crash).
  if (initial->has_value()) return;
  switch (drift.state) {
    case DriftReading::State::kNoStore:
      return;
    case DriftReading::State::kUnreadable:
      Report(EventKind::kWarning, absl::StrCat(drift.error, " (", drift.where,
                                               "); starting without a known frequency"));
      return;
    case DriftReading::State::kAbsent:
      Report(EventKind::kDriftFile,
             absl::StrCat("frequency file ", drift.where,
                          " not found; starting without a known frequency"));
      return;
    case DriftReading::State::kValue:
      *initial = drift.frequency_ppm;
      drift_written_ppm_ = drift.frequency_ppm;
      Report(EventKind::kDriftFile, absl::StrFormat("frequency initialized %.3f PPM from %s",
                                                    drift.frequency_ppm, drift.where));
      return;
  }
}

absl::Status ClientEngine::Start(const StartInput& input) {
  if (started_) return absl::FailedPreconditionError("client already started");
  started_ = true;
  origin_ = input.now.monotonic;
  drift_threshold_ppm_ = options_.drift_write_threshold_ppm;

  SteeringOptions steering = options_.steering;
  if (options_.set_once_and_exit) steering.kernel_slew_only = true;
  steering.max_base_frequency_ppm =
      std::min(steering.max_base_frequency_ppm, options_.discipline.max_frequency_ppm);
  steering_ = std::make_unique<ClockSteering>(env_.dispatch, env_.events, origin_,
                                              env_.timer_base + kSteeringTimer, input.clock,
                                              steering);
  discipline_ = std::make_unique<Discipline>(steering_.get(), env_.events, options_.discipline);

  std::optional<double> initial = options_.initial_frequency_ppm;
  StartDrift(input.drift, &initial);
  if (initial.has_value()) {
    initial = std::clamp(*initial, -options_.discipline.max_frequency_ppm,
                         options_.discipline.max_frequency_ppm);
  }
  discipline_->Start(initial);
  if (initial.has_value()) {
    Report(EventKind::kFrequencySet, absl::StrFormat("frequency set to %.3f PPM", *initial));
  }
  BuildAssociations(input, initial);
  if (has_drift_store_ && !options_.set_once_and_exit) {
    drift_timer_armed_ = true;
    env_.dispatch->out->Arm(env_.timer_base + kDriftTimer,
                            input.now.monotonic +
                                absl::Seconds(options_.drift_write_interval_seconds));
  }
  return absl::OkStatus();
}

void ClientEngine::BuildAssociations(const StartInput& input, std::optional<double> initial) {
  // The host sets the precision from the clock before starting the client.
  const double precision = std::ldexp(1.0, env_.system->precision_log2);

  AssociationEnvironment& aenv = association_env_;
  aenv.dispatch = env_.dispatch;
  aenv.steering = steering_.get();
  aenv.auth = auth_.get();
  aenv.events = env_.events;
  aenv.origin = origin_;
  for (const net::IpAddress& ip : options_.own_addresses) {
    if (ip.is_v4() && !aenv.bind_v4.has_value()) aenv.bind_v4 = ip;
    if (ip.is_v6() && !aenv.bind_v6.has_value()) aenv.bind_v6 = ip;
  }
  aenv.local_precision_seconds = precision;
  aenv.stratum_floor = options_.stratum_floor;
  aenv.stratum_ceiling = options_.stratum_ceiling;
  aenv.max_distance_seconds = options_.maxdist_seconds;
  aenv.phi = options_.phi;
  aenv.tracker = options_.tracker;
  if (initial.has_value()) {
    // A known frequency: the trackers start from it with a few ppm doubt.
    aenv.tracker.initial_rate = *initial * 1e-6;
    aenv.tracker.initial_rate_sigma = std::min(aenv.tracker.initial_rate_sigma, 2e-6);
  }
  for (const net::IpAddress& ip : options_.own_addresses) {
    absl::StatusOr<uint32_t> refid = RefIdFromAddress(ip);
    if (refid.ok()) own_refids_.push_back(*refid);
  }

  seeds_ = SplitMix64(options_.random_seed ^ 0x636C69656E74ull);  // "client"
  for (const AssociationConfig& config : options_.servers) {
    associations_.push_back(NewAssociation(config));
  }
  select_.assign(associations_.size(), PeerSelect::kReject);
  for (size_t i = 0; i < associations_.size(); ++i) {
    // ntpd staggers the first polls one second apart at startup.
    const double delay = 1.0 + static_cast<double>(i) + seeds_.Uniform() * 0.5;
    associations_[i]->Start(absl::Seconds(delay));
  }
}

std::unique_ptr<Association> ClientEngine::NewAssociation(AssociationConfig config) {
  if (options_.set_once_and_exit) config.iburst = true;  // ntpd -q
  const size_t slot = slots_.size();
  auto association = std::make_unique<Association>(
      static_cast<int>(slot), config, association_env_, seeds_.Fork(),
      env_.timer_base + kFirstPollTimer + slot,
      env_.socket_base + (static_cast<SocketId>(slot + 1) << kSocketShift),
      [this](Association& a, const AcceptedSample& s) { OnSample(a, s); },
      [this](Association& a) { OnAssociationState(a); });
  association->set_own_refids(own_refids_);
  slots_.push_back(association.get());
  slot_count_ = std::max(slot_count_, slots_.size());
  return association;
}

ReconfigureCounts ClientEngine::Reconfigure(const ClientEngineOptions& options) {
  ReconfigureCounts counts;
  if (!started_) {
    counts.removed = static_cast<int>(options_.servers.size());
    counts.added = static_cast<int>(options.servers.size());
    options_ = options;
    slot_count_ = options_.servers.size();
    return counts;
  }
  // What may change while running (ntpd applies `tos` and `tinker` at once).
  options_.servers = options.servers;
  options_.minsane = options.minsane;
  options_.minclock = options.minclock;
  options_.maxclock = options.maxclock;
  options_.mindist_seconds = options.mindist_seconds;
  options_.maxdist_seconds = options.maxdist_seconds;
  options_.budget_seconds = options.budget_seconds;
  options_.budget_window_seconds = options.budget_window_seconds;
  options_.leap_seconds = options.leap_seconds;
  options_.phi = options.phi;
  options_.stratum_floor = options.stratum_floor;
  options_.stratum_ceiling = options.stratum_ceiling;
  options_.drift_write_threshold_ppm = options.drift_write_threshold_ppm;
  options_.drift_write_interval_seconds = options.drift_write_interval_seconds;
  // The frequency limit is the one the steering was planned with.
  DisciplineOptions discipline = options.discipline;
  discipline.max_frequency_ppm = options_.discipline.max_frequency_ppm;
  options_.discipline = discipline;
  discipline_->set_options(discipline);
  association_env_.stratum_floor = options_.stratum_floor;
  association_env_.stratum_ceiling = options_.stratum_ceiling;
  association_env_.max_distance_seconds = options_.maxdist_seconds;
  association_env_.phi = options_.phi;

  // Unchanged lines keep their association (and its slot); each old one
  // matches at most one new line.
  const Association* peer =
      system_peer_.has_value() ? associations_[*system_peer_].get() : nullptr;
  std::vector<std::unique_ptr<Association>> old = std::move(associations_);
  associations_.clear();
  std::vector<std::unique_ptr<Association>> next(options_.servers.size());
  for (std::unique_ptr<Association>& a : old) {
    bool placed = false;
    for (size_t j = 0; j < next.size() && !placed; ++j) {
      AssociationConfig wanted = options_.servers[j];
      if (options_.set_once_and_exit) wanted.iburst = true;
      if (next[j] == nullptr && wanted == a->config()) {
        next[j] = std::move(a);
        placed = true;
      }
    }
    if (placed) {
      ++counts.kept;
      continue;
    }
    ++counts.removed;
    a->Stop();
    slots_[a->id()] = nullptr;
  }
  std::vector<size_t> added;
  for (size_t j = 0; j < next.size(); ++j) {
    if (next[j] != nullptr) continue;
    next[j] = NewAssociation(options_.servers[j]);
    added.push_back(j);
  }
  counts.added = static_cast<int>(added.size());
  associations_ = std::move(next);
  select_.assign(associations_.size(), PeerSelect::kReject);
  if (stopped_ || exit_ != ClientExit::kRunning) {
    for (size_t j : added) associations_[j]->Stop();
    return counts;
  }
  for (size_t k = 0; k < added.size(); ++k) {
    // Staggered one second apart, as at start.
    const double delay = 1.0 + static_cast<double>(k) + seeds_.Uniform() * 0.5;
    associations_[added[k]]->Start(absl::Seconds(delay));
  }

  if (peer != nullptr) {
    std::optional<int> index;
    for (size_t j = 0; j < associations_.size(); ++j) {
      if (associations_[j].get() == peer) index = static_cast<int>(j);
    }
    if (index.has_value()) {
      system_peer_ = index;
    } else {
      LoseSystemPeer();
    }
  }
  SelectAndUpdate(/*update=*/false);
  return counts;
}

void ClientEngine::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  if (drift_timer_armed_) {
    drift_timer_armed_ = false;
    env_.dispatch->out->Disarm(env_.timer_base + kDriftTimer);
  }
  for (auto& a : associations_) a->Stop();
  if (steering_ != nullptr) steering_->Finish();
  if (exit_ != ClientExit::kPanic && !options_.set_once_and_exit) WriteDrift(true);
}

void ClientEngine::Exit(ClientExit how) {
  if (exit_ != ClientExit::kRunning) return;
  exit_ = how;
  for (auto& a : associations_) a->Stop();
  if (drift_timer_armed_) {
    drift_timer_armed_ = false;
    env_.dispatch->out->Disarm(env_.timer_base + kDriftTimer);
  }
  if (env_.on_exit) env_.on_exit();
}

void ClientEngine::DriftTimer() {
  if (!drift_timer_armed_) return;
  drift_timer_armed_ = false;
  WriteDrift(false);
  if (!stopped_ && exit_ == ClientExit::kRunning) {
    drift_timer_armed_ = true;
    env_.dispatch->out->Arm(env_.timer_base + kDriftTimer,
                            env_.dispatch->now.monotonic +
                                absl::Seconds(options_.drift_write_interval_seconds));
  }
}

void ClientEngine::WriteDrift(bool at_shutdown) {
  if (!has_drift_store_ || updates_ == 0) return;
  const double ppm = discipline_->frequency_ppm();
  // ntpd 4.2.8 (ntp_loopfilter.c, write_stats): hourly, only when the value
  // moved by the threshold; after a write the threshold is reset, otherwise
  // it halves. At shutdown any change visible in the file's 3 decimals is
  // written.
  const double threshold = at_shutdown ? 0.0005 : drift_threshold_ppm_;
  if (drift_written_ppm_.has_value() && std::fabs(ppm - *drift_written_ppm_) < threshold) {
    if (!at_shutdown) drift_threshold_ppm_ /= 2;
    return;
  }
  // Taken as written; a failure (OnDriftWriteResult) says so and the next
  // hourly check tries again.
  drift_written_ppm_ = ppm;
  drift_threshold_ppm_ = options_.drift_write_threshold_ppm;
  env_.dispatch->out->StoreDrift(ppm);
}

void ClientEngine::OnDriftWriteResult(const DriftWriteResultInput& result) {
  if (!result.status.ok()) {
    drift_written_ppm_.reset();
    Report(EventKind::kWarning, absl::StrCat("cannot write frequency file ", drift_where_,
                                             ": ", result.status.message()));
    return;
  }
  Report(EventKind::kDriftFile, absl::StrFormat("frequency %.3f PPM written to %s",
                                                result.frequency_ppm, drift_where_));
}

void ClientEngine::OnSample(Association& association, const AcceptedSample& sample) {
  RecordPeerStats(association, sample);
  if (exit_ != ClientExit::kRunning) return;
  AdaptPolls(association, sample.tracker);
  if (DetectExternalStep(association, sample)) return;
  pooled_.emplace_back(sample.time_seconds,
                       sample.exchange.offset_seconds +
                           steering_->CorrectionAt(sample.time_seconds),
                       association.id());
  if (pooled_.size() > kPooledSamples) pooled_.pop_front();
  // A sample the tracker rejected adds nothing to act upon.
  SelectAndUpdate(/*update=*/sample.tracker != TrackerVerdict::kOutlier);
}

// A step of the clock by another process (settimeofday, a VM resume) moves
// every server's offset by the same amount at once; a bad server moves only
// its own. Each tracker outlier that is off by more than the step threshold
// is a suspect; once a majority of the servers with estimates agree on the
// jump (within the step threshold) since their last good sample, the step
// is real: every tracker is moved by it (rate kept: no frequency
// excursion), the discipline may step at once, and the clock is updated
// from the moved estimates. Detection thus takes the samples of one poll
// round instead of the trackers' re-acquisition plus the stepout.
bool ClientEngine::DetectExternalStep(Association& association,
                                      const AcceptedSample& sample) {
  const int id = association.id();
  if (sample.tracker != TrackerVerdict::kOutlier) {
    step_suspects_.erase(id);
    return false;
  }
  if (!ever_synced_ || !association.tracker().has_estimate()) return false;
  const double threshold = std::min(discipline_->step_threshold_seconds(), kExternalStepMinimum);
  const double jump =
      sample.exchange.offset_seconds - *association.EstimatedOffset(sample.time_seconds);
  if (!(std::fabs(jump) > threshold)) return false;
  step_suspects_[id] = jump;

  int with_estimate = 0;
  std::vector<double> agreeing;
  for (const auto& a : associations_) {
    if (!a->enabled() || !a->tracker().has_estimate()) continue;
    ++with_estimate;
    auto it = step_suspects_.find(a->id());
    if (it != step_suspects_.end() && std::fabs(it->second - jump) <= threshold) {
      agreeing.push_back(it->second);
    }
  }
  const int required = std::max(options_.minsane, with_estimate / 2 + 1);
  if (static_cast<int>(agreeing.size()) < required) return false;

  std::sort(agreeing.begin(), agreeing.end());
  const double step = agreeing[agreeing.size() / 2];
  Report(EventKind::kWarning,
         absl::StrFormat("the clock was stepped by another process: %+.6f s, seen by %d of %d "
                         "servers; re-synchronising",
                         -step, static_cast<int>(agreeing.size()), with_estimate));
  for (const auto& a : associations_) {
    if (!a->tracker().has_estimate()) continue;
    auto it = step_suspects_.find(a->id());
    a->mutable_tracker().ShiftOffset(it != step_suspects_.end() ? it->second : step);
  }
  step_suspects_.clear();
  pooled_.clear();
  discipline_->NoteExternalStep();
  SelectAndUpdate(/*update=*/true);
  return true;
}

void ClientEngine::RecordPeerStats(const Association& association,
                                   const AcceptedSample& sample) {
  // The peer status word (RFC 9327): every association here is configured;
  // an accepted sample with a key was authentic, and made it reachable;
  // the association keeps the event count and code.
  // The select code is the last selection's, as ntpd writes peerstats
  // from its clock filter, before the selection this sample starts.
  uint16_t status = 0x8000 | 0x1000 | association.event_bits();
  if (association.config().key_id.has_value()) status |= 0x4000 | 0x2000;
  for (size_t i = 0; i < associations_.size(); ++i) {
    if (associations_[i].get() == &association) {
      status |= static_cast<uint16_t>(select_status(static_cast<int>(i))) << 8;
    }
  }
  PeerStatsRecord stats;
  stats.clock_time = env_.dispatch->now.clock;
  stats.peer = association.config().server.ip();
  stats.status = status;
  stats.offset = absl::Seconds(sample.exchange.offset_seconds);
  stats.delay = absl::Seconds(sample.exchange.delay_seconds);
  stats.dispersion = absl::Seconds(association.filter().dispersion_seconds());
  stats.jitter = absl::Seconds(association.filter().jitter_seconds());
  env_.dispatch->out->Stats(stats);
}

void ClientEngine::OnAssociationState(Association& association) {
  if (exit_ != ClientExit::kRunning) return;
  // Before the first update every poll may complete the quorum (a silent
  // server drops out of it), so the first update is tried again with the
  // samples already held instead of waiting for the next one to arrive.
  SelectAndUpdate(/*update=*/!ever_synced_);
  if (options_.set_once_and_exit && exit_ == ClientExit::kRunning) CheckNoServers();
}

void ClientEngine::CheckNoServers() {
  for (const auto& a : associations_) {
    if (a->enabled() && (a->has_reply() || a->unanswered() < kIburstCount)) return;
  }
  Report(EventKind::kExit, "ntpd: no servers found");
  Exit(ClientExit::kDone);
}

// The poll process (RFC 5905 §13.2 poll_update; ntpd and chronyd climb
// while the estimate is stable and drop when it is not). Climbs one step per
// kSamplesBeforePollIncrease samples while the tracker's expected
// mean-square error at the longer poll stays within kPollErrorAllowance
// times the typical measurement variance; halves the interval on a
// frequency surprise; drops kOutlierPollDrop steps on an outlier and
// returns to minpoll when the tracker re-acquires (an offset jump). After a
// clock step every association goes back to minpoll (AfterStep).
void ClientEngine::AdaptPolls(Association& a, TrackerVerdict verdict) {
  const OscillatorEstimator& t = a.tracker();
  const int current = a.hpoll();
  if (static_cast<size_t>(a.id()) >= samples_at_poll_.size()) {
    samples_at_poll_.resize(a.id() + 1, 0);
  }
  int& at_poll = samples_at_poll_[a.id()];
  auto set_poll = [&](int poll) {
    a.SetDesiredPoll(poll);
    at_poll = 0;
  };
  switch (verdict) {
    case TrackerVerdict::kOutlier:
      if (current > a.minpoll()) set_poll(current - kOutlierPollDrop);
      return;
    case TrackerVerdict::kReset:
      set_poll(a.minpoll());
      return;
    case TrackerVerdict::kAccepted:
      break;
  }
  ++at_poll;
  if (t.samples() < kSamplesBeforeAdaptation) return;
  if (std::fabs(t.surprise()) > kFrequencySurprise) {
    if (current > a.minpoll() && at_poll >= kSamplesBeforePollDecrease) set_poll(current - 1);
    return;
  }
  if (at_poll < kSamplesBeforePollIncrease) return;
  const double r = t.TypicalMeasurementVariance();
  // With hysteresis: down when the current poll is twice over the
  // allowance (the wander estimate grew).
  if (current > a.minpoll() &&
      t.SteadyStateMeanSquareError(std::ldexp(1.0, current), r) > 2 * kPollErrorAllowance * r) {
    set_poll(current - 1);
  } else if (current < a.maxpoll() &&
             t.SteadyStateMeanSquareError(std::ldexp(1.0, current + 1), r) <=
                 kPollErrorAllowance * r) {
    set_poll(current + 1);
  }
}

void ClientEngine::LoseSystemPeer() {
  if (!system_peer_.has_value()) return;
  system_peer_.reset();
  // ntpd's words when nothing answers any more; otherwise its event name.
  bool any_reachable = false;
  for (const auto& a : associations_) any_reachable |= a->enabled() && a->reach() != 0;
  Report(EventKind::kLostSync,
         any_reachable ? "no_sys_peer: no selectable source; holding over on the last frequency"
                       : "no servers reachable; holding over on the last frequency");
  if (!options_.set_once_and_exit && !options_.discipline.never_step) {
    // The kernel stops copying the system time to the RTC (its 11-minute
    // mode) and tells other programs the clock is unsynchronised.
    ClockSyncState sync;
    sync.synchronized = false;
    steering_->SetSyncState(sync);
  }
  if (env_.on_upstream_change) env_.on_upstream_change(false);
}

void ClientEngine::SetRtcReading(absl::Time rtc_time, absl::Time clock_time) {
  if (absl::ToUnixSeconds(rtc_time) < kRtcPlausibleAfterUnixSeconds) {
    Report(EventKind::kWarning,
           "the RTC reads a time before this software was written (a dead battery?): "
           "not used to bound the first correction");
    return;
  }
  rtc_minus_clock_ = absl::ToDoubleSeconds(rtc_time - clock_time);
  rtc_at_start_ = rtc_time;
}

bool ClientEngine::FirstCorrectionAgreesWithRtc(double offset_seconds) {
  const double panic = options_.discipline.panic_threshold_seconds;
  if (ever_synced_ || !rtc_minus_clock_.has_value() || panic <= 0 ||
      std::fabs(offset_seconds) <= panic) {
    return true;
  }
  // ntpd -g lets one big first correction through; the RTC bounds it.
  if (std::fabs(offset_seconds - *rtc_minus_clock_) <= panic) return true;
  Report(EventKind::kPanic,
         absl::StrFormat("time correction of %.0f seconds would leave the clock %.0f seconds "
                         "from the RTC (sanity limit %.0f); set clock manually to the "
                         "correct UTC time.",
                         offset_seconds, offset_seconds - *rtc_minus_clock_, panic));
  return false;
}

// The net correction the update adds is the offset minus what the
// correction in progress would still have applied (it is replaced); the
// frequency estimate's share never shows in the offset. Noise averages out
// in the signed sum; repeated shifts of all servers one way add up.
bool ClientEngine::WithinBudget(double offset, double now) {
  if (options_.budget_seconds <= 0 || !ever_synced_) return true;
  while (!budget_log_.empty() && budget_log_.front().first < now - options_.budget_window_seconds) {
    budget_log_.pop_front();
  }
  const double added = offset - steering_->RemainingCorrection();
  double net = added;
  for (const auto& [t, c] : budget_log_) net += c;
  if (std::fabs(net) > options_.budget_seconds) {
    if (!budget_exhausted_) {
      budget_exhausted_ = true;
      Report(EventKind::kWarning,
             absl::StrFormat("correction budget exhausted: %+.6f s more would make %+.6f s "
                             "within %.0f s (tos budget %g): not following the servers",
                             added, net, options_.budget_window_seconds,
                             options_.budget_seconds));
    }
    return false;
  }
  if (budget_exhausted_) {
    budget_exhausted_ = false;
    Report(EventKind::kInfo, "correction budget available again: following the servers");
  }
  budget_log_.push_back({now, added});
  return true;
}

std::optional<double> ClientEngine::ResolveEra(double offset_seconds) {
  constexpr double kEra = 4294967296.0;  // 2^32 s
  const double clock = absl::ToDoubleSeconds(env_.dispatch->now.clock - absl::UnixEpoch());
  // The pivot: a plausible RTC's time now (read at start, advanced on the
  // monotonic timeline: steps do not move it), else the time the drift
  // file was last written (only ever while synchronised), else this
  // software's date.
  std::optional<double> written;
  if (drift_written_.has_value()) {
    written = absl::ToDoubleSeconds(*drift_written_ - absl::UnixEpoch());
  }
  double pivot = static_cast<double>(kEraPivotUnixSeconds);
  const char* pivot_source = "";
  if (rtc_at_start_.has_value()) {
    pivot = absl::ToDoubleSeconds(*rtc_at_start_ - absl::UnixEpoch()) + Now();
    pivot_source = " (RTC)";
  } else if (written.has_value()) {
    pivot = *written;
    pivot_source = " (drift file)";
  }
  const double landing = clock + offset_seconds;
  const double eras = std::round((pivot - landing) / kEra);
  const double resolved = offset_seconds + eras * kEra;
  const double resolved_landing = clock + resolved;
  // The check: the corrected clock lies within 68 years of the pivot.
  if (!(std::fabs(resolved_landing - pivot) <= kEra / 2)) {
    Report(EventKind::kPanic,
           absl::StrFormat("time correction of %.0f s cannot be placed within 68 years of "
                           "the era pivot; set clock manually to the correct UTC time.",
                           offset_seconds));
    return std::nullopt;
  }
  // Time does not go back past a file this daemon wrote while synchronised.
  if (written.has_value() && resolved_landing < *written - kDriftWrittenSlackSeconds) {
    Report(EventKind::kPanic,
           absl::StrFormat("time correction of %.0f s would set the clock %.0f s before %s "
                           "was written (%s); set clock manually to the correct UTC time.",
                           resolved, *written - resolved_landing, drift_where_,
                           absl::FormatTime("%Y-%m-%d %H:%M:%S", *drift_written_,
                                            absl::UTCTimeZone())));
    return std::nullopt;
  }
  if (eras != 0) {
    // Every tracker holds the offset of the wrong era: move them all, so
    // that the samples after the step agree with them.
    for (const auto& a : associations_) {
      if (a->tracker().has_estimate()) a->mutable_tracker().ShiftOffset(eras * kEra);
      pooled_.clear();
    }
    Report(EventKind::kWarning,
           absl::StrFormat("NTP era resolved against the pivot %s%s: offset %+.0f s is %+.0f s "
                           "(RFC 5905 section 6)",
                           absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(static_cast<int64_t>(pivot)),
                                            absl::UTCTimeZone()),
                           pivot_source, offset_seconds, resolved));
  }
  return resolved;
}

void ClientEngine::ApplyLeapVote(const std::vector<int>& survivors) {
  // Leap warning by majority of the survivors (ntpd 4.2.8 leap vote).
  int insert = 0, remove = 0;
  for (int id : survivors) {
    const auto& h = associations_[id]->header();
    if (!h.has_value()) continue;
    if (h->leap == Leap::kInsertSecond) ++insert;
    if (h->leap == Leap::kDeleteSecond) ++remove;
  }
  const int n = static_cast<int>(survivors.size());
  Leap vote = Leap::kNoWarning;
  if (2 * insert > n) vote = Leap::kInsertSecond;
  if (2 * remove > n) vote = Leap::kDeleteSecond;
  // A leap file in date decides (ntpd: the file has priority over the
  // servers); an expired one is reported once and the vote stands.
  if (options_.leap_seconds.has_value()) {
    const absl::Time clock = env_.dispatch->now.clock;
    if (!options_.leap_seconds->Expired(clock)) {
      vote = options_.leap_seconds->LeapAtEndOfDay(clock);
    } else if (!reported_leapfile_expired_) {
      reported_leapfile_expired_ = true;
      Report(EventKind::kWarning,
             absl::StrCat("leapsecond file expired ",
                          absl::FormatTime("%Y-%m-%d", options_.leap_seconds->expires(),
                                           absl::UTCTimeZone()),
                          ": using the servers' leap indicators"));
    }
  }
  if (vote != leap_vote_ && vote != Leap::kNoWarning) {
    Report(EventKind::kLeapArmed, vote == Leap::kInsertSecond
                                      ? "leap_armed: leap second insertion announced"
                                      : "leap_armed: leap second deletion announced");
  }
  leap_vote_ = vote;
}

void ClientEngine::UpdateSystemVariables(const Association& peer, double offset,
                                         double system_jitter, double now) {
  // RFC 5905 §11.2.3 Figure 25 / ntpd clock_update.
  SystemVariables& sys = *env_.system;
  const Association::Header& h = *peer.header();
  const ClockFilter& f = peer.filter();
  sys.leap = leap_vote_;
  sys.stratum = std::min(h.stratum + 1, kMaxStratum);
  absl::StatusOr<uint32_t> refid = RefIdFromAddress(peer.config().server.ip());
  sys.reference_id = refid.ok() ? *refid : 0;
  sys.root_delay = NtpShort::FromSeconds(h.root_delay_seconds + f.delay_seconds());
  // The dispersion increment is floored at MINDISP (RFC 5905 §11.2.3). It
  // uses the RFC filter dispersion (empty stages at MAXDISP), so that what
  // we announce to our own clients is as conservative as ntpd's.
  const double increment = f.dispersion_seconds() + system_jitter +
                           options_.phi * std::max(0.0, now - f.update_seconds()) + std::fabs(offset);
  sys.root_dispersion = NtpShort::FromSeconds(
      h.root_dispersion_seconds + std::max(options_.mindist_seconds, increment));
  sys.reference_time = NtpTimestamp::FromTime(env_.dispatch->now.clock);
  // The canonical address text (what ntpq prints and the simulator's
  // never_selects check compares with).
  const net::IpAddress& peer_ip = peer.config().server.ip();
  if (!system_peer_ip_.has_value() || !(*system_peer_ip_ == peer_ip)) {
    system_peer_ip_ = peer_ip;
    system_peer_text_ = peer_ip.ToString();
  }
  sys.system_peer = system_peer_text_;
  sys.offset_seconds = offset;
  sys.frequency_ppm = discipline_->frequency_ppm();
  sys.jitter_seconds = system_jitter;
  sys.poll_log2 = peer.hpoll();

  if (!options_.set_once_and_exit && !options_.discipline.never_step) {
    // ntpd clears the kernel's STA_UNSYNC once disciplined; not
    // in -q / -x, where the kernel loop is off.
    ClockSyncState sync;
    sync.synchronized = true;
    sync.leap = sys.leap;
    sync.max_error = absl::Seconds(sys.root_delay.ToSeconds() / 2 +
                                   sys.root_dispersion.ToSeconds());
    sync.est_error = absl::Seconds(system_jitter);
    steering_->SetSyncState(sync);
  }
}

// Stage 1 (RFC 5905 §11.2): fitness and correctness intervals of every
// source with data. Fills theta_/lambda_ and candidates_; sources beyond
// `maxclock` (by root distance) become backups.
void ClientEngine::CollectCandidates(double now) {
  const int n = static_cast<int>(associations_.size());
  candidates_.clear();
  lambda_.assign(n, 0.0);
  theta_.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    const Association& a = *associations_[i];
    if (!a.enabled() || !a.has_reply()) continue;
    // The offset comes from the source's tracker, the distance terms from
    // its clock filter (README.md: one owner per statistic). The distance
    // uses the dispersion of the samples actually held: the RFC's dummy
    // stages only encode "not enough data", which the quorum handles.
    std::optional<double> offset = a.EstimatedOffset(now);
    if (!offset.has_value()) continue;
    // A server with a sample or two (a newcomer, or heavy loss) knows its
    // rate far worse than the clock does: extrapolated at its own vague
    // rate its offset drifts away by the oscillator's whole frequency
    // error, so it is extrapolated at the rate in use.
    const OscillatorEstimator& t = a.tracker();
    const double age = now - t.last_update_seconds();
    double rate_sigma = t.rate_sigma();
    if (t.rate_sigma() > kUncertainRate && applied_rate_sigma_ * 4 < t.rate_sigma()) {
      *offset += (applied_rate_ - t.rate()) * age;
      rate_sigma = applied_rate_sigma_;
    }
    const Association::Header& h = *a.header();
    const ClockFilter& f = a.filter();
    DistanceInput d;
    d.phi = options_.phi;
    d.delay_seconds = f.delay_seconds();
    d.root_delay_seconds = h.root_delay_seconds;
    d.dispersion_seconds = f.sample_dispersion_seconds();
    d.root_dispersion_seconds = h.root_dispersion_seconds;
    d.jitter_seconds = f.jitter_seconds();
    d.age_seconds = now - f.update_seconds();
    // The distance grows by PHI per second of age; a rate known worse than
    // that (a server with a sample or two, heavy loss) widens it by the
    // rest of its uncertainty, so an old sample extrapolated at a vague
    // rate cannot fall out of the intersection with a fresh one.
    lambda_[i] = RootDistance(d, options_.mindist_seconds) +
                 std::max(0.0, rate_sigma - options_.phi) * std::max(0.0, age);
    theta_[i] = *offset;
    FitnessInput fit;
    fit.phi = options_.phi;
    fit.leap_unsynchronized = h.leap == Leap::kUnsynchronized;
    fit.stratum = h.stratum;
    fit.stratum_floor = options_.stratum_floor;
    fit.stratum_ceiling = options_.stratum_ceiling;
    fit.root_distance_seconds = lambda_[i];
    fit.max_distance_seconds = options_.maxdist_seconds;
    fit.poll_seconds = std::ldexp(1.0, a.hpoll());
    fit.refid_is_ours = a.loop_detected();
    fit.reach = a.reach();
    fit.noselect = a.config().noselect;
    if (PeerFitness(fit) != 0 || !f.has_sample()) continue;
    candidates_.push_back({i, theta_[i], lambda_[i], a.config().truechimer});
  }
  // maxclock: keep the closest ones, the rest are backups ('#').
  if (static_cast<int>(candidates_.size()) > options_.maxclock) {
    std::stable_sort(candidates_.begin(), candidates_.end(),
                     [](const SelectionCandidate& x, const SelectionCandidate& y) {
                       return x.root_distance_seconds < y.root_distance_seconds;
                     });
    for (size_t k = options_.maxclock; k < candidates_.size(); ++k) {
      select_[candidates_[k].id] = PeerSelect::kBackup;
    }
    candidates_.resize(options_.maxclock);
  }
}

// Before the first update: a majority of the servers that may still answer
// must be candidates, so that a single early reply (possibly a
// falseticker's) cannot set the clock.
int ClientEngine::FirstUpdateRequired() const {
  int potential = 0;
  for (const auto& a : associations_) {
    if (!a->enabled() || a->config().noselect) continue;
    if (a->reach() == 0 && a->unanswered() >= kDeadAfterUnanswered) continue;
    ++potential;
  }
  return std::max(options_.minsane, potential / 2 + 1);
}

bool ClientEngine::FirstUpdateQuorum() const {
  return static_cast<int>(candidates_.size()) >= FirstUpdateRequired();
}

// Before the first update the truechimers themselves must be a majority of
// the servers that may still answer: two early liars agreeing among three
// replies are a majority of the replies, not of the configured servers.
// Servers that stay silent through their first polls (the iburst window)
// drop out of the count, so a dead server does not block the start.
bool ClientEngine::FirstUpdateAgreement() const {
  return static_cast<int>(intersection_.truechimers.size()) >= FirstUpdateRequired();
}

// Stages 2 and 3 (RFC 5905 §11.2.1, §11.2.2): intersection and cluster.
// False when fewer than `minsane` survive (the system peer is then lost).
bool ClientEngine::IntersectAndCluster() {
  FindIntersection(candidates_, intersection_scratch_, intersection_);
  for (int id : intersection_.falsetickers) select_[id] = PeerSelect::kFalseticker;
  if (intersection_.truechimers.empty() ||
      static_cast<int>(intersection_.truechimers.size()) < options_.minsane) {
    if (!reported_no_majority_) {
      reported_no_majority_ = true;
      Report(EventKind::kWarning,
             absl::StrCat("no majority among ", candidates_.size(),
                          " candidates: the clock is not updated"));
    }
    return false;
  }
  reported_no_majority_ = false;

  cluster_in_.clear();
  for (int id : intersection_.truechimers) {
    const Association& a = *associations_[id];
    ClusterCandidate c;
    c.id = id;
    c.offset_seconds = theta_[id];
    c.jitter_seconds = a.filter().jitter_seconds();
    c.root_distance_seconds = lambda_[id];
    c.stratum = a.header()->stratum;
    c.prefer = a.config().prefer;
    c.always_true = a.config().truechimer;
    cluster_in_.push_back(c);
  }
  ClusterOptions cluster_options;
  cluster_options.min_survivors = options_.minclock;
  cluster_options.precision_seconds = std::ldexp(1.0, env_.system->precision_log2);
  cluster_options.max_distance_seconds = options_.maxdist_seconds;
  Cluster(cluster_in_, cluster_options, cluster_scratch_, cluster_);
  DropBiasedSurvivors();
  for (int id : cluster_.outliers) select_[id] = PeerSelect::kOutlier;
  for (int id : cluster_.survivors) select_[id] = PeerSelect::kCandidate;
  return static_cast<int>(cluster_.survivors.size()) >= options_.minsane;
}

// The cluster algorithm stops at `minclock` survivors (RFC 5905 §11.2.2),
// so with three servers it never drops one, and combine weights a server
// whose path turned asymmetric (a bias well inside its root distance, so
// intersection keeps it) like the others. With three or more survivors,
// one whose offset is far from the survivors' median, by more than
// kBiasSigmas times both the survivors' median jitter and the spread of
// the others, is cast off as an outlier too: its error is a bias, not
// noise.
void ClientEngine::DropBiasedSurvivors() {
  const size_t n = cluster_.survivors.size();
  if (n < 3) return;
  std::vector<double> offsets;
  for (int id : cluster_.survivors) offsets.push_back(theta_[id]);
  std::vector<double> sorted = offsets;
  std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
  const double median = sorted[n / 2];
  std::vector<double> deviations;
  for (double o : offsets) deviations.push_back(std::fabs(o - median));
  std::vector<double> spread = deviations;
  std::nth_element(spread.begin(), spread.begin() + n / 2, spread.end());
  const double typical = spread[n / 2];
  const double precision = std::ldexp(1.0, env_.system->precision_log2);
  // The survivors' typical jitter (a biased server's own jitter may be
  // inflated by the change that biased it).
  std::vector<double> jitters;
  for (int id : cluster_.survivors) jitters.push_back(associations_[id]->filter().jitter_seconds());
  std::nth_element(jitters.begin(), jitters.begin() + n / 2, jitters.end());
  const double jitter = jitters[n / 2];
  std::vector<int> kept, biased;
  for (size_t k = 0; k < n; ++k) {
    const int id = cluster_.survivors[k];
    const Association& a = *associations_[id];
    const double scale = std::max({typical, jitter, precision});
    const bool off = deviations[k] > kBiasSigmas * scale && !a.config().prefer &&
                     !a.config().truechimer;
    (off ? biased : kept).push_back(id);
  }
  // Only ever a minority, and never below two survivors.
  if (biased.empty() || kept.size() < std::max<size_t>(2, n / 2 + 1)) return;
  cluster_.survivors = std::move(kept);
  cluster_.outliers.insert(cluster_.outliers.end(), biased.begin(), biased.end());
  cluster_.survivor_selection_jitter_seconds.clear();
}

// The system peer: the first survivor, but the current one stays while it
// survives and agrees within mindist (ntpd's anti-clockhop).
int ClientEngine::ChooseSystemPeer() const {
  int peer = cluster_.survivors[0];
  if (system_peer_.has_value() && !associations_[peer]->config().prefer &&
      std::find(cluster_.survivors.begin(), cluster_.survivors.end(), *system_peer_) !=
          cluster_.survivors.end() &&
      std::fabs(theta_[*system_peer_] - theta_[peer]) < options_.mindist_seconds) {
    peer = *system_peer_;
  }
  return peer;
}

// Stage 4 (RFC 5905 §11.2.3): the combined offset and system jitter, and
// the frequency from the survivors' rate estimates weighted by their
// precision (`rate_sigma`: the combined estimate's standard deviation).
ClientEngine::Combined ClientEngine::CombineSurvivors(int peer) {
  combine_in_.clear();
  combine_in_.push_back({theta_[peer], lambda_[peer],
                         associations_[peer]->filter().jitter_seconds(),
                         associations_[peer]->config().prefer});
  for (int id : cluster_.survivors) {
    if (id == peer) continue;
    combine_in_.push_back(
        {theta_[id], lambda_[id], associations_[id]->filter().jitter_seconds(), false});
  }
  Combined out;
  out.combined = Combine(combine_in_, cluster_.selection_jitter_seconds);
  double weight_sum = 0, rate_sum = 0;
  for (int id : cluster_.survivors) {
    const OscillatorEstimator& t = associations_[id]->tracker();
    const double sigma = std::max(t.rate_sigma(), 1e-12);
    const double w = 1.0 / (sigma * sigma);
    weight_sum += w;
    rate_sum += w * t.rate();
  }
  out.frequency_ppm = rate_sum / weight_sum * 1e6;
  out.rate_sigma = std::sqrt(1.0 / weight_sum);
  return out;
}

void ClientEngine::SelectAndUpdate(bool update) {
  const double now = Now();
  std::fill(select_.begin(), select_.end(), PeerSelect::kReject);
  CollectCandidates(now);
  const bool first = !ever_synced_;
  if (first && !FirstUpdateQuorum()) return;
  if (candidates_.empty() || !IntersectAndCluster()) {
    LoseSystemPeer();
    return;
  }
  if (first && !FirstUpdateAgreement()) return;
  const int peer = ChooseSystemPeer();
  select_[peer] = PeerSelect::kSystemPeer;
  const Combined combined = CombineSurvivors(peer);

  // A first step waits for a few samples from a server in a burst (they
  // are seconds away); a slew may start at once, later samples refine it.
  if (first && update &&
      std::fabs(combined.combined.offset_seconds) > discipline_->step_threshold_seconds()) {
    for (int id : cluster_.survivors) {
      const Association& a = *associations_[id];
      if (a.in_burst() && a.tracker().samples() < kFirstUpdateBurstSamples) return;
    }
  }

  const bool new_peer = !system_peer_.has_value() || *system_peer_ != peer;
  const bool had_peer = system_peer_.has_value();
  if (new_peer) associations_[peer]->NotePeerEvent(PeerEvent::kSystemPeer);
  system_peer_ = peer;
  if (!had_peer && env_.on_upstream_change) env_.on_upstream_change(true);
  if (!update) return;
  UpdateClock(peer, combined, new_peer, now);
}

// Stage 5 (RFC 5905 §11.3): the discipline acts on the combined offset.
void ClientEngine::UpdateClock(int peer, const Combined& combined, bool new_peer,
                               double now) {
  // With a single sample and no known frequency, a fast correction would
  // only be undone by the drift it cannot see: stretch it to the system
  // peer's next sample, which gives the first frequency estimate.
  // Under heavy loss each server gives a sample now and then, too few for
  // its own rate: a line through the samples of all servers (the same
  // oscillator seen through each) learns the frequency from the first
  // samples, so that a first step does not leave the drift to grow into a
  // second one.
  double rate_sigma = combined.rate_sigma;
  std::optional<double> frequency = combined.frequency_ppm;
  bool pooled_rate = false;
  if (rate_sigma > kUncertainRate) {
    const std::optional<PooledRate> pooled = PooledRateEstimate();
    if (pooled.has_value() && pooled->sigma < rate_sigma) {
      rate_sigma = pooled->sigma;
      frequency = pooled->rate * 1e6;
      pooled_rate = true;
    }
  }
  double min_slew_seconds = 0;
  if (rate_sigma > kUncertainRate &&
      associations_[peer]->tracker().samples() < 2) {
    min_slew_seconds = std::clamp(associations_[peer]->next_poll_seconds() - now, 0.0,
                                  kMaxStretchSeconds);
  }

  ApplyLeapVote(cluster_.survivors);
  const std::optional<double> offset = ResolveEra(combined.combined.offset_seconds);
  if (!offset.has_value() || !FirstCorrectionAgreesWithRtc(*offset)) {
    Exit(ClientExit::kPanic);
    return;
  }
  if (!WithinBudget(*offset, now)) return;
  // A rate estimate far less certain than the frequency already in use
  // (survivors with a single sample each, e.g. under heavy loss) must not
  // replace it: that would throw away what was learned.
  if (ever_synced_ && rate_sigma > kVagueRate) frequency.reset();
  const UpdateResult result = discipline_->Update(now, *offset, frequency, min_slew_seconds);
  switch (result.outcome) {
    case UpdateOutcome::kPanic:
      Exit(ClientExit::kPanic);
      return;
    case UpdateOutcome::kIgnored:
    case UpdateOutcome::kStepped:
      // A held-back spike or a step decides the phase only; a frequency
      // the trackers know well (sparse samples over a long span, as under
      // heavy loss) is applied anyway, or the clock drifts off again at
      // the old rate.
      if (frequency.has_value() && (rate_sigma <= kUncertainRate || pooled_rate)) {
        discipline_->SetFrequency(*frequency);
        NoteAppliedRate(rate_sigma);
      }
      if (result.outcome == UpdateOutcome::kStepped) AfterStep(result.offset_seconds);
      return;
    case UpdateOutcome::kSlewed:
      if (frequency.has_value()) NoteAppliedRate(rate_sigma);
      break;
  }
  ++updates_;
  UpdateSystemVariables(*associations_[peer], result.offset_seconds,
                        combined.combined.system_jitter_seconds, now);
  // loopstats' clock jitter and wander: exponential RMS averages over
  // kLoopAverage updates of the offset changes (at least the precision) and
  // of the frequency changes between updates (RFC 5905 Appendix A.5.5.1).
  constexpr double kLoopAverage = 8;
  const double precision = std::ldexp(1.0, env_.system->precision_log2);
  if (clock_jitter_seconds_ == 0) clock_jitter_seconds_ = precision;
  const double offset_change =
      std::max(std::abs(result.offset_seconds - last_update_offset_seconds_), precision);
  last_update_offset_seconds_ = result.offset_seconds;
  clock_jitter_seconds_ = std::sqrt(
      clock_jitter_seconds_ * clock_jitter_seconds_ +
      (offset_change * offset_change - clock_jitter_seconds_ * clock_jitter_seconds_) /
          kLoopAverage);
  const double frequency_change = discipline_->frequency_ppm() - last_update_frequency_ppm_;
  last_update_frequency_ppm_ = discipline_->frequency_ppm();
  if (updates_ > 1) {
    const double old_variance = wander_ppm_ * wander_ppm_;
    wander_ppm_ = std::sqrt(old_variance + (frequency_change * frequency_change - old_variance) /
                                               kLoopAverage);
  }
  LoopStatsRecord stats;
  stats.clock_time = env_.dispatch->now.clock;
  stats.offset = absl::Seconds(result.offset_seconds);
  stats.frequency_ppm = discipline_->frequency_ppm();
  stats.wander_ppm = wander_ppm_;
  stats.jitter = absl::Seconds(clock_jitter_seconds_);
  stats.poll_log2 = associations_[peer]->hpoll();
  env_.dispatch->out->Stats(stats);
  if (!ever_synced_ || new_peer) {
    Report(EventKind::kSync,
           absl::StrFormat("synchronized to %s, stratum %d", env_.system->system_peer,
                           env_.system->stratum));
  }
  ever_synced_ = true;
  if (options_.set_once_and_exit) {
    Report(EventKind::kExit, absl::StrFormat("ntpd: time slew %+.6fs", result.offset_seconds));
    Exit(ClientExit::kDone);
  }
}

void ClientEngine::NoteAppliedRate(double rate_sigma) {
  applied_rate_ = discipline_->frequency_ppm() * 1e-6;
  applied_rate_sigma_ = rate_sigma;
}

// Least squares over the remembered raw offsets of the servers that are
// not falsetickers now. The assumed per-sample noise is at least
// kPooledNoiseFloor, so a fit of two samples is not taken as exact.
std::optional<ClientEngine::PooledRate> ClientEngine::PooledRateEstimate() const {
  double n = 0, st = 0, su = 0;
  double t_min = 0, t_max = 0;
  auto usable = [&](int id) {
    return static_cast<size_t>(id) < select_.size() && select_[id] != PeerSelect::kFalseticker;
  };
  for (const auto& [t, u, id] : pooled_) {
    if (!usable(id)) continue;
    if (n == 0 || t < t_min) t_min = t;
    if (n == 0 || t > t_max) t_max = t;
    n += 1;
    st += t;
    su += u;
  }
  if (n < 2 || t_max - t_min < kPooledMinSpan) return std::nullopt;
  const double t_mean = st / n, u_mean = su / n;
  double sxx = 0, sxu = 0;
  for (const auto& [t, u, id] : pooled_) {
    if (!usable(id)) continue;
    sxx += (t - t_mean) * (t - t_mean);
    sxu += (t - t_mean) * (u - u_mean);
  }
  const double rate = sxu / sxx;
  double sum_sq = 0;
  for (const auto& [t, u, id] : pooled_) {
    if (!usable(id)) continue;
    const double e = u - u_mean - rate * (t - t_mean);
    sum_sq += e * e;
  }
  const double rms = std::sqrt(sum_sq / n);
  if (rms > kPooledMaxResidual) return std::nullopt;
  const double noise = std::max(kPooledNoiseFloor, n > 2 ? std::sqrt(sum_sq / (n - 2)) : 0.0);
  return PooledRate{rate, noise / std::sqrt(sxx)};
}

// RFC 5905 §11.2.3: after a step all associations are reset and the server
// side announces "unsynchronised, STEP" until the next update.
void ClientEngine::AfterStep(double offset_seconds) {
  ++updates_;
  ever_synced_ = true;
  for (auto& a : associations_) {
    a->ResetAfterStep();
    a->SetDesiredPoll(a->minpoll());
  }
  std::fill(samples_at_poll_.begin(), samples_at_poll_.end(), 0);
  SystemVariables& sys = *env_.system;
  sys.leap = Leap::kUnsynchronized;
  sys.stratum = kMaxStratum;
  sys.reference_id = AsciiRefId("STEP");
  sys.root_delay = NtpShort();
  sys.root_dispersion = NtpShort();
  sys.reference_time = NtpTimestamp();
  sys.offset_seconds = offset_seconds;
  sys.frequency_ppm = discipline_->frequency_ppm();
  if (options_.set_once_and_exit) {
    Report(EventKind::kExit, absl::StrFormat("ntpd: time set %+.6fs", offset_seconds));
    Exit(ClientExit::kDone);
  }
}

}  // namespace ntp
