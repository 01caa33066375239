#!/usr/bin/env python3
"""Prints the client accuracy table: our client against chronyd 4.3.

Runs the simulator on each benchmark model in this folder (M1, M1 with
iburst, M2, M3; each file's header describes its model) for 10 seeds, reads
the client's per-second true offsets, and computes: converge = the first
second after which |offset| <= 1 ms for the rest of the run; RMS = the RMS
offset from then on. Prints median [range] over the seeds next to chronyd
4.3's figures for the same models (in MODELS below), and the ratios (goal:
converge ratio <= 1, RMS ratio <= 0.8).

    python3 testdata/scenarios/bench/table.py [--seeds=1..10] [--ntpsim=PATH]

Without --ntpsim it uses `bazel run -c opt //:ntpsim`.
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

# (file, label, chronyd 4.3 converge s, chronyd 4.3 RMS us) for each model.
MODELS = [
    ("m1.textproto", "M1", 132, 22.0),
    ("m1_iburst.textproto", "M1 iburst", 7, 19.0),
    ("m2.textproto", "M2", 132, 100.0),
    ("m3.textproto", "M3", 35, 2.5),
]


def run(ntpsim, scenario, seeds, out):
    args = ["--scenario=" + scenario, "--seeds=" + seeds, "--out=" + out, "--progress=false"]
    if ntpsim:
        cmd = [ntpsim] + args
    else:
        cmd = ["bazel", "run", "-c", "opt", "//:ntpsim", "--"] + args
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(csv_path, threshold=1e-3):
    with open(csv_path, newline="") as f:
        rows = [(float(r["t_s"]), float(r["true_offset_s"])) for r in csv.DictReader(f)]
    last_bad = -1
    for i, (_, off) in enumerate(rows):
        if abs(off) > threshold:
            last_bad = i
    if last_bad + 1 >= len(rows):
        return None, None
    tail = [off for _, off in rows[last_bad + 1:]]
    rms = (sum(o * o for o in tail) / len(tail)) ** 0.5
    return rows[last_bad + 1][0], rms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1..10")
    parser.add_argument("--ntpsim", default="")
    args = parser.parse_args()
    print("%-10s %-22s %-24s %-10s %-10s %-9s %-9s" %
          ("model", "converge s med [range]", "RMS us med [range]", "chrony cv",
           "chrony RMS", "cv ratio", "RMS ratio"))
    for path, label, chrony_cv, chrony_rms in MODELS:
        with tempfile.TemporaryDirectory() as out:
            run(args.ntpsim, os.path.join(HERE, path), args.seeds, out)
            cv, rms = [], []
            for seed_dir in sorted(os.listdir(out)):
                c, r = measure(os.path.join(out, seed_dir, "client.csv"))
                if c is not None:
                    cv.append(c)
                    rms.append(r * 1e6)
        if not cv:
            print("%-10s no run converged" % label)
            continue
        cvm, rmsm = statistics.median(cv), statistics.median(rms)
        print("%-10s %5.0f [%5.0f, %5.0f]    %6.2f [%6.2f, %6.2f]   %-10.0f %-10.1f %-9.2f %-9.2f" %
              (label, cvm, min(cv), max(cv), rmsm, min(rms), max(rms), chrony_cv, chrony_rms,
               cvm / chrony_cv, rmsm / chrony_rms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
