// WireResult<T, E>: what a wire parser returns, either a parsed value or a
// typed rejection reason. Unlike absl::StatusOr it never allocates or builds
// a message, so a receiver can count drops per reason on the hot path by
// indexing an array with the enum. Not for errors that need explaining to a
// person: use absl::Status there.
#ifndef NTP_WIRE_WIRE_RESULT_H_
#define NTP_WIRE_WIRE_RESULT_H_

#include <type_traits>
#include <utility>

namespace ntp {

// REQUIRES: T is default-constructible; E is an enum.
template <typename T, typename E>
class WireResult {
  static_assert(std::is_enum_v<E>);

 public:
  // Implicit on purpose: `return packet;` and `return PacketError::kX;`.
  WireResult(T value) : value_(std::move(value)), ok_(true) {}  // NOLINT
  WireResult(E error) : error_(error), ok_(false) {}            // NOLINT

  bool ok() const { return ok_; }
  // The rejection reason. REQUIRES: !ok() (returns E{} when ok()).
  E error() const { return error_; }
  // The parsed value. REQUIRES: ok(). On a rejection this is a
  // default-constructed T rather than undefined behaviour.
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  const T& operator*() const& { return value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  E error_{};
  bool ok_;
};

}  // namespace ntp

#endif  // NTP_WIRE_WIRE_RESULT_H_
