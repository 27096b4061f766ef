"""`cohortlens sql` checked against the engine in every dialect: the compiled query, run over the
dataset's Parquet files (one table per file, nothing else), returns the persons whose number
`cohortlens count --raw` gives exactly. The engines:

- `duckdb`: DuckDB; `datafusion`: Apache DataFusion (the `datafusion` Python package);
- `spark`: Apache Spark SQL 4 (`pyspark`, one local session for the whole run: `local[2]`, UTC,
  no UI; it needs Java 17 or later, which `scripts/test` installs when `java` is missing);
- `bigquery`: no BigQuery service here, so the GoogleSQL text is parsed by `sqlglot`
  (`read="bigquery"`, errors raised), checked for BigQuery's own forms (`FLOAT64`, `INT64`,
  `DATE_DIFF(to, from, DAY)`, `DATE(y, m, d)`, `UNION DISTINCT`) and for no other dialect's, then
  transpiled by sqlglot to DuckDB and run there.

Every check runs in every dialect:

- the hand-written cases of `cohort_cases.CASES` and the Workbench UI requests of
  `tests/fixtures/workbench/*.json` on the synthetic 10k dataset, `cohort_cases.EUNOMIA_CASES`
  on Eunomia imported from Parquet, the fidelity cases of `workbench_cases.CASES` on their tiny
  dataset;
- seeded random definitions (`random_definitions`, seed $COHORTLENS_ORACLE_SEED, else
  DEFAULT_SEED) on the synthetic data and Eunomia: $COHORTLENS_SQL_COUNT of them per dataset
  (default 150), in Spark the first $COHORTLENS_SQL_SPARK_COUNT of those (default 2: on 2 cores Spark
  takes 1–4 s for a hand-written case and 4–100 s for a random definition, DuckDB milliseconds);
- what the engine cannot evaluate (`workbench_cases.UNSUPPORTED`) and invalid definitions are
  refused with the engine's own errors, and an unknown dialect with a clear error.
"""

import json
import os
import random
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import datafusion
import duckdb
import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

import random_definitions
import workbench_cases
from cohort_cases import CASES, EUNOMIA_CASES, group, item, param
from test_cohort_oracle import DEFAULT_SEED, count
from test_workbench_oracle import FIXTURES, tiny  # noqa: F401 (the tiny dataset fixture)

RANDOM_DEFINITIONS = int(os.environ.get("COHORTLENS_SQL_COUNT", "150"))
SPARK_RANDOM_DEFINITIONS = int(os.environ.get("COHORTLENS_SQL_SPARK_COUNT", "2"))
DIALECTS = ["duckdb", "datafusion", "spark", "bigquery"]

# What another dialect writes and GoogleSQL does not have (types, date functions, bare UNION).
NOT_BIGQUERY = {
    "DOUBLE": re.compile(r"\bDOUBLE\b"),
    "BIGINT": re.compile(r"\bBIGINT\b"),
    "INTEGER/INT": re.compile(r"\bINT(EGER)?\b"),
    "date_diff('day', …)": re.compile(r"date_diff\('day'", re.IGNORECASE),
    "datediff": re.compile(r"\bdatediff\(", re.IGNORECASE),
    "make_date": re.compile(r"\bmake_date\(", re.IGNORECASE),
    "a bare UNION": re.compile(r"\bUNION\b(?!\s+(ALL|DISTINCT)\b)"),
    "a WHERE without FROM": re.compile(r"SELECT (CAST\(NULL AS \w+\) AS \w+(, )?|0 AS part)+ WHERE"),
}
# BigQuery's own forms, each present in at least one query of a case list.
BIGQUERY_FORMS = {
    "FLOAT64": re.compile(r"\bAS FLOAT64\)"),
    "DATE_DIFF(to, from, DAY)": re.compile(r"\bDATE_DIFF\([\w.]+, [\w.]+, DAY\)"),
    "DATE(y, m, d)": re.compile(r"\bDATE\(year_of_birth, m, "),
    "UNION DISTINCT": re.compile(r"\bUNION DISTINCT\b"),
}
# What Spark SQL does not share with DuckDB and must be written its way.
NOT_SPARK = {
    "date_diff('day', …)": re.compile(r"date_diff\('day'", re.IGNORECASE),
    "FLOAT64/INT64": re.compile(r"\b(FLOAT64|INT64)\b"),
}


