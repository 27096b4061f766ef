"""`cohortlens import` over OHDSI's Eunomia GiBleed, checked against DuckDB reading the source
database directly: row counts, schemas, column sums and counts, the manifest, the concepts the
importer adds, and a clean failure when a required table is missing.

Run: .venv/bin/python -m pytest tests/python -q (needs the release binary, see conftest.py).
"""

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from cohortlens_oracle import eunomia
from conftest import run_import

# The tables of every cohortlens dataset (src/cdm/mod.rs, TABLES).
CONTRACT_TABLES = [
    "concept", "concept_ancestor", "concept_relationship", "person", "observation_period", "visit_occurrence",
    "condition_occurrence", "drug_exposure", "procedure_occurrence", "measurement", "observation",
    "observation_ext", "device_exposure", "death", "activity_summary", "heart_rate_summary", "heart_rate_intraday",
    "steps_intraday", "sleep_daily_summary", "sleep_level",
]
EUNOMIA_PERSONS = 2694


def source_columns(source, table):
    """Lower-case column name -> column name as stored in the source."""
    return {c.lower(): c for c in eunomia.columns(source, table)}


def output_schema(path):
    """Column name -> DuckDB type name of an output Parquet file."""
    rows = duckdb.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    return {name: ty for (name, ty, *_) in rows}


def expected_rows(source, table):
    """What the importer should write for a table, from the source (concept aside)."""
    if table not in eunomia.tables(source) or eunomia.is_header_only(source, table):
        return 0
    return eunomia.row_count(source, table)


def added_concepts(source):
    """Concept ids the importer must add: demographic, visit and type concepts used by the data
    but missing from `concept` (mirrors the importer's rule, computed independently here)."""
    used = set()
    for table in CONTRACT_TABLES:
        if expected_rows(source, table) == 0:
            continue
        cols = source_columns(source, table)
        checked = [c for c in cols if c.endswith("_type_concept_id")]
        if table == "person":
            checked += [c for c in ("gender_concept_id", "race_concept_id", "ethnicity_concept_id") if c in cols]
        if table == "visit_occurrence":
            checked.append("visit_concept_id")
        for c in checked:
            rows = source.execute(f'SELECT DISTINCT CAST("{cols[c]}" AS BIGINT) FROM main."{table}" WHERE "{cols[c]}" IS NOT NULL').fetchall()
            used.update(v for (v,) in rows)
    known = {v for (v,) in source.execute("SELECT CAST(concept_id AS BIGINT) FROM main.concept").fetchall()}
    return sorted(used - known)


def test_person_has_all_eunomia_persons(imported):
    (count,) = duckdb.execute(f"SELECT count(*) FROM read_parquet('{imported.parquet('person')}')").fetchone()
    assert count == EUNOMIA_PERSONS


def test_every_table_has_the_source_row_count(imported, source):
    assert sorted(imported.manifest["tables"]) == sorted(CONTRACT_TABLES)
    for table in CONTRACT_TABLES:
        (count,) = duckdb.execute(f"SELECT count(*) FROM read_parquet('{imported.parquet(table)}')").fetchone()
        expected = expected_rows(source, table)
        if table == "concept":
            expected += len(added_concepts(source))
        assert count == expected, table
    assert expected_rows(source, "death") == 0 and eunomia.row_count(source, "death") == 1


def test_manifest_matches_files(imported):
    m = imported.manifest
    for table, entry in m["tables"].items():
        (count,) = duckdb.execute(f"SELECT count(*) FROM read_parquet('{imported.parquet(table)}')").fetchone()
        assert entry["rows"] == count, table
        assert entry["file"] == f"{table}.parquet"
    assert m["name"] == "eunomia"
    assert m["source"] == f"imported from {imported.source_dir}"
    assert m["cdm_version"] == "5.3.1"
    assert m["reference_date"] == "2019-07-03"
    assert m["date_shift_note"] == "dates as in the source"
    assert m["tables"]["person"]["tier"] == "registered" and m["tables"]["concept"]["tier"] == "public"


