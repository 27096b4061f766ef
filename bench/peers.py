"""DuckDB side of scripts/bench: the SQL every DuckDB peer runs, and native DuckDB timing it.

    python bench/peers.py sql --data DIR --definitions FILE
        prints one JSON object: the SQL of each definition's cohort total and of the three
        statistics (over the cohort of the first definition), over tables in schema `ds`, and
        the SQL of the data-filter tables built once at ingest. DuckDB-wasm runs exactly this.
    python bench/peers.py native --data DIR --definitions FILE --columns JSON [--repeats N]
        loads the given columns of each table from the dataset's Parquet files into DuckDB
        tables (timed: ingest), then runs the same SQL: cold (first run) and warm (median of
        N more). Prints one JSON object with the raw results and times.

Counts: the SQL of the Workbench oracle (oracle/cohortlens_oracle/workbench.py,
docs/cohort-semantics.md). At ingest, after the tables are loaded into schema `ds`, every DuckDB
peer runs `workbench.build_sql` over them: the OMOP tables the oracle reads (the loaded columns;
the others NULL, the tables not loaded empty) and the Workbench search tables built from them
(cb_search_all_events, cb_search_person, the criteria and drug trees) in schema `wb` — as
cohortlens builds its index once at ingest. A count is then `SELECT count(*)` over
`workbench.cohort_sql`, which resolves concept sets itself (subqueries over the criteria trees).
Statistics: docs/statistics.md, written as SQL that returns the final rows in the
engine's order with their labels, following tests/python/test_stats_oracle.py (which checks the
engine against the same text): Age × Sex (`dataBrowser` bands, age now), top-20 CONDITION
concepts, and the measurement-value histogram of a concept (bins set per unit on the whole
dataset's values).
"""

import argparse
import datetime
import json
import os
import statistics
import time

import duckdb
from cohortlens_oracle import cohort as stats_oracle
from cohortlens_oracle import workbench

SCHEMA = "ds"
# The schema of the Workbench search tables built from `ds`.
WORKBENCH = workbench.Schema("wb")
# The tables the five definitions and the three statistics read (death: an AGE criterion
# leaves the deceased out).
TABLES = ["person", "concept", "concept_ancestor", "visit_occurrence", "condition_occurrence",
          "drug_exposure", "procedure_occurrence", "measurement", "observation",
          "device_exposure", "death"]
STATS = [
    ("age_by_sex", {"kind": "ageBySex", "bands": "dataBrowser"}),
    ("top_conditions", {"kind": "topConcepts", "domain": "CONDITION", "limit": 20}),
    ("hba1c_values", {"kind": "measurementValues", "conceptId": 3004410}),
]


def build_sql(data_dir, columns):
    """The statements building the Workbench tables in `wb` from the tables loaded in `ds`
    (`columns`: table -> loaded columns; None: every column of its Parquet file)."""
    sources = {}
    for table in TABLES:
        if columns is None:
            file = os.path.abspath(os.path.join(data_dir, f"{table}.parquet"))
            present = {r[0] for r in duckdb.execute(
                "SELECT name FROM parquet_schema(?)", [file]).fetchall()}
        else:
            present = set(columns.get(table) or [])
        sources[table] = (f"{SCHEMA}.{table}", present)
    # The OMOP tables as views over `ds` (loaded once already); the search tables as tables.
    return workbench.build_sql(WORKBENCH, sources, views=True)


