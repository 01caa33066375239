#!/usr/bin/python3
"""Coverage merger stand-in: turns gcc 12's gcov JSON files into lcov.

Bazel calls it with --coverage_dir, --output_file, repeated --filter_sources
and --source_file_manifest. gcc writes *.gcov.json.gz into the coverage dir.
"""
import gzip
import json
import os
import re
import sys


def main(argv):
    coverage_dir = output_file = manifest = None
    filters = []
    for arg in argv[1:]:
        key, _, value = arg.partition("=")
        if key == "--coverage_dir":
            coverage_dir = value
        elif key == "--output_file":
            output_file = value
        elif key == "--filter_sources":
            filters.append(re.compile(value))
        elif key == "--source_file_manifest":
            manifest = value
    if not output_file:
        print("lcov_merger: --output_file missing", file=sys.stderr)
        return 1
    wanted = None
    if manifest and os.path.exists(manifest):
        with open(manifest) as f:
            wanted = {line.strip() for line in f if line.strip()}
    records = []
    for root, _, files in os.walk(coverage_dir or "."):
        for name in sorted(files):
            if not name.endswith(".gcov.json.gz"):
                continue
            with gzip.open(os.path.join(root, name), "rt") as f:
                data = json.load(f)
            for entry in data.get("files", []):
                path = entry["file"]
                if any(p.match(path) for p in filters):
                    continue
                if wanted is not None and path not in wanted:
                    continue
                lines = ["SF:" + path]
                for fn in entry.get("functions", []):
                    lines.append("FN:%d,%s" % (fn["start_line"], fn["name"]))
                    lines.append("FNDA:%d,%s" % (fn["execution_count"], fn["name"]))
                hit = 0
                total = 0
                for line in entry.get("lines", []):
                    total += 1
                    if line["count"] > 0:
                        hit += 1
                    lines.append("DA:%d,%d" % (line["line_number"], line["count"]))
                lines.append("LH:%d" % hit)
                lines.append("LF:%d" % total)
                lines.append("end_of_record")
                records.append("\n".join(lines))
    with open(output_file, "w") as f:
        if records:
            f.write("\n".join(records) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
