"""Dataset helpers the tests and benchmarks share with the cohort oracles (DuckDB).

`schema_for(con, dataset_dir)` reads a dataset's Parquet files once into DuckDB tables (used by
tests/python/random_definitions.py and tests/python/test_stats_oracle.py); `age_on` is the age
in completed years as docs/statistics.md computes it, `reference_date` the dataset's CDR date.
The constants name the domain tables and the concepts the tests build definitions from.

This module once held a cohort translation written from the earlier version of
docs/cohort-semantics.md; the cohort counts now come from `workbench.py`.
"""

import hashlib
import json
import os
from collections import namedtuple

import duckdb

# Every table of a dataset directory, each `<name>.parquet`.
TABLES = (
    "concept", "concept_ancestor", "person", "observation_period", "visit_occurrence",
    "condition_occurrence", "drug_exposure", "procedure_occurrence", "measurement",
    "observation", "device_exposure", "death", "activity_summary", "heart_rate_summary",
)

PHYSICAL_EXAM_TYPE = 44818701  # measurement_type_concept_id of physical measurements
SURVEY_TYPE = 45905771  # observation_type_concept_id of survey answers
SYSTOLIC = 903118
DIASTOLIC = 903115

EventDomain = namedtuple("EventDomain", "table standard source date visit")

# The spec's domain table (standard/source concept column, event date, visit column);
# PHYSICAL_MEASUREMENT and SURVEY have a single concept column.
EVENT_DOMAINS = {
    "CONDITION": EventDomain("condition_occurrence", "condition_concept_id",
                             "condition_source_concept_id", "condition_start_date",
                             "visit_occurrence_id"),
    "PROCEDURE": EventDomain("procedure_occurrence", "procedure_concept_id",
                             "procedure_source_concept_id", "procedure_date",
                             "visit_occurrence_id"),
    "DRUG": EventDomain("drug_exposure", "drug_concept_id", "drug_source_concept_id",
                        "drug_exposure_start_date", "visit_occurrence_id"),
    "MEASUREMENT": EventDomain("measurement", "measurement_concept_id",
                               "measurement_source_concept_id", "measurement_date",
                               "visit_occurrence_id"),
    "OBSERVATION": EventDomain("observation", "observation_concept_id",
                               "observation_source_concept_id", "observation_date",
                               "visit_occurrence_id"),
    "DEVICE": EventDomain("device_exposure", "device_concept_id", "device_source_concept_id",
                          "device_exposure_start_date", "visit_occurrence_id"),
    "VISIT": EventDomain("visit_occurrence", "visit_concept_id", "visit_source_concept_id",
                         "visit_start_date", "visit_occurrence_id"),
    "DEATH": EventDomain("death", "cause_concept_id", "cause_source_concept_id", "death_date",
                         None),
    "PHYSICAL_MEASUREMENT": EventDomain("measurement", "measurement_concept_id",
                                        "measurement_concept_id", "measurement_date",
                                        "visit_occurrence_id"),
    "SURVEY": EventDomain("observation", "observation_source_concept_id",
                          "observation_source_concept_id", "observation_date", None),
}

# The column each event table is stored sorted by (speed only).
SORT_KEYS = {spec.table: spec.standard for domain, spec in EVENT_DOMAINS.items()
             if domain not in ("PHYSICAL_MEASUREMENT", "SURVEY")}
SORT_KEYS["observation"] = "observation_source_concept_id, observation_concept_id"


def age_on(dob, day):
    """SQL for the age in completed years on `day` of someone born on `dob` (both DATE)."""
    return (f"(year({day}) - year({dob}) - CASE WHEN month({day}) < month({dob}) OR "
            f"(month({day}) = month({dob}) AND day({day}) < day({dob})) THEN 1 ELSE 0 END)")


def schema_for(con, dataset_dir):
    """The schema holding the dataset on this connection, loaded once from its Parquet files.

    Rows whose person_id is not in `person` are dropped while loading (the spec ignores them).
    Event tables are stored sorted by concept so that concept filters skip most of them.
    """
    path = os.path.abspath(dataset_dir)
    schema = "ds_" + hashlib.sha1(path.encode()).hexdigest()[:12]
    try:
        con.execute(f"SELECT done FROM {schema}.loaded").fetchall()
        return schema
    except duckdb.CatalogException:
        pass
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in TABLES:
        file = os.path.join(path, f"{table}.parquet").replace("'", "''")
        select = f"SELECT * FROM read_parquet('{file}')"
        if table not in ("concept", "concept_ancestor", "person"):
            select += f" WHERE person_id IN (SELECT person_id FROM {schema}.person)"
        if table in SORT_KEYS:
            select += f" ORDER BY {SORT_KEYS[table]}"
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{table} AS {select}")
    con.execute(f"CREATE TABLE {schema}.loaded AS SELECT 1 AS done")
    return schema


def reference_date(dataset_dir):
    """The dataset's reference (CDR) date from manifest.json, `YYYY-MM-DD`."""
    with open(os.path.join(dataset_dir, "manifest.json")) as f:
        return json.load(f)["reference_date"]