def cohort_sql(definition):
    """`workbench.cohort_sql` with today's (UTC) date as a literal for `current_date`, which
    DuckDB-wasm 1.32 cannot evaluate (the page dies with "function signature mismatch")."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return workbench.cohort_sql(WORKBENCH, definition).replace("current_date", f"DATE '{today}'")


def total_sql(definition):
    """The cohort total (as bench/cohort_duckdb.py)."""
    return f"SELECT count(*) AS n FROM ({cohort_sql(definition)})"


def label_sql(column, concept_alias):
    """(unknown flag, label) of a concept value, as docs/statistics.md labels it (DuckDB and
    Spark SQL alike: bench/cluster.py uses it too)."""
    return (f"({column} IS NULL OR {column} = 0 OR {concept_alias}.concept_id IS NULL)",
            f"CASE WHEN {column} IS NULL THEN 'Not recorded' "
            f"WHEN {column} = 0 THEN 'No matching concept' "
            f"WHEN {concept_alias}.concept_id IS NOT NULL THEN {concept_alias}.concept_name "
            f"ELSE concat('Concept ', CAST({column} AS STRING), ' (not in the vocabulary)') END")


BANDS = [(18, "18–29"), (30, "30–39"), (40, "40–49"), (50, "50–59"), (60, "60–69"),
         (70, "70–79"), (80, "80–89"), (90, "90+")]


def age_by_sex_sql(cdr_date, scope):
    s = SCHEMA
    age = stats_oracle.age_on("birth_date", f"DATE '{cdr_date}'")
    band = ("CASE WHEN age IS NULL THEN 'Unknown' WHEN age < 18 THEN 'Under 18' "
            + " ".join(f"WHEN age < {BANDS[i + 1][0]} THEN '{lb}'" for i, (_, lb) in
                       enumerate(BANDS[:-1]))
            + f" ELSE '{BANDS[-1][1]}' END")
    unknown, label = label_sql("sex", "c")
    order = ", ".join(f"('{lb}', {i + 1})" for i, (_, lb) in enumerate(BANDS))
    return f"""
WITH scope AS ({scope}),
aged AS (
  SELECT s.person_id, p.sex_at_birth_concept_id AS sex,
         {age.replace('birth_date', 'coalesce(CAST(p.birth_datetime AS DATE), make_date(p.year_of_birth, coalesce(p.month_of_birth, 1), coalesce(p.day_of_birth, 1)))')} AS age
  FROM scope AS s JOIN {s}.person AS p USING (person_id)),
labelled AS (
  SELECT {band} AS age_label, {unknown} AS sex_unknown, {label} AS sex_label
  FROM aged LEFT JOIN {s}.concept AS c ON c.concept_id = aged.sex),
bands(age_label, ord) AS (VALUES ('Under 18', 0), {order}, ('Unknown', 9)),
ages AS (SELECT * FROM bands WHERE ord BETWEEN 1 AND 8
         OR age_label IN (SELECT age_label FROM labelled)),
sexes AS (SELECT DISTINCT sex_unknown, sex_label FROM labelled),
cells AS (SELECT age_label, sex_label, count(*) AS n FROM labelled GROUP BY ALL)
SELECT [a.age_label, x.sex_label] AS labels, coalesce(cells.n, 0) AS n,
       (SELECT count(*) FROM scope) AS total
FROM ages AS a CROSS JOIN sexes AS x
LEFT JOIN cells ON cells.age_label = a.age_label AND cells.sex_label = x.sex_label
ORDER BY a.ord, x.sex_unknown, x.sex_label"""


def top_conditions_sql(scope, limit=20):
    s = SCHEMA
    unknown, label = label_sql("f.c", "k")
    return f"""
WITH scope AS ({scope}),
f AS (SELECT condition_concept_id AS c, count(DISTINCT person_id) AS n
      FROM {s}.condition_occurrence
      WHERE person_id IN (SELECT person_id FROM scope) AND condition_concept_id <> 0
      GROUP BY 1)
