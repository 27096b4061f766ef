"""`cohortlens sql --dialect duckdb|datafusion` checked against the engine: the compiled query,
run by DuckDB or by Apache DataFusion (the `datafusion` Python package) over the dataset's
Parquet files (one table per file, nothing else), returns the persons whose number
`cohortlens count --raw` gives exactly. Every check runs in both dialects:

- the hand-written cases of `cohort_cases.CASES` and the Workbench UI requests of
  `tests/fixtures/workbench/*.json` on the synthetic 10k dataset, `cohort_cases.EUNOMIA_CASES`
  on Eunomia imported from Parquet, the fidelity cases of `workbench_cases.CASES` on their tiny
  dataset;
- seeded random definitions (`random_definitions`, $COHORTLENS_SQL_COUNT of them per dataset,
  default 150; seed $COHORTLENS_ORACLE_SEED, else DEFAULT_SEED) on the synthetic data and Eunomia;
- what the engine cannot evaluate (`workbench_cases.UNSUPPORTED`) and invalid definitions are
  refused with the engine's own errors, and the dialects not produced yet (Spark, BigQuery)
  with a clear error.
"""

import json
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import datafusion
import duckdb
import pytest

import random_definitions
import workbench_cases
from cohort_cases import CASES, EUNOMIA_CASES, group, item, param
from test_cohort_oracle import DEFAULT_SEED, count
from test_workbench_oracle import FIXTURES, tiny  # noqa: F401 (the tiny dataset fixture)

RANDOM_DEFINITIONS = int(os.environ.get("COHORTLENS_SQL_COUNT", "150"))
DIALECTS = ["duckdb", "datafusion"]


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


class Runner:
    """Runs a query in one dialect's engine over a dataset: (rows, distinct person_ids)."""

    def __init__(self, dialect, data_dir):
        self.dialect = dialect
        if dialect == "duckdb":
            self.con = duckdb_over(data_dir)
        else:
            self.ctx = datafusion.SessionContext()
            for table, path in tables_of(data_dir):
                self.ctx.register_parquet(table, path)

    def persons(self, query):
        wrapped = f"SELECT count(*) AS n, count(DISTINCT person_id) AS d FROM ({query}) q"
        if self.dialect == "duckdb":
            return self.con.execute(wrapped).fetchone()
        row = self.ctx.sql(wrapped).to_pylist()[0]
        return row["n"], row["d"]

    def close(self):
        if self.dialect == "duckdb":
            self.con.close()


def check_all(binary, data_dir, named, tmp_path, dialect):
    """Compiles and runs every (name, definition); returns the mismatches, described."""
    run = count(binary, data_dir, [d for _, d in named], tmp_path)
    assert run.returncode == 0, f"engine failed (status {run.returncode}):\n{run.stderr}"
    assert len(run.lines) == len(named), run.stderr
    with ThreadPoolExecutor(max_workers=2) as pool:
        compiled = list(pool.map(
            lambda nd: compile_sql(binary, data_dir, nd[1], tmp_path, f"sql-{nd[0]}", dialect),
            named))
    runner = Runner(dialect, data_dir)
    failures = []
    try:
        for (name, definition), line, process in zip(named, run.lines, compiled):
            expected = line["raw"]["total"]
            if process.returncode != 0:
                failures.append(f"{name}: sql refused a definition the engine counts "
                                f"({expected}): {process.stderr}")
                continue
            assert process.stdout.lstrip().startswith("WITH"), process.stdout[:200]
            try:
                rows, distinct = runner.persons(process.stdout)
            except Exception as e:  # each engine has its own error types
                failures.append(f"{name}: {dialect} rejected the query: {e}\n"
                                f"definition: {json.dumps(definition)}")
                continue
            if rows != distinct:
                failures.append(f"{name}: {rows} rows for {distinct} persons")
            if distinct != expected:
                failures.append(f"{name}: SQL {distinct}, engine {expected}\n"
                                f"definition: {json.dumps(definition)}")
    finally:
        runner.close()
    return failures


def assert_all_match(binary, data_dir, named, tmp_path, dialect):
    """Every definition's query gives the engine's count in `dialect`."""
    failures = check_all(binary, data_dir, named, tmp_path, dialect)
    if failures:
        pytest.fail(f"{dialect}: {len(failures)} of {len(named)} definitions differ:\n\n"
                    + "\n\n".join(failures), pytrace=False)


def seeded(con, data_dir, label):
    """The seeded random definitions of a dataset, named by seed and index."""
    seed = int(os.environ.get("COHORTLENS_ORACLE_SEED", DEFAULT_SEED))
    print(f"\n{label}: random definitions, seed {seed}, {RANDOM_DEFINITIONS} definitions")
    catalog = random_definitions.build_catalog(con, data_dir)
    return [(f"{label}-seed{seed}-{index}",
             random_definitions.generate(random.Random(f"sql:{seed}:{index}"), catalog))
            for index in range(RANDOM_DEFINITIONS)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_synthetic_cases(dialect, binary, synthetic, tmp_path):
    """Every hand-written case on the synthetic dataset."""
    assert_all_match(binary, synthetic, CASES, tmp_path, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_workbench_fixtures(dialect, binary, synthetic, tmp_path):
    """The Workbench UI's requests, as pasted, on the synthetic dataset."""
    named = [(p.stem, json.loads(p.read_text())) for p in sorted(FIXTURES.glob("*.json"))]
    assert named
    assert_all_match(binary, synthetic, named, tmp_path, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_eunomia_cases(dialect, binary, parquet_import, tmp_path):
    """Every hand-written Eunomia case."""
    assert_all_match(binary, parquet_import.out_dir, EUNOMIA_CASES, tmp_path, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fidelity_cases(dialect, binary, tiny, tmp_path):  # noqa: F811
    """Every Workbench fidelity case on its tiny dataset (each tells two readings apart)."""
    named = [(name, d) for name, d, *_ in workbench_cases.CASES]
    assert_all_match(binary, tiny, named, tmp_path, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_synthetic_random(dialect, binary, synthetic, con, tmp_path):
    """Seeded random definitions on the synthetic dataset."""
    assert_all_match(binary, synthetic, seeded(con, synthetic, "synthetic"), tmp_path, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_eunomia_random(dialect, binary, parquet_import, con, tmp_path):
    """Seeded random definitions on Eunomia."""
    data = parquet_import.out_dir
    assert_all_match(binary, data, seeded(con, data, "eunomia"), tmp_path, dialect)


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


@pytest.mark.parametrize("dialect", ["spark", "bigquery"])
def test_untested_dialects_are_refused(dialect, binary, synthetic, tmp_path):
    """Dialects whose output is not yet tested against the engine are refused, clearly."""
    process = compile_sql(binary, synthetic, CASES[0][1], tmp_path, dialect, dialect)
    assert process.returncode == 2 and process.stdout == ""
    assert f"--dialect {dialect}" in process.stderr and "use --dialect duckdb or datafusion" in process.stderr


def test_unknown_dialect(binary, synthetic, tmp_path):
    process = compile_sql(binary, synthetic, CASES[0][1], tmp_path, "oracle", "oracle")
    assert process.returncode == 2 and "unknown dialect" in process.stderr, process.stderr
