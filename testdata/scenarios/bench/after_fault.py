#!/usr/bin/env python3
"""Prints how a host gets over a fault: detection and recovery per seed.

Runs the simulator on a scenario for some seeds (with --out), reads the
host's per-sample CSV and reports, for the fault at --fault seconds:
detection = the first clock step the host makes itself after the fault
(not the fault's own step), minus the fault time; recovery = the first time
after which |true offset| stays below --threshold to the end, minus the
fault time; and the largest |offset| once recovered. Prints one line per
seed and the worst case (the figure a scenario's 3x limit is built on).

    python3 testdata/scenarios/bench/after_fault.py \\
        --scenario=testdata/scenarios/robustness/client_external_step_forward.textproto \\
        --host=client --fault=1200 [--seeds=1..20] [--threshold=0.001] [--ntpsim=PATH]

Without --ntpsim it uses `bazel run -c opt //:ntpsim`.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def run(ntpsim, scenario, seeds, out):
    args = ["--scenario=" + scenario, "--seeds=" + seeds, "--out=" + out, "--progress=false"]
    cmd = ([ntpsim] if ntpsim else ["bazel", "run", "-c", "opt", "//:ntpsim", "--"]) + args
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(csv_path, fault, threshold):
    """(detection s, recovery s, max |offset| after recovery) or Nones."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    detection = None
    last_bad = None
    for i, r in enumerate(rows):
        t = float(r["t_s"])
        if t < fault:
            continue
        events = [e.strip() for e in r.get("events", "").split(" | ")]
        if detection is None and any(e.startswith("clock_step:") for e in events):
            detection = t - fault
        if abs(float(r["true_offset_s"])) >= threshold:
            last_bad = i
    if last_bad is None:
        return detection, 0.0, 0.0
    if last_bad + 1 >= len(rows):
        return detection, None, None
    recovered = float(rows[last_bad + 1]["t_s"]) - fault
    after = max(abs(float(r["true_offset_s"])) for r in rows[last_bad + 1:])
    return detection, recovered, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--host", default="client")
    parser.add_argument("--fault", type=float, required=True)
    parser.add_argument("--seeds", default="1..20")
    parser.add_argument("--threshold", type=float, default=0.001)
    parser.add_argument("--ntpsim", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        run(args.ntpsim, os.path.abspath(args.scenario), args.seeds, out)
        dirs = sorted(d for d in os.listdir(out) if d.startswith("seed-"))
        if not dirs:  # a single seed writes straight into `out`
            dirs = ["."]
        worst_detection = worst_recovery = worst_after = 0.0
        print("%-10s %-12s %-12s %-16s" % ("seed", "detection s", "recovery s", "max |offset| s"))
        for d in dirs:
            path = os.path.join(out, d, args.host + ".csv")
            if not os.path.exists(path):
                print("%-10s no CSV for host %s" % (d, args.host))
                continue
            det, rec, after = measure(path, args.fault, args.threshold)
            fmt = lambda x: "never" if x is None else "%.0f" % x
            print("%-10s %-12s %-12s %-16s" %
                  (d, fmt(det), fmt(rec), "-" if after is None else "%.3g" % after))
            worst_detection = max(worst_detection, det if det is not None else float("inf"))
            worst_recovery = max(worst_recovery, rec if rec is not None else float("inf"))
            worst_after = max(worst_after, after if after is not None else float("inf"))
        print("worst      %-12.0f %-12.0f %-16.3g" % (worst_detection, worst_recovery, worst_after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
