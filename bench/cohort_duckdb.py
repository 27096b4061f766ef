"""DuckDB side of scripts/bench cohort: times the oracle's SQL (oracle/cohortlens_oracle/cohort.py) for the
cohort total of each definition, over views of the dataset's Parquet files (nothing loaded
into DuckDB tables first). Per definition, cold = translate + run on a fresh connection, warm =
median of REPEATS more runs on that connection; the translation (which looks descendants up in
concept_ancestor) is counted, as the engine's concept-set resolution is. Prints one JSON line
per definition: {name, raw, coldMs, warmMs}.

    python bench/cohort_duckdb.py --data DIR --definitions bench/cohort-definitions.json
"""

import argparse
import json
import os
import statistics
import time

import duckdb
from cohortlens_oracle import cohort as oracle


def connect(data_dir):
    """A fresh connection with schema `ds` holding one view per table (and per data filter)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ds")
    for table in oracle.TABLES:
        file = os.path.abspath(os.path.join(data_dir, f"{table}.parquet")).replace("'", "''")
        # The oracle tells identical rows apart by `rowid`, which a view lacks: the row number.
        con.execute(f"CREATE VIEW ds.{table} AS SELECT * EXCLUDE (file_row_number), "
                    f"file_row_number AS rowid FROM read_parquet('{file}', file_row_number = true)")
    for name in oracle.DATA_FILTERS:
        con.execute(f"CREATE VIEW ds.{name.lower()} AS {oracle.data_filter_persons('ds', name)}")
    return con


def total(con, cdr_date, definition):
    """The raw cohort total: the oracle's query with only the total selected."""
    translation = oracle.Translation(con, "ds", cdr_date,
                                     bool(definition.get("restrictToObservationPeriod", False)))
    translation.cohort(definition)
    translation.counts = []  # drop the per-group and per-item counts
    return con.execute(translation.sql()).fetchone()[3]  # (kind, g, i, n)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--definitions", required=True)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    cdr_date = oracle.reference_date(args.data)
    with open(args.definitions) as f:
        named = json.load(f)
    for entry in named:
        con = connect(args.data)
        raw, cold = timed(lambda: total(con, cdr_date, entry["definition"]))
        warm = []
        for _ in range(args.repeats):
            again, ms = timed(lambda: total(con, cdr_date, entry["definition"]))
            assert again == raw, f"{entry['name']}: DuckDB gave {raw} then {again}"
            warm.append(ms)
        con.close()
        print(json.dumps({"name": entry["name"], "raw": raw, "coldMs": cold,
                          "warmMs": statistics.median(warm)}), flush=True)


if __name__ == "__main__":
    main()
