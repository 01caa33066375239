#!/usr/bin/env python3
"""Fails when a forbidden dependency edge appears between the layers of the
architecture (README.md, "Layers").

Each input file is the output of a `genquery` (tools/BUILD): the transitive
dependencies of one group of targets. The rules checked here:
  - the core (ntp/, but the executor) reaches no seam, no adapter, no
    simulator and no program;
  - the simulator reaches no real adapter;
  - production targets reach no test double.
"""
import sys

# What each group may not reach.
# The file-reader port (//clock:file_reader) is not among them: it is an
# interface the ntp.conf parser reads its includes through.
SEAMS = ["//clock:clock", "//clock:scheduler", "//net:network", "//clock:drift_store"]
ADAPTERS = ["//clock:system_clock", "//clock:drift_file", "//clock:posix_file_reader",
            "//net:udp_socket", "//net:poll_loop", "//clock:timer_queue"]
DOUBLES = ["//clock:fake_clock", "//clock:manual_scheduler", "//net:fake_network",
           "//ntp/testing:", "//clock:recording_kernel_calls"]

RULES = {
    "core": ("the protocol core", SEAMS + ADAPTERS + DOUBLES + ["//sim", "//tools",
                                                                "//ntp/runtime"]),
    "sim": ("the simulator", ADAPTERS + DOUBLES + ["//tools"]),
    "production": ("the daemon and the simulator", DOUBLES),
}


def labels(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip().startswith("//")]


def forbidden(label, entries):
    """The entry that forbids `label`: "//pkg:" forbids a whole package,
    "//pkg" a package and its subpackages, anything else one target."""
    for e in entries:
        if e.endswith(":"):
            if label.startswith(e):
                return e
        elif ":" not in e:
            if label.startswith(e + ":") or label.startswith(e + "/"):
                return e
        elif label == e:
            return e
    return None


def main(argv):
    failures = 0
    checked = 0
    for arg in argv[1:]:
        rule, _, path = arg.partition("=")
        what, prefixes = RULES[rule]
        for label in labels(path):
            checked += 1
            hit = forbidden(label, prefixes)
            if hit is not None:
                failures += 1
                print(f"FORBIDDEN: {what} depends on {label} (rule '{rule}': {hit})")
    print(f"{checked} dependency labels checked, {failures} forbidden")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