def compile_sql(binary, data_dir, definition, tmp_path, name, dialect="duckdb"):
    """Runs `cohortlens sql` on one definition: the completed process."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        [str(binary), "sql", "--data", str(data_dir), "--definition", str(path),
         "--dialect", dialect],
        capture_output=True, text=True, timeout=300)


def tables_of(data_dir):
    """(table, Parquet path) of each table of the dataset."""
    manifest = json.loads((Path(data_dir) / "manifest.json").read_text())
    return [(table, str(Path(data_dir) / entry["file"])) for table, entry in manifest["tables"].items()]


def duckdb_over(data_dir):
    """A DuckDB connection with one view per table of the dataset, on its Parquet file."""
    con = duckdb.connect()
    for table, path in tables_of(data_dir):
        quoted = path.replace("'", "''")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{quoted}')")
    return con


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the run (2 cores, small driver memory, UTC, no UI, quiet)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        pytest.fail(f"pyspark is not installed ({e}): recreate the venv from "
                    "tests/python/requirements.txt (scripts/lib.sh, ensure_venv)", pytrace=False)
    try:
        session = (SparkSession.builder.master("local[2]").appName("cohortlens-sql-test")
                   .config("spark.driver.memory", "1g")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.sql.session.timeZone", "UTC")
                   # Small data, many short queries: interpreted evaluation, no adaptive
                   # re-planning and cached tables cost less than generating and compiling
                   # code for each query (12 cases: 76 s, then 29 s, on a loaded machine).
                   .config("spark.sql.codegen.wholeStage", "false")
                   .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
                   .config("spark.sql.adaptive.enabled", "false")
                   .getOrCreate())
    except Exception as e:  # no JVM, or one too old
        pytest.fail(f"cannot start Spark ({type(e).__name__}: {str(e).splitlines()[0]}): "
                    "pyspark 4 needs Java 17 or later on PATH or in JAVA_HOME "
                    "(scripts/test installs openjdk-17-jre-headless when `java` is missing)",
                    pytrace=False)
    session.sparkContext.setLogLevel("FATAL")
    yield session
    session.stop()


# The temporary views of the Spark session (pyspark 4.0's `catalog.listTables()` cannot list them).
SPARK_VIEWS = set()


def bigquery_problems(query):
    """What in a compiled BigQuery query is another dialect's form (names of NOT_BIGQUERY)."""
    return [name for name, pattern in NOT_BIGQUERY.items() if pattern.search(query)]


class Runner:
    """Runs a query in one dialect's engine over a dataset: (rows, distinct person_ids)."""

    def __init__(self, dialect, data_dir, session=None):
        self.dialect = dialect
        if dialect in ("duckdb", "bigquery"):
            self.con = duckdb_over(data_dir)
        elif dialect == "datafusion":
            self.ctx = datafusion.SessionContext()
            for table, path in tables_of(data_dir):
                self.ctx.register_parquet(table, path)
        else:
            self.session = session
            # Views of a dataset run before are dropped (a table this dataset lacks must be
            # missing); each table is cached in memory once, not read again by every query.
            for table in SPARK_VIEWS:
                session.catalog.dropTempView(table)
            SPARK_VIEWS.clear()
            session.catalog.clearCache()
            for table, path in tables_of(data_dir):
                session.read.parquet(path).cache().createOrReplaceTempView(table)
                SPARK_VIEWS.add(table)

    def persons(self, query):
        if self.dialect == "bigquery":
            # Parsed as GoogleSQL (every error raised), then run by DuckDB as sqlglot writes it.
            tree = sqlglot.parse_one(query, read="bigquery", error_level=ErrorLevel.RAISE)
            query = tree.sql(dialect="duckdb")
        wrapped = f"SELECT count(*) AS n, count(DISTINCT person_id) AS d FROM ({query}) q"
        if self.dialect in ("duckdb", "bigquery"):
            return self.con.execute(wrapped).fetchone()
        if self.dialect == "spark":
            row = self.session.sql(wrapped).collect()[0]
            return row["n"], row["d"]
        row = self.ctx.sql(wrapped).to_pylist()[0]
        return row["n"], row["d"]

    def close(self):
        if self.dialect in ("duckdb", "bigquery"):
            self.con.close()


