"""Cohort definitions with the oracle's exact counts, for the page test that runs the wasm build.

Writes one JSON file: the hand-written cases of one dataset kind (`cohort_cases.CASES` for the
synthetic 10k dataset, `cohort_cases.EUNOMIA_CASES` for Eunomia) plus N random valid definitions
drawn by `random_definitions.generate` with `random.Random(f"{seed}:{index}")` (the draws of
test_cohort_oracle.py for the same seed), each with the raw counts `workbench_oracle.count` computes
with DuckDB over the dataset's Parquet files:

    {"kind", "seed", "random", "cases": [{"name", "index", "definition",
                                           "expected": {"total", "includes", "excludes"}}]}

The exact counts stay in the test runner: the page only ever sees definitions and answers with
disclosed counts, which the test compares with the disclosure of these.

    python tests/python/export_browser_cases.py --data DIR --kind synthetic|eunomia \
        --random N --seed S --out FILE.json
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

import duckdb

import random_definitions
from cohort_cases import CASES, EUNOMIA_CASES
from cohortlens_oracle import workbench as workbench_oracle

HAND_WRITTEN = {"synthetic": CASES, "eunomia": EUNOMIA_CASES}


def export(data_dir, kind, random_count, seed):
    """The cases of `kind` and `random_count` random definitions, each with its oracle counts."""
    con = duckdb.connect()
    try:
        cases = [{"name": name, "index": None, "definition": definition,
                  "expected": workbench_oracle.count(con, data_dir, definition)}
                 for name, definition in HAND_WRITTEN[kind]]
        catalog = random_definitions.build_catalog(con, data_dir)
        for index in range(random_count):
            definition = random_definitions.generate(random.Random(f"{seed}:{index}"), catalog)
            # The generator draws valid definitions only; an oracle failure is a bug to see.
            cases.append({"name": f"random {index}", "index": index, "definition": definition,
                          "expected": workbench_oracle.count(con, data_dir, definition)})
        return cases
    finally:
        con.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="dataset directory (Parquet + manifest)")
    parser.add_argument("--kind", required=True, choices=sorted(HAND_WRITTEN),
                        help="which hand-written cases apply to this dataset")
    parser.add_argument("--random", type=int, default=500, help="random definitions to add")
    parser.add_argument("--seed", type=int, default=20251122, help="seed of the random ones")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()

    started = time.monotonic()
    cases = export(args.data, args.kind, args.random, args.seed)
    with open(args.out, "w") as f:
        json.dump({"kind": args.kind, "seed": args.seed, "random": args.random, "cases": cases}, f)
    print(f"{len(cases)} {args.kind} cases ({args.random} random, seed {args.seed}) "
          f"written to {args.out} in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
