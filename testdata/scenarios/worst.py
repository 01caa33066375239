#!/usr/bin/env python3
"""Prints the worst value of every check of scenario files over many seeds.

Thresholds follow the 3x rule (README.md here): each check's limit is at
most 3 times the worst value measured over at least 10 seeds, and the
scenario file's comment states both. This runs each file over the seeds,
reads every run's check details from the summary JSON, and prints per
check: how many seeds passed, the worst measured value, the limit and
limit / worst.

    python3 testdata/scenarios/worst.py FILE... [--seeds=1..10] [--ntpsim=PATH]

Without --ntpsim it uses `bazel run //:ntpsim`.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NUMBER = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?)"

# (pattern of the detail, index of the measured group, worst is the max?)
MEASURES = [
    (r"rms \|offset\| " + NUMBER + "s", "rms |offset| s", max),
    (r"max \|offset\| " + NUMBER + "s", "max |offset| s", max),
    (r"max \|frequency error\| " + NUMBER + "ppm", "max |freq error| ppm", max),
    (r"last at t=" + NUMBER + "s", "converged at s", max),
    (r"^(\d+) steps \(limit", "steps", max),
    (r"stepped at t=" + NUMBER + "s", "late step at s", max),
    (r"exit \w+ at t=" + NUMBER + "s", "exit at s", max),
]
POLL = re.compile(r"poll 2\^(-?\d+)\.\.2\^(-?\d+) s after .*?(\d+) requests")
LIMIT = re.compile(r"limits?:? ?" + NUMBER)


def run(ntpsim, path, seeds, summary):
    args = ["--scenario=" + os.path.abspath(path), "--seeds=" + seeds,
            "--summary_json=" + summary, "--progress=false"]
    cmd = ([ntpsim] + args) if ntpsim else (["bazel", "run", "//:ntpsim", "--"] + args)
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def worst_of(details):
    """The worst measured value(s) over the runs' details, as text."""
    for pattern, label, pick in MEASURES:
        values = [float(m.group(1)) for d in details for m in [re.search(pattern, d)] if m]
        if values:
            return "%s %.3g" % (label, pick(values))
    polls = [POLL.search(d) for d in details]
    polls = [m for m in polls if m]
    if polls:
        return "poll 2^%d..2^%d, requests %d" % (min(int(m.group(1)) for m in polls),
                                                 max(int(m.group(2)) for m in polls),
                                                 max(int(m.group(3)) for m in polls))
    if all("throughout" in d for d in details):
        return "within the bound throughout"
    return details[0] if len(set(details)) == 1 else "%d different outcomes" % len(set(details))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--seeds", default="1..10")
    parser.add_argument("--ntpsim", default="")
    args = parser.parse_args()
    status = 0
    for path in args.files:
        with tempfile.TemporaryDirectory() as out:
            summary = os.path.join(out, "summary.json")
            run(args.ntpsim, path, args.seeds, summary)
            if not os.path.exists(summary):
                print("%s: did not run" % path)
                status = 1
                continue
            with open(summary) as f:
                data = json.load(f)
        print("%s (seeds %s)" % (path, args.seeds))
        # One line per check entry: the hosts of a `count` group (NAME0,
        # NAME1, ...) together.
        folded = {}
        checks = data["runs"][0]["checks"]
        for i, c in enumerate(checks):
            folded.setdefault(re.sub(r"(/[A-Za-z_.-]*?)\d+$", r"\1*", c["name"]), []).append(i)
        # A name ending in a digit on its own (stratum1) stays as it is.
        groups = {(name if len(ix) > 1 else checks[ix[0]]["name"]): ix
                  for name, ix in folded.items()}
        for name, indices in groups.items():
            details = [r["checks"][i]["detail"] for r in data["runs"] for i in indices]
            passed = sum(1 for r in data["runs"] for i in indices if r["checks"][i]["passed"])
            limit = LIMIT.search(details[0])
            print("  %-50s %3d/%d passed  worst: %s%s" %
                  (name, passed, len(details), worst_of(details),
                   ("  (limit %s)" % limit.group(1)) if limit else ""))
            if passed != len(details):
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