def test_schemas_have_cdm_types(imported):
    person = output_schema(imported.parquet("person"))
    assert person["person_id"] == "BIGINT"
    assert person["gender_concept_id"] == "INTEGER"
    assert person["birth_datetime"] == "TIMESTAMP"
    assert person["person_source_value"] == "VARCHAR"
    condition = output_schema(imported.parquet("condition_occurrence"))
    assert condition["condition_concept_id"] == "INTEGER"
    assert condition["condition_start_date"] == "DATE"
    assert condition["condition_start_datetime"] == "TIMESTAMP"
    assert "provider_id" not in condition
    measurement = output_schema(imported.parquet("measurement"))
    assert (measurement["measurement_id"], measurement["value_as_number"]) == ("BIGINT", "DOUBLE")
    ancestor = output_schema(imported.parquet("concept_ancestor"))
    assert set(ancestor.values()) == {"INTEGER"}
    required = pq.read_schema(imported.parquet("person")).field("person_id")
    assert not required.nullable
    assert pq.read_schema(imported.parquet("person")).field("month_of_birth").nullable
    assert list(output_schema(imported.parquet("death"))) == [
        "person_id", "death_date", "death_datetime", "death_type_concept_id",
        "cause_concept_id", "cause_source_value", "cause_source_concept_id",
    ]


def aggregates(ty, expr):
    """SQL aggregates that fingerprint a column of output type `ty`, given an expression."""
    if ty in ("INTEGER", "BIGINT"):
        return f"count({expr}), sum(CAST({expr} AS HUGEINT)), min(CAST({expr} AS BIGINT)), max(CAST({expr} AS BIGINT))"
    if ty == "DOUBLE":
        return f"count({expr}), round(sum(CAST({expr} AS DOUBLE)), 6)"
    if ty in ("DATE", "TIMESTAMP"):
        return f"count({expr}), min(CAST({expr} AS {ty})), max(CAST({expr} AS {ty}))"
    text = f"NULLIF(CAST({expr} AS VARCHAR), '')"
    return f"count({text}), sum(length({text})), min({text}), max({text})"


def test_every_column_matches_the_source(imported, source):
    """Counts, sums, minima and maxima of every imported column equal those of the source."""
    added = added_concepts(source) or [-1]
    checked = 0
    for table in CONTRACT_TABLES:
        if expected_rows(source, table) == 0:
            continue
        cols = source_columns(source, table)
        where = f"WHERE concept_id NOT IN ({', '.join(map(str, added))})" if table == "concept" else ""
        for column, ty in output_schema(imported.parquet(table)).items():
            if column not in cols:
                continue
            want = source.execute(f'SELECT {aggregates(ty, chr(34) + cols[column] + chr(34))} FROM main."{table}"').fetchone()
            got = duckdb.execute(f"SELECT {aggregates(ty, column)} FROM read_parquet('{imported.parquet(table)}') {where}").fetchone()
            assert got == want, f"{table}.{column}"
            checked += 1
    assert checked > 100


def test_named_sums(imported, source):
    """A few figures spelled out: concept sums, distinct persons, non-null ids."""
    def both(sql_source, sql_out):
        return source.execute(sql_source).fetchone(), duckdb.execute(sql_out).fetchone()

    co = imported.parquet("condition_occurrence")
    want, got = both(
        "SELECT sum(condition_concept_id), count(DISTINCT person_id) FROM main.condition_occurrence",
        f"SELECT sum(condition_concept_id), count(DISTINCT person_id) FROM read_parquet('{co}')",
    )
    assert got == want
    want, got = both(
        "SELECT count(measurement_id), CAST(sum(measurement_id) AS BIGINT) FROM main.measurement",
        f"SELECT count(measurement_id), sum(measurement_id) FROM read_parquet('{imported.parquet('measurement')}')",
    )
    assert got == want and want[0] == 44053
    want, got = both(
        "SELECT count(*) FROM main.concept_ancestor WHERE ancestor_concept_id = 600000010",
        f"SELECT count(*) FROM read_parquet('{imported.parquet('concept_ancestor')}') WHERE ancestor_concept_id = 600000010",
    )
    assert got == want


