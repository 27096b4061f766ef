"""The distributed run of scripts/cluster (docs/scaling.md, "On a cluster").

    python bench/cluster.py --master spark://127.0.0.1:7077 --data DIR [--browser-data DIR]

For each dataset: the five definitions of bench/cohort-definitions.json, compiled by
`cohortlens sql --dialect spark`, and three statistics over the cohort of the first (Age × Sex,
top conditions, HbA1c values; Spark SQL written from docs/statistics.md after bench/peers.py's
DuckDB SQL, sharing its labels and bins) run on the Spark standalone cluster, every table a view
on its Parquet file. Each answer is checked against
  - server mode: `cohortlens serve` on loopback, `POST /api/v1/cohort/persons` (DataFusion in
    the server), the size of the returned person set;
  - for --browser-data (a size a tab holds): the engine, `cohortlens count --raw` and
    `cohortlens stats --raw` (the Rust code the browser runs, natively);
  - for --data (larger: the engine, which holds every table in memory, would not fit this
    machine): the statistics of bench/peers.py run by native DuckDB over the same Parquet files
    on the cohort of `cohortlens sql --dialect duckdb`;
  - the browser: a headless Chromium page (bench/cluster-browser.mjs) with a lens in server
    mode and, for --browser-data, one in full mode, under the `suppress` policy (every count
    above 20 exact).
Times are wall-clock on this machine. Counts are compared raw and printed disclosed (rounded up
to 20, the `aou` policy): a cohort's exact size is printed only in the message of a difference
(the datasets are synthetic). Prints a Markdown report and one
JSON line; exits 1 if any answer differs.
"""

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from peers import BANDS, STATS, bin_of, label_sql

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("COHORTLENS_BIN", os.path.join(ROOT, "target/release/cohortlens"))
THRESHOLD = 20


