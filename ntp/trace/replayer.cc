// Trace replay (replayer.h).
#include "ntp/trace/replayer.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ntp/config/parser.h"
#include "ntp/host.h"
#include "ntp/trace/codec.h"
#include "ntp/trace/keys.h"
#include "ntp/trace/trace.pb.h"

namespace ntp::trace {
namespace {

absl::Status CheckHeader(const std::vector<Record>& records) {
  if (records.empty() || !records[0].has_header()) {
    return absl::FailedPreconditionError("not a trace: the first record is not a header");
  }
  const uint32_t version = records[0].header().format_version();
  if (version != FORMAT_VERSION_CURRENT) {
    return absl::FailedPreconditionError(
        absl::StrCat("trace format version ", version, " is not supported (this replayer reads ",
                     static_cast<int>(FORMAT_VERSION_CURRENT), ")"));
  }
  return absl::OkStatus();
}

void AppendActions(absl::string_view title, const ActionList& list, std::string* out) {
  absl::StrAppend(out, title, " (", list.actions_size(), "):\n");
  for (const Action& action : list.actions()) {
    absl::StrAppend(out, "    ", DescribeAction(action), "\n");
  }
}

}  // namespace

absl::StatusOr<std::vector<Record>> ReplayableRecords(absl::string_view trace_bytes) {
  absl::StatusOr<std::vector<Record>> records = ParseFramed(trace_bytes);
  if (!records.ok()) return records.status();
  if (!records->empty() && (*records)[0].has_segment()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this is segment ", (*records)[0].segment().index(),
        " of a rotated trace: replay needs every file from the first one on, oldest first "
        "(ntpreplay FILE finds FILE.N .. FILE.1 beside FILE)"));
  }
  if (absl::Status status = CheckHeader(*records); !status.ok()) return status;
  std::vector<Record> out;
  out.reserve(records->size());
  uint32_t next_segment = 1;
  for (size_t i = 0; i < records->size(); ++i) {
    Record& record = (*records)[i];
    if (record.has_segment()) {
      if (record.segment().index() != next_segment) {
        return absl::DataLossError(absl::StrCat(
            "record ", i, ": segment ", record.segment().index(), " where segment ",
            next_segment, " should follow (a rotated file is missing or out of order)"));
      }
      ++next_segment;
      continue;
    }
    if (i > 0 && record.has_header()) {
      return absl::DataLossError(
          absl::StrCat("record ", i, ": a second header (two traces concatenated?)"));
    }
    out.push_back(std::move(record));
  }
  return out;
}

absl::StatusOr<RebuiltHost> RebuildHost(const Header& header, const KeyStore* keys,
                                        const NtpConfig* config_override) {
  RebuiltHost rebuilt;
  if (config_override != nullptr) {
    rebuilt.config = *config_override;
  } else {
    absl::StatusOr<NtpConfig> config =
        ParseRecordedConfig(header.config_text(), header.provenance());
    if (!config.ok()) return config.status();
    rebuilt.config = *std::move(config);
  }
  absl::StatusOr<ntp::HostOptions> options = DecodeOptions(header.options());
  if (!options.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the recorded options: ", options.status().message()));
  }
  rebuilt.options = *std::move(options);
  absl::StatusOr<std::optional<KeyStore>> replay_keys = ReplayKeys(header, keys);
  if (!replay_keys.ok()) return replay_keys.status();
  rebuilt.keys = *std::move(replay_keys);
  absl::StatusOr<std::unique_ptr<Host>> host =
      Host::Create(rebuilt.config, rebuilt.options,
                   rebuilt.keys.has_value() ? &*rebuilt.keys : nullptr);
  if (!host.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot rebuild the host: ", host.status().message()));
  }
  rebuilt.host = *std::move(host);
  return rebuilt;
}

