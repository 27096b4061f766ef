"""Shared fixtures: the release binary, the synthetic 10k dataset, one DuckDB connection for the
oracles, the Eunomia database, and Eunomia exported to Parquet and to CSV then imported with
`cohortlens import` (once per session)."""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from cohortlens_oracle import eunomia

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def binary():
    """The cohortlens binary: $COHORTLENS_BIN, else the release build in the repository."""
    path = Path(os.environ.get("COHORTLENS_BIN", REPO_ROOT / "target" / "release" / "cohortlens"))
    if not path.is_file():
        pytest.fail(f"{path} not found: run `cargo build --release -p cohortlens-server` or set COHORTLENS_BIN")
    return path


@pytest.fixture(scope="session")
def synthetic(binary, tmp_path_factory):
    """The synthetic dataset the hand-written cases are written for: 10,000 persons, seed 42."""
    out = tmp_path_factory.mktemp("oracle") / "synthetic-10k"
    process = subprocess.run(
        [str(binary), "generate", "--persons", "10000", "--seed", "42", "--out", str(out)],
        capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr
    return out


@pytest.fixture(scope="session")
def con():
    """One DuckDB connection for every oracle query (datasets are loaded into it once)."""
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def source():
    """A read-only DuckDB connection to the Eunomia database the exports come from."""
    con = eunomia.connect()
    yield con
    con.close()


class Imported:
    """One export-then-import run: where its files are and what the importer said."""

    def __init__(self, source_dir, out_dir, process):
        self.source_dir = source_dir
        self.out_dir = out_dir
        self.process = process
        self.manifest = json.loads((out_dir / "manifest.json").read_text())

    def parquet(self, table):
        return str(self.out_dir / f"{table}.parquet")


def run_import(binary, source_dir, out_dir, *extra):
    """Runs `cohortlens import` and returns the completed process (stdout/stderr as text)."""
    return subprocess.run(
        [str(binary), "import", "--from", str(source_dir), "--out", str(out_dir), *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _export_and_import(binary, tmp_path_factory, fmt, upper):
    base = tmp_path_factory.mktemp(f"eunomia-{fmt}")
    source_dir = base / "eunomia"
    eunomia.export(str(source_dir), fmt, upper=upper)
    out_dir = base / "dataset"
    process = run_import(binary, source_dir, out_dir)
    assert process.returncode == 0, f"import of the {fmt} export failed:\n{process.stderr}"
    return Imported(source_dir, out_dir, process)


@pytest.fixture(scope="session")
def parquet_import(binary, tmp_path_factory):
    """Eunomia exported to lower-case-named Parquet files, imported."""
    return _export_and_import(binary, tmp_path_factory, "parquet", upper=False)


@pytest.fixture(scope="session")
def csv_import(binary, tmp_path_factory):
    """Eunomia exported to upper-case-named CSV files, imported."""
    return _export_and_import(binary, tmp_path_factory, "csv", upper=True)


@pytest.fixture(params=["parquet", "csv"])
def imported(request):
    """Each of the two imports in turn."""
    return request.getfixturevalue(f"{request.param}_import")