def check_all(binary, data_dir, named, tmp_path, dialect, session=None):
    """Compiles and runs every (name, definition); returns the mismatches, described."""
    run = count(binary, data_dir, [d for _, d in named], tmp_path)
    assert run.returncode == 0, f"engine failed (status {run.returncode}):\n{run.stderr}"
    assert len(run.lines) == len(named), run.stderr
    with ThreadPoolExecutor(max_workers=2) as pool:
        compiled = list(pool.map(
            lambda nd: compile_sql(binary, data_dir, nd[1], tmp_path, f"sql-{nd[0]}", dialect),
            named))
    runner = Runner(dialect, data_dir, session)
    failures = []
    forms = set()
    try:
        for (name, definition), line, process in zip(named, run.lines, compiled):
            expected = line["raw"]["total"]
            if process.returncode != 0:
                failures.append(f"{name}: sql refused a definition the engine counts "
                                f"({expected}): {process.stderr}")
                continue
            query = process.stdout
            assert query.lstrip().startswith("WITH"), query[:200]
            if dialect == "bigquery":
                forms.update(f for f, pattern in BIGQUERY_FORMS.items() if pattern.search(query))
                problems = bigquery_problems(query)
                if problems:
                    failures.append(f"{name}: not GoogleSQL: {', '.join(problems)}")
                    continue
            if dialect == "spark":
                problems = [f for f, pattern in NOT_SPARK.items() if pattern.search(query)]
                if problems:
                    failures.append(f"{name}: not Spark SQL: {', '.join(problems)}")
                    continue
            try:
                rows, distinct = runner.persons(query)
            except Exception as e:  # each engine has its own error types
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                failures.append(f"{name}: {dialect} rejected the query: {first}\n"
                                f"definition: {json.dumps(definition)}")
                continue
            if rows != distinct:
                failures.append(f"{name}: {rows} rows for {distinct} persons")
            if distinct != expected:
                failures.append(f"{name}: SQL {distinct}, engine {expected}\n"
                                f"definition: {json.dumps(definition)}")
    finally:
        runner.close()
    return failures, forms


def assert_all_match(binary, data_dir, named, tmp_path, dialect, request, bigquery_forms=()):
    """Every definition's query gives the engine's count in `dialect`; in BigQuery, each of
    `bigquery_forms` appears in at least one query."""
    session = request.getfixturevalue("spark") if dialect == "spark" else None
    failures, forms = check_all(binary, data_dir, named, tmp_path, dialect, session)
    if dialect == "bigquery":
        failures += [f"no query has BigQuery's {f}" for f in bigquery_forms if f not in forms]
    if failures:
        pytest.fail(f"{dialect}: {len(failures)} of {len(named)} definitions differ:\n\n"
                    + "\n\n".join(failures), pytrace=False)


