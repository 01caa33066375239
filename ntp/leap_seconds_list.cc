#include "ntp/leap_seconds_list.h"

#include <openssl/sha.h>

#include <array>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ntp {
namespace {

// NTP era 0 starts 2208988800 s before the Unix epoch (RFC 5905 §6).
constexpr int64_t kNtpToUnix = 2208988800;
constexpr int64_t kDay = 86400;

absl::Status Error(absl::string_view file, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", message));
}

void HashDigits(absl::string_view text, std::string& digits) {
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
}

}  // namespace

absl::Time LeapSecondsList::updated() const {
  return absl::FromUnixSeconds(updated_ntp_seconds - kNtpToUnix);
}

absl::Time LeapSecondsList::expires() const {
  return absl::FromUnixSeconds(expires_ntp_seconds - kNtpToUnix);
}

int LeapSecondsList::TaiOffsetAt(absl::Time t) const {
  const int64_t ntp = absl::ToUnixSeconds(t) + kNtpToUnix;
  int offset = 0;
  for (const LeapSecondsEntry& e : entries) {
    if (e.ntp_seconds > ntp) break;
    offset = e.tai_offset;
  }
  return offset;
}

Leap LeapSecondsList::LeapAtEndOfDay(absl::Time t) const {
  const int64_t ntp = absl::ToUnixSeconds(t) + kNtpToUnix;
  const int64_t next_midnight = (ntp / kDay + 1) * kDay;
  int before = 0;
  for (const LeapSecondsEntry& e : entries) {
    if (e.ntp_seconds == next_midnight) {
      if (e.tai_offset == before + 1) return Leap::kInsertSecond;
      if (e.tai_offset == before - 1) return Leap::kDeleteSecond;
      return Leap::kNoWarning;
    }
    if (e.ntp_seconds > next_midnight) break;
    before = e.tai_offset;
  }
  return Leap::kNoWarning;
}

absl::StatusOr<LeapSecondsList> ParseLeapSecondsList(absl::string_view text,
                                                     absl::string_view file_name,
                                                     bool ignore_hash) {
  LeapSecondsList list;
  std::string digits;
  std::optional<std::array<uint32_t, 5>> hash;
  bool have_updated = false, have_expires = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "#$")) {
      HashDigits(line, digits);
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &list.updated_ntp_seconds)) {
        return Error(file_name, line_number, "#$: expected the last-update time (NTP seconds)");
      }
      have_updated = true;
    } else if (absl::ConsumePrefix(&line, "#@")) {
      HashDigits(line, digits);
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &list.expires_ntp_seconds)) {
        return Error(file_name, line_number, "#@: expected the expiry time (NTP seconds)");
      }
      have_expires = true;
    } else if (absl::ConsumePrefix(&line, "#h")) {
      std::vector<absl::string_view> words =
          absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      std::array<uint32_t, 5> h{};
      bool ok = words.size() == 5;
      for (size_t i = 0; ok && i < 5; ++i) ok = absl::SimpleHexAtoi(words[i], &h[i]);
      if (!ok) return Error(file_name, line_number, "#h: expected five hex words (SHA-1)");
      hash = h;
    } else if (line.empty() || line[0] == '#') {
      continue;
    } else {
      const absl::string_view data = line.substr(0, line.find('#'));
      HashDigits(data, digits);
      std::vector<absl::string_view> fields =
          absl::StrSplit(data, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      LeapSecondsEntry e;
      if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &e.ntp_seconds) ||
          !absl::SimpleAtoi(fields[1], &e.tai_offset)) {
        return Error(file_name, line_number, "expected: NTP-seconds TAI-offset [# comment]");
      }
      if (!list.entries.empty() && e.ntp_seconds <= list.entries.back().ntp_seconds) {
        return Error(file_name, line_number, "entries must be in ascending time order");
      }
      list.entries.push_back(e);
    }
  }
  if (!have_updated) return Error(file_name, line_number, "no #$ (last update) line");
  if (!have_expires) return Error(file_name, line_number, "no #@ (expiry) line");
  if (list.entries.empty()) return Error(file_name, line_number, "no leap second entries");
  if (!ignore_hash) {
    if (!hash.has_value()) return Error(file_name, line_number, "no #h (hash) line");
    std::array<uint8_t, SHA_DIGEST_LENGTH> sha{};
    SHA1(reinterpret_cast<const uint8_t*>(digits.data()), digits.size(), sha.data());
    for (size_t i = 0; i < 5; ++i) {
      const uint32_t word = uint32_t{sha[4 * i]} << 24 | uint32_t{sha[4 * i + 1]} << 16 |
                            uint32_t{sha[4 * i + 2]} << 8 | uint32_t{sha[4 * i + 3]};
      if (word != (*hash)[i]) {
        return Error(file_name, line_number, "hash mismatch: the file is damaged or altered");
      }
    }
    list.hash_checked = true;
  }
  return list;
}

}  // namespace ntp