def disclosed(n):
    """The `aou` policy's figure: 0, "≤ 20", or n rounded up to a multiple of 20."""
    return "0" if n == 0 else f"≤ {THRESHOLD}" if n <= THRESHOLD else str(-(-n // 20) * 20)


def suppressed(n):
    """The `suppress` policy's label of a raw count, as the browser shows it."""
    return "0" if n == 0 else f"≤ {THRESHOLD}" if n <= THRESHOLD else str(n)


def agrees(label, raw):
    """Whether the browser's `suppress` label of a cell fits its raw count: the same label, or
    a cell withheld by complementary suppression (so that no small cell can be recovered from
    the totals), which may hold any nonzero count."""
    withheld = label not in ("0", f"≤ {THRESHOLD}") and not label.isdigit()
    return label == suppressed(raw) or (withheld and raw > 0)


# ---- Spark SQL of the three statistics (docs/statistics.md) ----

def age_by_sex_sql(scope, cdr):
    """(age band, sex label, persons) of the cohort; ages in completed years at the CDR date."""
    dob = ("coalesce(CAST(p.birth_datetime AS DATE), make_date(p.year_of_birth, "
           "coalesce(p.month_of_birth, 1), coalesce(p.day_of_birth, 1)))")
    day = f"DATE '{cdr}'"
    age = (f"(year({day}) - year({dob}) - CASE WHEN month({day}) < month({dob}) OR "
           f"(month({day}) = month({dob}) AND day({day}) < day({dob})) THEN 1 ELSE 0 END)")
    band = ("CASE WHEN age IS NULL THEN 'Unknown' WHEN age < 18 THEN 'Under 18' "
            + " ".join(f"WHEN age < {BANDS[i + 1][0]} THEN '{lb}'" for i, (_, lb) in
                       enumerate(BANDS[:-1]))
            + f" ELSE '{BANDS[-1][1]}' END")
    _, label = label_sql("aged.sex", "c")
    return f"""
WITH scope AS ({scope}),
aged AS (SELECT p.sex_at_birth_concept_id AS sex, {age} AS age
         FROM scope AS s JOIN person AS p ON p.person_id = s.person_id)
SELECT {band} AS age_label, {label} AS sex_label, count(*) AS n
FROM aged LEFT JOIN concept AS c ON c.concept_id = aged.sex
GROUP BY 1, 2"""


def conditions_sql(scope):
    """(unknown, label, concept, persons) of every condition concept in the cohort."""
    unknown, label = label_sql("f.c", "k")
    return f"""
WITH scope AS ({scope}),
f AS (SELECT o.condition_concept_id AS c, count(DISTINCT o.person_id) AS n
      FROM condition_occurrence AS o JOIN scope AS s ON s.person_id = o.person_id
      WHERE o.condition_concept_id <> 0 GROUP BY o.condition_concept_id)
SELECT {unknown} AS unknown, {label} AS label, f.c, f.n
FROM f LEFT JOIN concept AS k ON k.concept_id = f.c"""


def measurement_values_sql(scope, concept):
    """(unit label, bin label, persons) of the cohort's values of a measurement concept and
    its descendants; bins chosen per unit on the whole dataset's values (1st–99th centile,
    about 15 steps of 1, 2, 2.5 or 5 × 10^e)."""
    concept = int(concept)
    unknown, label = label_sql("u.unit", "k")

    def fmt(x):
        return f"format_string(concat('%.', CAST(decimals AS STRING), 'f'), {x})"

    def edge(j):
        return f"(({j}) * units) / power(10, decimals)"

    return f"""
WITH scope AS ({scope}),
m AS (SELECT x.unit_concept_id AS unit, x.person_id, x.value_as_number AS v,
             s.person_id IS NOT NULL AS in_scope
      FROM measurement AS x LEFT JOIN scope AS s ON s.person_id = x.person_id
      WHERE x.measurement_concept_id IN (SELECT {concept} UNION SELECT descendant_concept_id
            FROM concept_ancestor WHERE ancestor_concept_id = {concept})
        AND NOT isnan(x.value_as_number) AND abs(x.value_as_number) < CAST('Infinity' AS DOUBLE)),
spans AS (SELECT unit, element_at(vs, CAST((n - 1) DIV 100 + 1 AS INT)) AS lo,
                 element_at(vs, CAST(n - (n - 1) DIV 100 AS INT)) AS hi
          FROM (SELECT unit, count(*) AS n, array_sort(collect_list(v)) AS vs FROM m GROUP BY unit)),
candidates AS (
  SELECT e, mant, greatest(0, -e + CASE WHEN mant = 2.5 THEN 1 ELSE 0 END) AS decimals
  FROM (SELECT explode(sequence(-9, 15)) AS e)
  CROSS JOIN (SELECT explode(array(1.0D, 2.0D, 2.5D, 5.0D)) AS mant)),
steps AS (
  SELECT t.unit, t.lo, t.hi,
         min_by(CAST(round(c.mant * power(10, c.e + c.decimals)) AS BIGINT), c.e * 10 + c.mant) AS units,
         min_by(c.decimals, c.e * 10 + c.mant) AS decimals
  FROM (SELECT *, CASE WHEN hi > lo THEN (hi - lo) / 15 ELSE greatest(abs(lo), 1.0D) / 10 END
               AS target FROM spans) AS t
  JOIN candidates AS c
    ON round(c.mant * power(10, c.e + c.decimals)) / power(10, c.decimals) >= t.target
  GROUP BY t.unit, t.lo, t.hi),
bounds AS (SELECT *, {bin_of('lo')} AS first, {bin_of('hi')} AS last FROM steps),
slots AS (
  SELECT unit, CASE WHEN j < first THEN first - 1 WHEN j > last THEN last + 1 ELSE j END AS slot,
         units, decimals, first, last, count(DISTINCT person_id) AS n
  FROM (SELECT m.unit, m.person_id, d.first, d.last, d.units, d.decimals,
               {bin_of('m.v', 'd.units', 'd.decimals')} AS j
        FROM m JOIN bounds AS d ON d.unit <=> m.unit WHERE m.in_scope)
  GROUP BY 1, 2, 3, 4, 5, 6),
units AS (
  SELECT u.unit,
         CASE WHEN u.unit IS NULL OR u.unit = 0 THEN 'No unit'
              WHEN k.domain_id = 'Unit' AND coalesce(k.concept_code, '') <> '' THEN k.concept_code
              ELSE {label} END AS label
  FROM (SELECT DISTINCT unit FROM slots) AS u LEFT JOIN concept AS k ON k.concept_id = u.unit)
SELECT u.label AS unit_label,
       CASE WHEN slot < first THEN concat('< ', {fmt(edge('first'))})
            WHEN slot > last THEN concat('≥ ', {fmt(edge('last + 1'))})
            ELSE concat({fmt(edge('slot'))}, '–', {fmt(edge('slot + 1'))}) END AS value_label,
       n
FROM slots JOIN units AS u ON u.unit <=> slots.unit"""


def top(conditions, limit=20):
    """The top `limit` of (unknown, label, concept, n) rows, in the engine's order under `aou`:
    disclosed count descending, known concepts first, then label and id."""
    ranked = sorted(conditions, key=lambda r: (-math.ceil(r[3] / 20), r[0], r[1], r[2]))
    return {(r[1],): r[3] for r in ranked[:limit]}


# ---- the runs ----

class Spark:
    """One application on the standalone cluster, every table of the dataset a view."""

    def __init__(self, master, executor_memory):
        from pyspark.sql import SparkSession
        self.session = (SparkSession.builder.master(master).appName("cohortlens-cluster")
                        .config("spark.executor.memory", executor_memory)
                        .config("spark.executor.cores", "1")
                        .config("spark.cores.max", "2")
                        .config("spark.driver.memory", "4g")
                        .config("spark.sql.session.timeZone", "UTC")
                        .config("spark.sql.shuffle.partitions", "16")
                        .config("spark.ui.enabled", "false")
                        .config("spark.ui.showConsoleProgress", "false")
                        .getOrCreate())
        self.session.sparkContext.setLogLevel("ERROR")
        deadline = time.time() + 120
        while self.executors() < 2:
            if time.time() > deadline:
                sys.exit(f"the cluster gave {self.executors()} executors, not 2: see the worker "
                         "logs scripts/cluster names")
            time.sleep(1)

    def executors(self):
        # The driver is listed too.
        return self.session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1

    def use(self, data):
        with open(os.path.join(data, "manifest.json")) as f:
            manifest = json.load(f)
        for name, table in manifest["tables"].items():
            path = os.path.abspath(os.path.join(data, table["file"]))
            self.session.read.parquet(path).createOrReplaceTempView(name)
        return manifest

    def rows(self, sql):
        start = time.perf_counter()
        rows = [tuple(r) for r in self.session.sql(sql).collect()]
        return rows, time.perf_counter() - start


def cli(*args):
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True).stdout


def measured_cli(*args):
    """The command's output, its wall time in seconds and its peak RSS in bytes."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M", BIN, *args],
                             check=True, capture_output=True, text=True).stdout
        seconds = time.perf_counter() - start
        return out, seconds, int(rss.read().split()[-1]) * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`cohortlens serve` on loopback (a synthetic dataset: open, server mode for anyone),
    without the public aggregates (publishing loads every table: 5M persons would not fit) and
    with a longer request limit than the default 30 s, so that a slow query is timed, not cut."""

    def __init__(self, data):
        self.url = f"http://127.0.0.1:{free_port()}/"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([BIN, "serve", "--data", data, "--addr", self.url[7:-1],
                                         "--no-publish", "--request-timeout-secs", "900"],
                                        stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "api/v1/catalog", timeout=5).read()
                return
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    self.process.kill()
                    self.log.seek(0)
                    sys.exit(f"cohortlens serve did not start:\n{self.log.read().decode()[-2000:]}")
                time.sleep(0.2)

    def persons(self, definition):
        """The size of the person set server mode returns (None and the server's error when it
        refuses), and the request's wall time."""
        import pyarrow.ipc
        request = urllib.request.Request(self.url + "api/v1/cohort/persons", method="POST",
                                         data=json.dumps(definition).encode(),
                                         headers={"content-type": "application/json"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=1000) as response:
                table = pyarrow.ipc.open_stream(response.read()).read_all()
        except urllib.error.HTTPError as e:
            return None, time.perf_counter() - start, f"HTTP {e.code}: {e.read().decode()[:300]}"
        seconds = time.perf_counter() - start
        ids = table.column("person_id").to_pylist()
        assert ids == sorted(set(ids)), "server mode's person set is not sorted and distinct"
        return len(ids), seconds, None

    def stop(self):
        """Stops the server; returns its peak RSS in bytes (VmHWM)."""
        with open(f"/proc/{self.process.pid}/status") as f:
            peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
        self.process.terminate()
        self.process.wait(timeout=30)
        return peak


def definition_files(named):
    """Each definition in a JSON file of its own, and all of them in one (`all.json`)."""
    work = tempfile.mkdtemp(prefix="cohortlens-cluster-")
    files = []
    for i, entry in enumerate([*named, {"definition": [e["definition"] for e in named]}]):
        file = os.path.join(work, f"definition-{i}.json" if i < len(named) else "all.json")
        with open(file, "w") as f:
            json.dump(entry["definition"], f)
        files.append(file)
    return work, files


def cells_of(name, rows):
    """A statistics table as {labels: raw count} of its nonzero cells (the top list: its rows)."""
    return {tuple(labels): n for labels, n in rows if n > 0 or name == "top_conditions"}


def reference(data, named, engine):
    """The answers Spark's are checked against, computed before the Spark application holds the
    cluster's memory: the engine natively (`engine`), or DuckDB over the Parquet files."""
    with open(os.path.join(data, "manifest.json")) as f:
        manifest = json.load(f)
    if not manifest.get("synthetic"):
        sys.exit(f"{data} is not a synthetic dataset: this benchmark prints the raw counts of any "
                 "difference, so it runs on `cohortlens generate` output only")
    persons = manifest["tables"]["person"]["rows"]
    rows = sum(t["rows"] for t in manifest["tables"].values())
    print(f"# {data}: {persons:,} persons, {rows:,} rows", file=sys.stderr, flush=True)
    work, files = definition_files(named)
    out = {"data": data, "persons": persons, "rows": rows, "work": work, "files": files}
    if engine:
        counts, count_s, count_rss = measured_cli("count", "--raw", "--data", data,
                                                  "--definition", files[-1])
        stats, stats_s, stats_rss = measured_cli(
            "stats", "--raw", "--data", data, "--definition", files[0],
            "--stat", json.dumps([r for _, r in STATS]))
        out.update(by="the engine", seconds={"counts": count_s, "stats": stats_s},
                   peakRssBytes=max(count_rss, stats_rss),
                   counts=[json.loads(line)["raw"]["total"] for line in counts.splitlines()],
                   stats=[cells_of(name, [(r["labels"], r["count"]) for r in json.loads(line)["raw"]["rows"]])
                          for (name, _), line in zip(STATS, stats.splitlines())])
        print(f"  engine (native, load included): counts {count_s:.1f} s, statistics "
              f"{stats_s:.1f} s, peak RSS {out['peakRssBytes'] / 2**30:.2f} GiB",
              file=sys.stderr, flush=True)
    else:
        out.update(by="DuckDB", counts=None, **duckdb_stats(data, manifest, files[0]))
        print(f"  DuckDB over the Parquet files: statistics {out['seconds']['stats']:.1f} s",
              file=sys.stderr, flush=True)
    return out


def duckdb_stats(data, manifest, definition_file):
    """bench/peers.py's three statistics in native DuckDB, every table a view on its Parquet
    file, over the cohort `cohortlens sql --dialect duckdb` compiles."""
    import duckdb
    import peers
    con = duckdb.connect(config={"memory_limit": "8GB", "threads": 2})
    con.execute(f"CREATE SCHEMA {peers.SCHEMA}")
    for name, table in manifest["tables"].items():
        path = os.path.abspath(os.path.join(data, table["file"])).replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        con.execute(f"CREATE VIEW {peers.SCHEMA}.{name} AS SELECT * FROM main.{name}")
    scope = cli("sql", "--data", data, "--definition", definition_file, "--dialect", "duckdb")
    queries = {"age_by_sex": peers.age_by_sex_sql(manifest["reference_date"], scope),
               "top_conditions": peers.top_conditions_sql(scope, 20),
               "hba1c_values": peers.measurement_values_sql(scope, STATS[2][1]["conceptId"])}
    start = time.perf_counter()
    stats = [cells_of(name, [(r[0], r[1]) for r in con.execute(queries[name]).fetchall()])
             for name, _ in STATS]
    return {"stats": stats, "seconds": {"stats": time.perf_counter() - start}}


def run_dataset(spark, ref, named, full_browser):
    data, work, files = ref["data"], ref["work"], ref["files"]
    manifest = spark.use(data)
    result = {"data": data, "persons": ref["persons"], "rows": ref["rows"], "counts": [],
              "stats": [], "failures": [], "reference": ref["by"],
              "referenceSeconds": ref["seconds"], "referencePeakRssBytes": ref.get("peakRssBytes")}
    fail = result["failures"].append
    print(f"# {data} on the cluster", file=sys.stderr, flush=True)
    # A first scan, so that no timed query pays for the JVM's warm-up.
    _, result["sparkWarmUpSeconds"] = spark.rows("SELECT count(*) FROM person")

    server = Server(data)
    try:
        for i, entry in enumerate(named):
            sql = cli("sql", "--data", data, "--definition", files[i], "--dialect", "spark")
            (spark_n,), spark_s = spark.rows(f"SELECT count(*) FROM ({sql}) AS cohort")
            spark_n = spark_n[0]
            server_n, server_s, refused = server.persons(entry["definition"])
            if refused:
                fail(f"{entry['name']}: server mode refused it: {refused}")
            engine_n = ref["counts"][i] if ref["counts"] else spark_n
            row = {"name": entry["name"], "shown": disclosed(spark_n), "sparkSeconds": spark_s,
                   "serverSeconds": server_s, "agree": spark_n == server_n == engine_n}
            if not row["agree"]:
                fail(f"{entry['name']}: Spark {spark_n}, server mode {server_n}, "
                     f"{ref['by']} {engine_n}")
            row["raw"] = spark_n
            result["counts"].append(row)
            print(f"  {entry['name']}: {row['shown']}, Spark {spark_s:.1f} s, "
                  f"server mode {server_s:.1f} s, {'same' if row['agree'] else 'DIFFERENT'}",
                  file=sys.stderr, flush=True)
        scope = cli("sql", "--data", data, "--definition", files[0], "--dialect", "spark")
        cdr = manifest["reference_date"]
        spark_tables = {}
        for (name, request), mine in zip(STATS, ref["stats"]):
            if name == "age_by_sex":
                got, s = spark.rows(age_by_sex_sql(scope, cdr))
                cells = {(a, x): n for a, x, n in got}
            elif name == "top_conditions":
                got, s = spark.rows(conditions_sql(scope))
                spark_tables["conditions"] = {(r[1],): r[3] for r in got}
                cells = top(got)
            else:
                got, s = spark.rows(measurement_values_sql(scope, request["conceptId"]))
                cells = {(u, v): n for u, v, n in got}
            spark_tables[name] = cells
            agree = mine == cells
            if not agree:
                fail(f"{name}: Spark and {ref['by']} differ in "
                     f"{sorted(set(mine.items()) ^ set(cells.items()))[:6]}")
            result["stats"].append({"name": name, "sparkSeconds": s, "cells": len(cells),
                                    "agree": agree})
            print(f"  {name}: {len(cells)} cells, Spark {s:.1f} s, "
                  f"{'same as ' + ref['by'] if agree else 'DIFFERENT'}", file=sys.stderr, flush=True)
        check_browser(server, ["server", "full"] if full_browser else ["server"], named,
                      result, spark_tables, work)
    finally:
        result["serverPeakRssBytes"] = server.stop()
    return result


def check_browser(server, modes, named, result, spark_tables, work):
    """The browser's answers under `suppress`, in each of `modes`, equal Spark's raw counts
    labelled so."""
    fail = result["failures"].append
    spec = os.path.join(work, "browser.json")
    with open(spec, "w") as f:
        json.dump({"url": server.url, "modes": modes,
                   "definitions": [e["definition"] for e in named],
                   "statistics": [r for _, r in STATS]}, f)
    run = subprocess.run(["node", os.path.join(ROOT, "bench/cluster-browser.mjs"), spec],
                         capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"the browser ({', '.join(modes)} mode) failed: {run.stderr.strip()[-600:]}")
        print(f"  browser: failed: {run.stderr.strip()[-600:]}", file=sys.stderr, flush=True)
        return
    got = json.loads(run.stdout)
    for mode in modes:
        if "error" in got[mode]:
            fail(f"the browser in {mode} mode failed: {got[mode]['error']} (wasm memory "
                 f"{got[mode]['wasmBytes'] / 2**20:,.0f} MiB)")
    modes = [m for m in modes if "error" not in got[m]]
    for mode in modes:
        for entry, row, label in zip(named, result["counts"], got[mode]["counts"]):
            if label != suppressed(row["raw"]):
                fail(f"{entry['name']}: the browser in {mode} mode shows {label}, "
                     f"Spark {suppressed(row['raw'])}")
    tables = [("age_by_sex in server mode", got["server"]["ageBySex"])] if "server" in modes else []
    if "full" in modes:
        tables += [(name, table) for (name, _), table in zip(STATS, got["full"]["statistics"])]
    for name, table in tables:
        key = name.split()[0]
        spark_cells = spark_tables["conditions" if key == "top_conditions" else key]
        shown = {tuple(r["labels"]): r["count"]["label"] for r in table["rows"]
                 if r["count"]["label"] != "0"}
        # The top list is a subset of the concepts; the other tables are whole.
        keys = set(shown) if key == "top_conditions" else set(shown) | set(spark_cells)
        wrong = [(k, shown.get(k, "0"), spark_cells.get(k, 0)) for k in sorted(keys)
                 if not agrees(shown.get(k, "0"), spark_cells.get(k, 0))]
        if wrong:
            fail(f"browser {name}: (cell, browser, Spark) differ: {wrong[:6]}")
    result["browser"] = {k: got[k] for k in ("openSeconds", "querySeconds", "wasmBytes")}
    print(f"  browser: {browser_summary(result['browser'])}", file=sys.stderr, flush=True)


def browser_summary(b):
    return "; ".join(f"{mode} mode: `Lens.open` {b['openSeconds'][mode]:.1f} s "
                     f"(wasm memory {b['wasmBytes'][mode] / 2**20:,.0f} MiB), the five counts "
                     f"{b['querySeconds'][mode]:.2f} s" for mode in b["querySeconds"])


def report(results, setup):
    lines = [f"Spark standalone: {setup}", ""]
    for r in results:
        lines += [f"### {r['persons']:,} persons, {r['rows']:,} rows", "",
                  "| | count (disclosed) | Spark | server mode | same in all |",
                  "|---|---|---|---|---|"]
        for c in r["counts"]:
            lines.append(f"| {c['name']} | {c['shown']} | {c['sparkSeconds']:.1f} s | "
                         f"{c['serverSeconds']:.1f} s | {'yes' if c['agree'] else '**no**'} |")
        for s in r["stats"]:
            lines.append(f"| {s['name']} ({s['cells']} cells) | | {s['sparkSeconds']:.1f} s | | "
                         f"{'yes' if s['agree'] else '**no**'} |")
        e = r["referenceSeconds"]
        if r["reference"] == "the engine":
            lines += ["", f"Checked against the engine natively (load and index included): five "
                          f"counts {e['counts']:.1f} s, three statistics {e['stats']:.1f} s, "
                          f"peak RSS {r['referencePeakRssBytes'] / 2**30:.2f} GiB."]
        else:
            lines += ["", f"Statistics checked against DuckDB over the Parquet files "
                          f"({e['stats']:.1f} s for the three)."]
        lines.append(f"The server (server mode, DataFusion) peaked at "
                     f"{r['serverPeakRssBytes'] / 2**30:.2f} GiB RSS.")
        if "browser" in r:
            lines.append(f"Chromium, {browser_summary(r['browser'])}.")
        lines += [""] + [f"- **differs**: {f}" for f in r["failures"]] + [""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", required=True)
    parser.add_argument("--data", action="append", default=[])
    parser.add_argument("--browser-data", action="append", default=[])
    parser.add_argument("--definitions", default=os.path.join(ROOT, "bench/cohort-definitions.json"))
    parser.add_argument("--executor-memory", default="4g")
    parser.add_argument("--setup", default="")
    args = parser.parse_args()
    with open(args.definitions) as f:
        named = json.load(f)
    datasets = [(d, True) for d in args.browser_data] + [(d, False) for d in args.data]
    refs = [reference(data, named, engine=small) for data, small in datasets]
    spark = Spark(args.master, args.executor_memory)
    results = [run_dataset(spark, ref, named, small) for ref, (_, small) in zip(refs, datasets)]
    spark.session.stop()
    print(report(results, args.setup))
    for r in results:
        for c in r["counts"]:
            del c["raw"]
    print(json.dumps({"results": results}))
    sys.exit(1 if any(r["failures"] for r in results) else 0)


if __name__ == "__main__":
    main()