absl::StatusOr<ReplayResult> Replay(absl::string_view trace_bytes, const ReplayOptions& options) {
  absl::StatusOr<std::vector<Record>> records = ReplayableRecords(trace_bytes);
  if (!records.ok()) return records.status();
  const Header& header = (*records)[0].header();
  absl::StatusOr<RebuiltHost> rebuilt = RebuildHost(header, options.keys);
  if (!rebuilt.ok()) return rebuilt.status();
  Host& host = *rebuilt->host;
  const bool all_requests = header.server_requests() == SERVER_REQUESTS_ALL;

  ReplayResult result;
  uint64_t uncompared = 0;
  ActionList actual;
  for (size_t i = 1; i < records->size(); ++i) {
    const Record& record = (*records)[i];
    if (record.has_dropped()) {
      return absl::DataLossError(absl::StrCat(
          "incomplete trace: the recorder dropped ", record.dropped().count(),
          " records at record ", i, " (identical up to there: ", result.inputs, " inputs, ",
          result.actions, " actions)"));
    }
    if (!record.has_input()) {
      return absl::DataLossError(
          absl::StrCat("corrupt trace: record ", i, " should be an input"));
    }
    if (i + 1 >= records->size() || !(*records)[i + 1].has_actions()) {
      if (i + 1 < records->size() && (*records)[i + 1].has_dropped()) continue;
      return absl::DataLossError(absl::StrCat("incomplete trace: input record ", i,
                                              " has no action list after it"));
    }
    DecodedInput input;
    if (absl::Status status = DecodeInput(record.input(), &input); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("record ", i, ": ", status.message()));
    }
    actual.Clear();
    EncodeActions(host.Handle(input.input), &actual);
    ++result.inputs;
    const ActionList& expected = (*records)[i + 1].actions();
    if (!all_requests && record.input().has_datagram() &&
        IsServerRequest(record.input().datagram().payload())) {
      ++uncompared;
      ++i;
      continue;
    }
    if (actual.SerializeAsString() != expected.SerializeAsString()) {
      result.divergent_record = static_cast<int64_t>(i + 1);
      result.divergent_monotonic_ns = record.input().now().monotonic().ns();
      result.report = absl::StrCat("first divergence at record ", i + 1,
                                   " (the actions for input record ", i, ", monotonic ",
                                   FormatNanos(record.input().now().monotonic()), " ns)\n  input: ",
                                   DescribeInput(record.input()), "\n");
      AppendActions("  expected", expected, &result.report);
      AppendActions("  actual", actual, &result.report);
      return result;
    }
    result.actions += static_cast<uint64_t>(expected.actions_size());
    ++i;
  }
  result.identical = true;
  result.report =
      absl::StrCat("identical (", result.inputs, " inputs, ", result.actions, " actions)");
  if (uncompared > 0) {
    absl::StrAppend(&result.report, "; ", uncompared,
                    " served requests replayed but not compared (the trace holds only some)");
  }
  return result;
}

absl::StatusOr<std::string> Dump(absl::string_view trace_bytes) {
  absl::StatusOr<std::vector<Record>> records = ParseFramed(trace_bytes);
  if (!records.ok()) return records.status();
  std::string out;
  for (size_t i = 0; i < records->size(); ++i) {
    const Record& record = (*records)[i];
    absl::StrAppend(&out, i, " ");
    switch (record.kind_case()) {
      case Record::kHeader: {
        Header header = record.header();
        const std::string config = header.config_text();
        header.clear_config_text();
        header.clear_keys();
        header.clear_key_salt();
        absl::StrAppend(&out, "header ", header.ShortDebugString(), " config_text: \"",
                        absl::CEscape(config), "\"");
        // Never a secret: a key's ID, algorithm and fingerprint.
        for (const TraceKey& key : record.header().keys()) {
          absl::StrAppend(&out, " key { id: ", key.id(), " algorithm: ", key.algorithm(),
                          " sha256: ", absl::BytesToHexString(key.fingerprint()),
                          key.secret().empty() ? "" : " secret: included", " }");
        }
        break;
      }
      case Record::kSegment: {
        absl::StrAppend(&out, "segment ", record.segment().index());
        break;
      }
      case Record::kInput:
        absl::StrAppend(&out, "input ", DescribeInput(record.input()));
        break;
      case Record::kActions: {
        absl::StrAppend(&out, "actions (", record.actions().actions_size(), ")");
        for (const Action& action : record.actions().actions()) {
          absl::StrAppend(&out, " [", DescribeAction(action), "]");
        }
        break;
      }
      case Record::kDropped:
        absl::StrAppend(&out, "dropped ", record.dropped().count(), " records");
        break;
      case Record::KIND_NOT_SET:
        break;
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace ntp::trace
