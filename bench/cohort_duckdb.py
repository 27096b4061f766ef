"""DuckDB side of scripts/bench cohort: times the Workbench oracle's SQL
(oracle/cohortlens_oracle/workbench.py) for the cohort total of each definition. One connection
per dataset: `workbench.load` reads the Parquet files into DuckDB tables and builds the
Workbench search tables (cb_search_all_events, cb_search_person, the criteria and drug trees),
timed once as the build (as cohortlens builds its index once in Lens.open); then per definition
`SELECT count(*)` over `workbench.cohort_sql`, cold = first run, warm = median of REPEATS more.
The timed query resolves concept sets itself (subqueries over the criteria trees). Each total
is checked against `workbench.count` (untimed). Prints one JSON line for the build
{buildMs}, then one per definition: {name, raw, coldMs, warmMs}.

    python bench/cohort_duckdb.py --data DIR --definitions bench/cohort-definitions.json
"""

import argparse
import json
import statistics
import time

import duckdb
from cohortlens_oracle import workbench


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
    with open(args.definitions) as f:
        named = json.load(f)
    con = duckdb.connect()
    schema, build = timed(lambda: workbench.load(con, args.data))
    print(json.dumps({"buildMs": build}), flush=True)
    for entry in named:
        sql = f"SELECT count(*) FROM ({workbench.cohort_sql(schema, entry['definition'])})"
        raw, cold = timed(lambda: con.execute(sql).fetchone()[0])
        warm = []
        for _ in range(args.repeats):
            again, ms = timed(lambda: con.execute(sql).fetchone()[0])
            assert again == raw, f"{entry['name']}: DuckDB gave {raw} then {again}"
            warm.append(ms)
        expected = workbench.count(con, args.data, entry["definition"])["total"]
        assert raw == expected, f"{entry['name']}: cohort_sql gives {raw}, workbench.count {expected}"
        print(json.dumps({"name": entry["name"], "raw": raw, "coldMs": cold,
                          "warmMs": statistics.median(warm)}), flush=True)
    con.close()


if __name__ == "__main__":
    main()
