#!/usr/bin/env python3
"""Prints the client accuracy table: our client against chronyd 4.3.

Runs the simulator on each headline model in this folder (headline.py; each
file's header describes its model) for 10 seeds and prints converge, RMS
and packets (median [range] over the seeds; how they are measured: README.md
here) next to chronyd 4.3's row with the same settings, read from
README.md, and the ratios to it.

    python3 testdata/scenarios/bench/table.py [--seeds=1..10] [--ntpsim=PATH]

Without --ntpsim it uses `bazel run -c opt //:ntpsim`.
"""
import argparse
import os
import sys
import tempfile

import headline

ROOT = os.path.abspath(os.path.join(headline.HERE, "..", "..", ".."))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1..10")
    parser.add_argument("--ntpsim", default="")
    args = parser.parse_args()
    anchors = headline.chrony_anchors()
    print("%-13s %-20s %-24s %-16s | %-22s | %-8s %-8s %-8s" %
          ("model", "converge s med [range]", "RMS us med [range]", "packets med [range]",
           "chronyd cv / RMS / pkts", "cv x", "RMS x", "pkts x"))
    for path, label, _ in headline.MODELS:
        with tempfile.TemporaryDirectory() as out:
            headline.run(os.path.abspath(args.ntpsim) if args.ntpsim else None,
                         os.path.join(headline.HERE, path), args.seeds, out, ROOT)
            results = headline.model_runs(out)
        med = headline.medians(results)
        if med is None:
            print("%-13s a run never converged" % label)
            continue
        cv = [r[0] for r in results]
        rms = [r[1] * 1e6 for r in results]
        pk = [r[2] for r in results]
        c = anchors[path]
        print("%-13s %5.0f [%5.0f, %5.0f]    %6.2f [%6.2f, %6.2f]   %4.0f [%4d, %4d] | %4.0f / %5.1f / %4.0f      | %-8.2f %-8.2f %-8.2f" %
              (label, med["converge"], min(cv), max(cv), med["rms"], min(rms), max(rms),
               med["packets"], min(pk), max(pk), c["converge"], c["rms"], c["packets"],
               med["converge"] / c["converge"], med["rms"] / c["rms"],
               med["packets"] / c["packets"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
