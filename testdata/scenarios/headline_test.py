"""The headline accuracy models in every `bazel test //...`.

Runs each model of bench/headline.py over seeds 1-10 with the simulator and
checks its goals on the medians against chronyd 4.3's row with the same
settings (bench/README.md): RMS after convergence, requests sent and time to
converge, each as a largest ratio. A 10x accuracy regression fails here.

    headline_test.py --ntpsim=PATH [--seeds=1..10]
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
import headline  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ntpsim", required=True)
    parser.add_argument("--seeds", default="1..10")
    args = parser.parse_args()
    ntpsim = os.path.abspath(args.ntpsim)
    anchors = headline.chrony_anchors()
    failures = 0
    for path, label, goals in headline.MODELS:
        if path not in anchors:
            print("FAIL %s: no chronyd row for %s in bench/README.md" % (label, path))
            failures += 1
            continue
        with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as out:
            headline.run(ntpsim, os.path.join(headline.HERE, path), args.seeds, out, os.getcwd())
            med = headline.medians(headline.model_runs(out))
        if med is None:
            print("FAIL %s: a run did not converge (or did not run)" % label)
            failures += 1
            continue
        for measure, limit in goals:
            ratio = med[measure] / anchors[path][measure]
            ok = ratio <= limit
            failures += not ok
            print("%s %-13s %-8s median %8.3f, chronyd %8.3f: %.2fx (limit %.2fx)" %
                  ("PASS" if ok else "FAIL", label, measure, med[measure],
                   anchors[path][measure], ratio, limit))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