def seeded(con, data_dir, label, dialect):
    """The seeded random definitions of a dataset, named by seed and index (in Spark, the first
    SPARK_RANDOM_DEFINITIONS of them)."""
    seed = int(os.environ.get("COHORTLENS_ORACLE_SEED", DEFAULT_SEED))
    n = min(RANDOM_DEFINITIONS, SPARK_RANDOM_DEFINITIONS) if dialect == "spark" else RANDOM_DEFINITIONS
    print(f"\n{label}: random definitions, seed {seed}, {n} definitions")
    catalog = random_definitions.build_catalog(con, data_dir)
    return [(f"{label}-seed{seed}-{index}",
             random_definitions.generate(random.Random(f"sql:{seed}:{index}"), catalog))
            for index in range(n)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_synthetic_cases(dialect, binary, synthetic, tmp_path, request):
    """Every hand-written case on the synthetic dataset."""
    assert_all_match(binary, synthetic, CASES, tmp_path, dialect, request, BIGQUERY_FORMS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_workbench_fixtures(dialect, binary, synthetic, tmp_path, request):
    """The Workbench UI's requests, as pasted, on the synthetic dataset."""
    named = [(p.stem, json.loads(p.read_text())) for p in sorted(FIXTURES.glob("*.json"))]
    assert named
    assert_all_match(binary, synthetic, named, tmp_path, dialect, request)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_eunomia_cases(dialect, binary, parquet_import, tmp_path, request):
    """Every hand-written Eunomia case."""
    assert_all_match(binary, parquet_import.out_dir, EUNOMIA_CASES, tmp_path, dialect, request,
                     BIGQUERY_FORMS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fidelity_cases(dialect, binary, tiny, tmp_path, request):  # noqa: F811
    """Every Workbench fidelity case on its tiny dataset (each tells two readings apart)."""
    named = [(name, d) for name, d, *_ in workbench_cases.CASES]
    assert_all_match(binary, tiny, named, tmp_path, dialect, request)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_synthetic_random(dialect, binary, synthetic, con, tmp_path, request):
    """Seeded random definitions on the synthetic dataset."""
    assert_all_match(binary, synthetic, seeded(con, synthetic, "synthetic", dialect), tmp_path,
                     dialect, request)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_eunomia_random(dialect, binary, parquet_import, con, tmp_path, request):
    """Seeded random definitions on Eunomia."""
    data = parquet_import.out_dir
    assert_all_match(binary, data, seeded(con, data, "eunomia", dialect), tmp_path, dialect,
                     request)


def test_bigquery_check_catches_other_dialects():
    """The GoogleSQL check tells the other dialects' forms apart (so it can fail)."""
    assert bigquery_problems("SELECT CAST('1.0' AS DOUBLE)") == ["DOUBLE"]
    assert bigquery_problems("SELECT date_diff('day', a, b)") == ["date_diff('day', …)"]
    assert bigquery_problems("SELECT 1 UNION SELECT 2") == ["a bare UNION"]
    assert bigquery_problems("SELECT CAST(NULL AS INT64) AS person_id WHERE FALSE") == \
        ["a WHERE without FROM"]
    assert bigquery_problems("SELECT 1 UNION DISTINCT SELECT DATE_DIFF(b, a, DAY)") == []


@pytest.mark.parametrize("case", workbench_cases.UNSUPPORTED,
                         ids=[c[0] for c in workbench_cases.UNSUPPORTED])
def test_unsupported_is_refused(case, binary, tiny, tmp_path):  # noqa: F811
    """What the engine cannot evaluate is refused with the engine's error naming it."""
    name, definition, word = case
    process = compile_sql(binary, tiny, definition, tmp_path, name)
    assert process.returncode == 2, f"{name}: status {process.returncode}\n{process.stdout[:300]}"
    assert process.stdout == ""
    assert word in process.stderr and "includes[0].items[0]" in process.stderr, process.stderr
    engine = count(binary, tiny, definition, tmp_path)
    for error in engine.lines[0]["errors"]:
        assert error in process.stderr, f"engine error missing: {error}\n{process.stderr}"


def test_invalid_definition_gets_the_engines_errors(binary, synthetic, tmp_path):
    """An invalid definition: status 2, no SQL, every error the engine reports."""
    bad = {"includes": [{"id": "a", "items": []}],
           "excludes": [group(item(param("CONDITION", 987654321)))]}
    process = compile_sql(binary, synthetic, bad, tmp_path, "invalid")
    assert process.returncode == 2 and process.stdout == "", process.stdout[:300]
    engine = count(binary, synthetic, bad, tmp_path)
    errors = engine.lines[0]["errors"]
    assert len(errors) >= 2
    for error in errors:
        assert error in process.stderr, f"engine error missing: {error}\n{process.stderr}"


def test_unknown_dialect(binary, synthetic, tmp_path):
    process = compile_sql(binary, synthetic, CASES[0][1], tmp_path, "oracle", "oracle")
    assert process.returncode == 2 and "unknown dialect" in process.stderr, process.stderr