def test_demographic_concepts_are_added_with_real_names(imported, source):
    concept = imported.parquet("concept")
    names = dict(duckdb.execute(f"SELECT concept_id, concept_name FROM read_parquet('{concept}')").fetchall())
    assert names[8507] == "MALE" and names[8532] == "FEMALE"
    assert names[8527] == "White" and names[8516] == "Black or African American" and names[8515] == "Asian"
    assert names[38003563] == "Hispanic or Latino"
    for column in ("gender_concept_id", "race_concept_id", "ethnicity_concept_id"):
        used = source.execute(f"SELECT DISTINCT {column} FROM main.person").fetchall()
        assert all(v in names for (v,) in used), column
    assert set(added_concepts(source)) <= set(names)
    assert "added 15 standard concepts" in imported.process.stderr


def test_report_lists_every_table(imported):
    err = imported.process.stderr
    for table in CONTRACT_TABLES:
        assert f"  {table} " in err, table
    assert "2,694 rows" in err
    assert "its first row held the column names" in err


def test_report_says_sex_at_birth_is_missing_and_what_that_changes(imported):
    assert ("note: person has no sex_at_birth_concept_id (an All of Us column): Sex at birth and "
            "Age × Sex use gender_concept_id, labelled Gender") in imported.process.stderr


def test_csv_and_parquet_imports_agree(parquet_import, csv_import):
    def rows(imp):
        return {t: e["rows"] for t, e in imp.manifest["tables"].items()}

    assert rows(parquet_import) == rows(csv_import)
    for table in ("person", "drug_exposure", "concept"):
        a, b = parquet_import.parquet(table), csv_import.parquet(table)
        (diff,) = duckdb.execute(
            f"SELECT count(*) FROM ((SELECT * FROM read_parquet('{a}') EXCEPT ALL SELECT * FROM read_parquet('{b}')) "
            f"UNION ALL (SELECT * FROM read_parquet('{b}') EXCEPT ALL SELECT * FROM read_parquet('{a}')))"
        ).fetchone()
        assert diff == 0, table


def test_missing_person_fails_and_writes_nothing(binary, parquet_import, tmp_path):
    partial = tmp_path / "no-person"
    partial.mkdir()
    for f in parquet_import.source_dir.iterdir():
        if f.name != "person.parquet":
            (partial / f.name).symlink_to(f)
    out = tmp_path / "out"
    process = run_import(binary, partial, out)
    assert process.returncode != 0
    assert "person" in process.stderr and "person.parquet" in process.stderr, process.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-person"]


def test_existing_output_needs_force(binary, parquet_import, tmp_path):
    out = tmp_path / "ds"
    assert run_import(binary, parquet_import.source_dir, out).returncode == 0
    again = run_import(binary, parquet_import.source_dir, out)
    assert again.returncode != 0 and "--force" in again.stderr
    forced = run_import(binary, parquet_import.source_dir, out, "--force", "--name", "GiBleed", "--reference-date", "2020-01-01")
    assert forced.returncode == 0, forced.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["name"], manifest["reference_date"]) == ("GiBleed", "2020-01-01")


@pytest.mark.parametrize("date", ["2020-13-01", "yesterday"])
def test_bad_reference_date_is_rejected(binary, parquet_import, tmp_path, date):
    process = run_import(binary, parquet_import.source_dir, tmp_path / "ds", "--reference-date", date)
    assert process.returncode != 0 and "YYYY-MM-DD" in process.stderr
    assert not (tmp_path / "ds").exists()