SELECT [{label}] AS labels, f.n, (SELECT count(*) FROM scope) AS total
FROM f LEFT JOIN {s}.concept AS k ON k.concept_id = f.c
ORDER BY ceil(f.n / 20) DESC, {unknown}, {label}, f.c
LIMIT {int(limit)}"""


def bin_of(v, units="units", decimals="decimals"):
    """SQL of docs/statistics.md's bin of value `v`: floor(v·10^d / units), corrected by one
    step where floating point put it on the wrong side of an edge (as the oracle's loop); DuckDB
    and Spark SQL alike."""
    def edge(j):
        return f"(({j}) * {units}) / power(10, {decimals})"
    j0 = f"CAST(floor({v} * power(10, {decimals}) / {units}) AS BIGINT)"
    j1 = f"({j0} - CASE WHEN {edge(j0)} > {v} THEN 1 ELSE 0 END)"
    return f"({j1} + CASE WHEN {edge(j1 + ' + 1')} <= {v} THEN 1 ELSE 0 END)"


def measurement_values_sql(scope, concept):
    """docs/statistics.md's histogram; bins per unit on the whole dataset's values."""
    s = SCHEMA
    concept = int(concept)
    unknown, label = label_sql("u.unit", "k")

    def fmt(x):
        return f"format('{{:.{{}}f}}', {x}, decimals)"

    def edge(j):
        return f"(({j}) * units) / pow(10, decimals)"

    return f"""
WITH scope AS ({scope}),
m AS (SELECT unit_concept_id AS unit, person_id, value_as_number AS v,
             person_id IN (SELECT person_id FROM scope) AS in_scope
      FROM {s}.measurement
      WHERE measurement_concept_id IN (SELECT {concept} UNION SELECT descendant_concept_id
            FROM {s}.concept_ancestor WHERE ancestor_concept_id = {concept})
        AND isfinite(value_as_number)),
spans AS (SELECT unit, vs[(n - 1) // 100 + 1] AS lo, vs[n - (n - 1) // 100] AS hi
          FROM (SELECT unit, count(*) AS n, list_sort(list(v)) AS vs FROM m GROUP BY unit)),
candidates AS (
  SELECT e, mant, greatest(0, -e + CASE WHEN mant = 2.5 THEN 1 ELSE 0 END) AS decimals
  FROM range(-9, 16) AS r(e) CROSS JOIN (VALUES (1.0), (2.0), (2.5), (5.0)) AS mm(mant)),
steps AS (
  SELECT t.unit, t.lo, t.hi,
         arg_min(CAST(round(c.mant * pow(10, c.e + c.decimals)) AS BIGINT), c.e * 10 + c.mant) AS units,
         arg_min(c.decimals, c.e * 10 + c.mant) AS decimals
  FROM (SELECT *, CASE WHEN hi > lo THEN (hi - lo) / 15 ELSE greatest(abs(lo), 1.0) / 10 END
               AS target FROM spans) AS t
  JOIN candidates AS c ON round(c.mant * pow(10, c.e + c.decimals)) / pow(10, c.decimals) >= t.target
  GROUP BY ALL),
bounds AS (SELECT *, {bin_of('lo')} AS first, {bin_of('hi')} AS last FROM steps),
slots AS (
  SELECT unit, CASE WHEN j < first THEN first - 1 WHEN j > last THEN last + 1 ELSE j END AS slot,
         count(DISTINCT person_id) AS n
  FROM (SELECT m.unit, m.person_id, d.first, d.last, {bin_of('m.v', 'd.units', 'd.decimals')} AS j
        FROM m JOIN bounds AS d ON d.unit IS NOT DISTINCT FROM m.unit WHERE m.in_scope)
  GROUP BY ALL),
units AS (
  SELECT u.unit,
         CASE WHEN u.unit IS NULL OR u.unit = 0 THEN TRUE
              WHEN k.domain_id = 'Unit' AND coalesce(k.concept_code, '') <> '' THEN FALSE
              ELSE {unknown} END AS unknown,
         CASE WHEN u.unit IS NULL OR u.unit = 0 THEN 'No unit'
              WHEN k.domain_id = 'Unit' AND coalesce(k.concept_code, '') <> '' THEN k.concept_code
              ELSE {label} END AS label
  FROM (SELECT DISTINCT unit FROM slots) AS u LEFT JOIN {s}.concept AS k ON k.concept_id = u.unit),
grid AS (
  SELECT d.*, u.unknown, u.label, unnest(range(d.first - 1, d.last + 2)) AS slot
  FROM bounds AS d JOIN units AS u ON u.unit IS NOT DISTINCT FROM d.unit)
SELECT [g.label, CASE WHEN g.slot < g.first THEN '< ' || {fmt(edge('g.first'))}
                      WHEN g.slot > g.last THEN '≥ ' || {fmt(edge('g.last + 1'))}
                      ELSE {fmt(edge('g.slot'))} || '–' || {fmt(edge('g.slot + 1'))} END] AS labels,
       coalesce(sl.n, 0) AS n,
       (SELECT count(DISTINCT person_id) FROM m WHERE in_scope) AS total
FROM grid AS g LEFT JOIN slots AS sl ON sl.unit IS NOT DISTINCT FROM g.unit AND sl.slot = g.slot
WHERE (g.slot BETWEEN g.first AND g.last) OR sl.n > 0
ORDER BY g.unknown, g.label, coalesce(g.unit, -2147483648), g.slot"""


def all_sql(data_dir, named, columns=None):
    cdr = stats_oracle.reference_date(data_dir)
    scope = cohort_sql(named[0]["definition"])
    stat_sql = {"age_by_sex": age_by_sex_sql(cdr, scope),
                "top_conditions": top_conditions_sql(scope, 20),
                "hba1c_values": measurement_values_sql(scope, 3004410)}
    return {
        "schema": SCHEMA,
        "tables": TABLES,
        "reference_date": cdr,
        "build": build_sql(data_dir, columns),
        "counts": [{"name": e["name"], "sql": total_sql(e["definition"])} for e in named],
        "stats": [{"name": name, "request": request, "sql": stat_sql[name]}
                  for name, request in STATS],
    }


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1e3


def native(args, named):
    columns = json.loads(args.columns) if args.columns else {}
    queries = all_sql(args.data, named, columns or None)
    con = duckdb.connect()

    def ingest():
        con.execute(f"CREATE SCHEMA {SCHEMA}")
        for table in TABLES:
            file = os.path.abspath(os.path.join(args.data, f"{table}.parquet")).replace("'", "''")
            cols = ", ".join(f'"{c}"' for c in columns.get(table, [])) or "*"
            con.execute(f"CREATE TABLE {SCHEMA}.{table} AS SELECT {cols} FROM read_parquet('{file}')")
        for statement in queries["build"]:
            con.execute(statement)

    _, ingest_ms = timed(ingest)
    memory = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
    out = {"ingestMs": ingest_ms, "memoryBytes": memory, "counts": [], "stats": []}

    def run(sql, result):
        value, cold = timed(lambda: result(con.execute(sql).fetchall()))
        warm = []
        for _ in range(args.repeats):
            again, ms = timed(lambda: result(con.execute(sql).fetchall()))
            assert again == value, "DuckDB gave different answers"
            warm.append(ms)
        return value, cold, statistics.median(warm)

    for q in queries["counts"]:
        raw, cold, warm = run(q["sql"], lambda rows: rows[0][0])
        out["counts"].append({"name": q["name"], "raw": raw, "coldMs": cold, "warmMs": warm})
    for q in queries["stats"]:
        table, cold, warm = run(q["sql"], lambda rows: {
            "rows": [{"labels": list(r[0]), "count": r[1]} for r in rows],
            "total": rows[0][2] if rows else 0})
        out["stats"].append({"name": q["name"], **table, "coldMs": cold, "warmMs": warm})
    print(json.dumps(out), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["sql", "native"])
    parser.add_argument("--data", required=True)
    parser.add_argument("--definitions", required=True)
    parser.add_argument("--columns", help="JSON {table: [column, ...]} to load (default all)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with open(args.definitions) as f:
        named = json.load(f)
    if args.mode == "sql":
        print(json.dumps(all_sql(args.data, named,
                                 json.loads(args.columns) if args.columns else None)))
    else:
        native(args, named)


if __name__ == "__main__":
    main()
