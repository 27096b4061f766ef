"""A second, independent cohort oracle: the All of Us Workbench's own query construction,
reproduced in DuckDB.

The Workbench (github.com/all-of-us/workbench) answers a Cohort Builder request in two steps:
its CDR scripts (`api/db-cdr/generate-cdr/`) flatten the OMOP tables into search tables, and
its query builder (`api/src/main/java/org/pmiops/workbench/cohortbuilder/`) turns each search
group item into SQL over them. This module does both, in that order and with the same shapes:

- `cb_search_all_events` (build-search-all-events.sh): one row per (OMOP row, standard or source
  concept column) with `entry_date`, `is_standard`, `concept_id`, `age_at_event`, the visit's
  `visit_concept_id` / `visit_occurrence_id`, the value columns and, on blood-pressure rows, the
  `systolic` / `diastolic` of the same person and datetime;
- `cb_search_person` (build-cb-search-person.sh): date of birth, deceased, `age_at_consent`,
  `age_at_cdr` and the `has_*` flags the data filters and "has data" criteria read;
- the criteria tree (`cb_criteria` from the build-cb-criteria-*.sh scripts) as a closure table
  `cb_criteria_tree(ancestor_concept_id, descendant_concept_id, is_standard)`: the concepts of
  the selectable nodes in the subtree of a concept's rank-1 node — what CHILD_LOOKUP_SQL's
  `path LIKE` finds. Standard trees come from `concept_ancestor` (the survey tree, PPI, is a
  source tree); the CPT4 source tree (prep_cpt in build-cb-criteria-cpt4.sh: the CPT4
  Hierarchy classes over the codes) from `concept_ancestor` among CPT4 concepts; the
  ICD9CM/ICD10CM (and ICD9Proc/ICD10PCS) source hierarchies, which `concept_ancestor` lacks,
  from the codes (a code is under every shorter code of its vocabulary it starts with, E11 >
  E11.6 > E11.65);
- the drug tree (ATC classes over RxNorm ingredients, build-cb-criteria-drug.sh) as
  `cb_drug_tree` and `cb_criteria_ancestor(ancestor_id, descendant_id)`: ingredient to every
  drug concept of `drug_exposure` below it in `concept_ancestor`;
- per item, the SQL of SearchGroupItemQueryBuilder.buildBaseQuery (concept parts, attribute
  parts, modifiers, NUM_OF_OCCURRENCES over `SELECT DISTINCT person_id, entry_date,
  concept_id`), buildDemoSql, the "has data" flags and buildInnerTemporalQuery /
  buildOuterTemporalQuery; per definition, QueryBuilder.addWhereClause and addDataFilters.

Where the Workbench has a plain bug, the oracle follows its evident intent (each noted below).
The cohortlens extensions, which the Workbench lacks, are added in the same shapes:
`restrictToObservationPeriod` (events inside an observation period), DEATH events
(`cb_death_events`) and FITBIT step attributes (mean daily steps). Requests the Workbench would
evaluate on data an OMOP dataset lacks (genomic variants, survey versions, CATI) raise
`Unsupported`. See docs/cohort-semantics.md for the rules and their sources.

This module imports nothing from the first oracle (`cohort.py`).

    python -m cohortlens_oracle.workbench --data DIR --definitions FILE
"""

import argparse
import hashlib
import json
import os

import duckdb

# The OMOP tables read (absent files are empty tables of the columns used).
TABLES = {
    "concept": "concept_id BIGINT, concept_name VARCHAR, domain_id VARCHAR, vocabulary_id VARCHAR, "
               "concept_class_id VARCHAR, standard_concept VARCHAR, concept_code VARCHAR",
    "concept_ancestor": "ancestor_concept_id BIGINT, descendant_concept_id BIGINT",
    "person": "person_id BIGINT, gender_concept_id BIGINT, year_of_birth INTEGER, "
              "month_of_birth INTEGER, day_of_birth INTEGER, birth_datetime TIMESTAMP, "
              "race_concept_id BIGINT, ethnicity_concept_id BIGINT, sex_at_birth_concept_id BIGINT",
    "visit_occurrence": "visit_occurrence_id BIGINT, person_id BIGINT, visit_concept_id BIGINT, "
                        "visit_start_date DATE, visit_start_datetime TIMESTAMP, "
                        "visit_type_concept_id BIGINT",
    "condition_occurrence": "person_id BIGINT, condition_concept_id BIGINT, "
                            "condition_start_date DATE, condition_start_datetime TIMESTAMP, "
                            "condition_type_concept_id BIGINT, visit_occurrence_id BIGINT, "
                            "condition_source_concept_id BIGINT",
    "procedure_occurrence": "person_id BIGINT, procedure_concept_id BIGINT, procedure_date DATE, "
                            "procedure_datetime TIMESTAMP, procedure_type_concept_id BIGINT, "
                            "visit_occurrence_id BIGINT, procedure_source_concept_id BIGINT",
    "drug_exposure": "person_id BIGINT, drug_concept_id BIGINT, drug_exposure_start_date DATE, "
                     "drug_exposure_start_datetime TIMESTAMP, drug_type_concept_id BIGINT, "
                     "visit_occurrence_id BIGINT, drug_source_concept_id BIGINT",
    "measurement": "person_id BIGINT, measurement_concept_id BIGINT, measurement_date DATE, "
                   "measurement_datetime TIMESTAMP, measurement_type_concept_id BIGINT, "
                   "value_as_number DOUBLE, value_as_concept_id BIGINT, "
                   "visit_occurrence_id BIGINT, measurement_source_concept_id BIGINT",
    "observation": "person_id BIGINT, observation_concept_id BIGINT, observation_date DATE, "
                   "observation_datetime TIMESTAMP, observation_type_concept_id BIGINT, "
                   "value_as_number DOUBLE, value_as_concept_id BIGINT, "
                   "visit_occurrence_id BIGINT, observation_source_concept_id BIGINT, "
                   "value_source_concept_id BIGINT",
    "device_exposure": "person_id BIGINT, device_concept_id BIGINT, "
                       "device_exposure_start_date DATE, device_exposure_start_datetime TIMESTAMP, "
                       "device_type_concept_id BIGINT, visit_occurrence_id BIGINT, "
                       "device_source_concept_id BIGINT",
    "death": "person_id BIGINT, death_date DATE, cause_concept_id BIGINT, "
             "cause_source_concept_id BIGINT",
    "observation_period": "person_id BIGINT, observation_period_start_date DATE, "
                          "observation_period_end_date DATE",
    "activity_summary": "person_id BIGINT, steps DOUBLE",
    "heart_rate_summary": "person_id BIGINT",
    "heart_rate_intraday": "person_id BIGINT",
    "steps_intraday": "person_id BIGINT",
    "sleep_daily_summary": "person_id BIGINT",
    "sleep_level": "person_id BIGINT",
    "device": "person_id BIGINT",
    "wear_study": "person_id BIGINT",
}

# build-cb-search-person.sh: the consent date is the Consent PII row, else the Street Address:
# PII State row, else the first answer of The Basics.
CONSENT = 1585482
PII_STATE = 1585249
THE_BASICS = 1586134
SYSTOLIC = 903118
DIASTOLIC = 903115
# measurement_type_concept_id / observation_type_concept_id cohortlens reads as "not EHR"
# (the Workbench reads `src_id` of the *_ext tables, which OMOP exports lack).
PHYSICAL_EXAM_TYPE = 44818701
SURVEY_TYPE = 45905771

# SearchGroupItemQueryBuilder.HAS_DATA_DOMAINS: item type -> cb_search_person flag.
HAS_DATA_DOMAINS = {
    "FITBIT": "has_fitbit",
    "FITBIT_PLUS_DEVICE": "has_fitbit_plus_device_information",
    "FITBIT_HEART_RATE_SUMMARY": "has_fitbit_heart_rate_summary",
    "FITBIT_HEART_RATE_LEVEL": "has_fitbit_heart_rate_level",
    "FITBIT_ACTIVITY": "has_fitbit_activity_summary",
    "FITBIT_INTRADAY_STEPS": "has_fitbit_steps_intraday",
    "FITBIT_SLEEP_DAILY_SUMMARY": "has_fitbit_sleep_daily_summary",
    "FITBIT_SLEEP_LEVEL": "has_fitbit_sleep_level",
    "FITBIT_DEVICE": "has_fitbit_device_information",
    "WEAR_CONSENT": "has_wear_consent",
    "PHYSICAL_MEASUREMENT": "has_physical_measurement_data",
}
# Flags derived from data an OMOP export does not have (genomics, ETM tasks).
NOT_IN_OMOP = ("WHOLE_GENOME_VARIANT", "ARRAY_DATA", "LR_WHOLE_GENOME_VARIANT",
               "STRUCTURAL_VARIANT_DATA", "SNP_INDEL_VARIANT", "ETM_DELAYDISCOUNTING",
               "ETM_EMORECOG", "ETM_FLANKER", "ETM_GRADCPT")
FITBIT_TABLES = ("activity_summary", "heart_rate_intraday", "heart_rate_summary",
                 "steps_intraday", "sleep_daily_summary", "sleep_level")
SOURCE_HIERARCHIES = ("ICD9CM", "ICD10CM", "ICD9Proc", "ICD10PCS")

# OperatorUtils.getSqlOperator.
SQL_OPERATORS = {
    "EQUAL": "=", "NOT_EQUAL": "!=", "LESS_THAN": "<", "GREATER_THAN": ">",
    "LESS_THAN_OR_EQUAL_TO": "<=", "GREATER_THAN_OR_EQUAL_TO": ">=", "BETWEEN": "BETWEEN",
    "IN": "IN",
}


class Schema(str):
    """The schema of a loaded dataset (as text), and whether the definition restricts events
    to observation periods (the cohortlens extension `restrictToObservationPeriod`)."""

    restrict = False

    def restricted(self, restrict):
        schema = Schema(self)
        schema.restrict = bool(restrict)
        return schema

    def events_where(self):
        """The observation-period condition on `ev` (empty without the extension)."""
        if not self.restrict:
            return ""
        return (f" AND EXISTS (SELECT 1 FROM {self}.observation_period op WHERE op.person_id = "
                f"ev.person_id AND ev.entry_date BETWEEN op.observation_period_start_date AND "
                f"op.observation_period_end_date)")


class Unsupported(ValueError):
    """A request the Workbench has no answer for on an OMOP dataset (or rejects)."""


# -- the search tables ------------------------------------------------------------------------


def _age(dob, day):
    """The Workbench's age in completed years (DATE_DIFF in years minus a not-yet birthday)."""
    return (f"(date_diff('year', {dob}, {day}) - CASE WHEN month({dob}) * 100 + day({dob}) > "
            f"month({day}) * 100 + day({day}) THEN 1 ELSE 0 END)")


def _events(schema):
    """INSERTs of build-search-all-events.sh, one SELECT per (table, concept column)."""
    s = schema

    def part(table, alias, date, datetime, standard, concept, where, values=""):
        return (
            f"SELECT {alias}.person_id, {alias}.{date} AS entry_date, "
            f"{alias}.{datetime} AS entry_datetime, {standard} AS is_standard, "
            f"{alias}.{concept} AS concept_id, "
            f"{_age('p.dob', f'{alias}.{date}')} AS age_at_event, vo.visit_concept_id, "
            f"vo.visit_occurrence_id, {values or 'NULL::DOUBLE, NULL::BIGINT, NULL::BIGINT'} "
            f"AS v FROM {s}.{table} {alias} JOIN {s}.cb_person_dob p ON p.person_id = "
            f"{alias}.person_id LEFT JOIN {s}.visit_occurrence vo ON vo.visit_occurrence_id = "
            f"{alias}.visit_occurrence_id {where}")

    # `_events_flat` names the value triple's three columns.
    def values(num, cat, source):
        return f"{num}, {cat}, {source}"

    con_ = f"JOIN {s}.concept c ON c.concept_id = "
    parts = [
        part("condition_occurrence", "co", "condition_start_date", "condition_start_datetime", 0,
             "condition_source_concept_id",
             f"{con_}co.condition_source_concept_id WHERE co.condition_source_concept_id != 0 "
             "AND c.vocabulary_id != 'SNOMED'"),
        part("condition_occurrence", "co", "condition_start_date", "condition_start_datetime", 1,
             "condition_concept_id",
             f"{con_}co.condition_concept_id WHERE co.condition_concept_id != 0"),
        part("procedure_occurrence", "po", "procedure_date", "procedure_datetime", 0,
             "procedure_source_concept_id",
             f"{con_}po.procedure_source_concept_id WHERE po.procedure_source_concept_id != 0 "
             "AND c.vocabulary_id != 'SNOMED'"),
        part("procedure_occurrence", "po", "procedure_date", "procedure_datetime", 1,
             "procedure_concept_id",
             f"{con_}po.procedure_concept_id WHERE po.procedure_concept_id != 0 AND NOT "
             "(c.domain_id = 'Procedure' AND c.vocabulary_id IN ('CPT4', 'ICD9Proc', 'ICD10PCS') "
             "AND c.standard_concept IS NOT DISTINCT FROM 'S')"),
        part("measurement", "m", "measurement_date", "measurement_datetime", 0,
             "measurement_source_concept_id",
             f"{con_}m.measurement_source_concept_id WHERE m.measurement_source_concept_id != 0",
             values("m.value_as_number", "m.value_as_concept_id", "NULL::BIGINT")),
        part("measurement", "m", "measurement_date", "measurement_datetime", 1,
             "measurement_concept_id",
             f"{con_}m.measurement_concept_id WHERE m.measurement_concept_id != 0 AND NOT "
             "(c.domain_id = 'Measurement' AND c.vocabulary_id = 'CPT4' "
             "AND c.standard_concept IS NOT DISTINCT FROM 'S')",
             values("m.value_as_number", "m.value_as_concept_id", "NULL::BIGINT")),
        # Observation source rows (surveys included) need no concept row.
        part("observation", "o", "observation_date", "observation_datetime", 0,
             "observation_source_concept_id", "WHERE o.observation_source_concept_id != 0",
             values("o.value_as_number", "o.value_as_concept_id", "o.value_source_concept_id")),
        part("observation", "o", "observation_date", "observation_datetime", 1,
             "observation_concept_id",
             f"{con_}o.observation_concept_id WHERE o.observation_concept_id != 0 AND NOT "
             "(c.domain_id = 'Observation' AND c.vocabulary_id = 'CPT4' "
             "AND c.standard_concept IS NOT DISTINCT FROM 'S') AND c.vocabulary_id != 'PPI' "
             "AND c.concept_class_id != 'Survey'",
             values("o.value_as_number", "o.value_as_concept_id", "o.value_source_concept_id")),
        part("device_exposure", "de", "device_exposure_start_date",
             "device_exposure_start_datetime", 1, "device_concept_id",
             f"{con_}de.device_concept_id WHERE c.standard_concept = 'S' "
             "AND c.domain_id = 'Device' AND de.device_concept_id != 0"),
        part("drug_exposure", "d", "drug_exposure_start_date", "drug_exposure_start_datetime", 1,
             "drug_concept_id", f"{con_}d.drug_concept_id WHERE d.drug_concept_id != 0"),
    ]
    # Visits are their own visit.
    parts.append(
        f"SELECT v.person_id, v.visit_start_date, v.visit_start_datetime, 1, v.visit_concept_id, "
        f"{_age('p.dob', 'v.visit_start_date')}, v.visit_concept_id, v.visit_occurrence_id, "
        f"NULL::DOUBLE, NULL::BIGINT, NULL::BIGINT FROM {s}.visit_occurrence v JOIN "
        f"{s}.cb_person_dob p ON p.person_id = v.person_id JOIN {s}.concept c ON c.concept_id "
        f"= v.visit_concept_id WHERE v.visit_concept_id != 0")
    return "\nUNION ALL\n".join(parts)


def load(con, dataset_dir):
    """The schema holding the dataset and its Workbench search tables (built once)."""
    path = os.path.abspath(dataset_dir)
    schema = Schema("wb_" + hashlib.sha1(path.encode()).hexdigest()[:12])
    try:
        con.execute(f"SELECT 1 FROM {schema}.loaded").fetchall()
        return schema
    except duckdb.CatalogException:
        pass
    con.execute("SET enable_progress_bar = false")
    sources = {}
    for table in TABLES:
        file = os.path.join(path, f"{table}.parquet")
        if os.path.exists(file):
            present = {r[0] for r in con.execute(
                "SELECT name FROM parquet_schema(?)", [file]).fetchall()}
            sources[table] = (f"read_parquet('{file.replace(chr(39), chr(39) * 2)}')", present)
    for statement in build_sql(schema, sources):
        con.execute(statement)
    return schema


def build_sql(s, sources, views=False):
    """The statements that build schema `s`: the OMOP tables of TABLES (from `sources`, table ->
    (FROM clause, set of its column names); a column or table not there is NULL or empty; with
    `views`, views over the sources instead of copies), then the search tables, then `s.loaded`."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {s}"]
    for table, columns in TABLES.items():
        if table in sources:
            source, present = sources[table]
            cols = ", ".join(f"CAST({n} AS {t}) AS {n}" if n in present else f"NULL::{t} AS {n}"
                             for n, t in (c.split() for c in columns.split(", ")))
            kind = "VIEW" if views else "TABLE"
            statements.append(f"CREATE OR REPLACE {kind} {s}.{table} AS SELECT {cols} FROM {source}")
        else:
            statements.append(f"CREATE OR REPLACE TABLE {s}.{table} ({columns})")
    # date(birth_datetime); cohortlens falls back to year/month/day when it is null.
    statements.append(f"""CREATE OR REPLACE TABLE {s}.cb_person_dob AS
        SELECT person_id, coalesce(CAST(birth_datetime AS DATE),
            make_date(year_of_birth, coalesce(month_of_birth, 1), coalesce(day_of_birth, 1)))
            AS dob FROM {s}.person""")
    # Blood pressure: on a systolic row its own value and the diastolic of the same person
    # and datetime, and the reverse (build-search-all-events.sh, "update ... diastolic/systolic"),
    # updated in place on those rows only.
    bp = f"({SYSTOLIC}, {DIASTOLIC})"
    statements.append(f"CREATE OR REPLACE TABLE {s}.cb_search_all_events AS SELECT *, "
                      f"CASE WHEN concept_id = {SYSTOLIC} THEN value_as_number END AS systolic, "
                      f"CASE WHEN concept_id = {DIASTOLIC} THEN value_as_number END AS diastolic "
                      f"FROM ({_events_flat(s)})")
    statements.append(f"""UPDATE {s}.cb_search_all_events AS e
        SET systolic = CASE WHEN e.concept_id = {SYSTOLIC} THEN e.systolic ELSE pair.systolic END,
            diastolic = CASE WHEN e.concept_id = {DIASTOLIC} THEN e.diastolic ELSE pair.diastolic END
        FROM (SELECT person_id, entry_datetime, is_standard, max(systolic) AS systolic,
                     max(diastolic) AS diastolic
              FROM {s}.cb_search_all_events WHERE concept_id IN {bp}
              GROUP BY person_id, entry_datetime, is_standard) AS pair
        WHERE e.concept_id IN {bp} AND pair.person_id = e.person_id
          AND pair.entry_datetime = e.entry_datetime AND pair.is_standard = e.is_standard""")
    statements.append(_search_person(s))
    statements.extend(_criteria(s))
    # Extension (cohortlens): DEATH events, by cause concept (is_standard 1 / 0) and, for a
    # parameter without cause, every death row (is_standard 2).
    statements.append(f"""CREATE OR REPLACE TABLE {s}.cb_death_events AS
        SELECT d.person_id, d.death_date AS entry_date, k.is_standard,
            CASE k.is_standard WHEN 0 THEN d.cause_source_concept_id ELSE d.cause_concept_id END
                AS concept_id,
            {_age('p.dob', 'd.death_date')} AS age_at_event, NULL::BIGINT AS visit_concept_id,
            NULL::BIGINT AS visit_occurrence_id, NULL::DOUBLE AS value_as_number,
            NULL::BIGINT AS value_as_concept_id, NULL::BIGINT AS value_source_concept_id,
            NULL::DOUBLE AS systolic, NULL::DOUBLE AS diastolic
        FROM {s}.death d JOIN {s}.cb_person_dob p ON p.person_id = d.person_id,
            (VALUES (0), (1), (2)) k(is_standard)""")
    statements.append(f"CREATE OR REPLACE TABLE {s}.loaded AS SELECT 1 AS done")
    return statements


def _events_flat(s):
    """`_events` with the value triple as three columns."""
    sql = _events(s)
    sql = sql.replace("NULL::DOUBLE, NULL::BIGINT, NULL::BIGINT AS v FROM",
                      "NULL::DOUBLE AS value_as_number, NULL::BIGINT AS value_as_concept_id, "
                      "NULL::BIGINT AS value_source_concept_id FROM")
    for table in ("m", "o"):
        for src in ("NULL::BIGINT", f"{table}.value_source_concept_id"):
            sql = sql.replace(
                f"{table}.value_as_number, {table}.value_as_concept_id, {src} AS v FROM",
                f"{table}.value_as_number AS value_as_number, {table}.value_as_concept_id AS "
                f"value_as_concept_id, {src} AS value_source_concept_id FROM")
    return sql


def _search_person(s):
    """The statement building cb_search_person (build-cb-search-person.sh)."""
    ehr_tables = ("visit_occurrence", "condition_occurrence", "drug_exposure",
                  "procedure_occurrence", "device_exposure")
    ehr = " UNION ".join(f"SELECT person_id FROM {s}.{t}" for t in ehr_tables)
    ehr += (f" UNION SELECT person_id FROM {s}.measurement WHERE measurement_type_concept_id "
            f"IS DISTINCT FROM {PHYSICAL_EXAM_TYPE} UNION SELECT person_id FROM {s}.observation "
            f"WHERE observation_type_concept_id IS DISTINCT FROM {SURVEY_TYPE}")
    fitbit = " UNION ".join(f"SELECT person_id FROM {s}.{t}" for t in FITBIT_TABLES)

    def flag(select):
        return f"CASE WHEN p.person_id IN ({select}) THEN 1 ELSE 0 END"

    return (f"""CREATE OR REPLACE TABLE {s}.cb_search_person AS
        WITH cdr AS (SELECT max(entry_date) AS day FROM {s}.cb_search_all_events),
        consent AS (
            SELECT p.person_id, coalesce(
                (SELECT min(observation_date) FROM {s}.observation o
                 WHERE o.person_id = p.person_id AND o.observation_source_concept_id = {CONSENT}),
                (SELECT min(observation_date) FROM {s}.observation o
                 WHERE o.person_id = p.person_id AND o.observation_source_concept_id = {PII_STATE}),
                (SELECT min(observation_date) FROM {s}.observation o
                 WHERE o.person_id = p.person_id AND o.observation_source_concept_id IN (
                    SELECT descendant_concept_id FROM {s}.concept_ancestor
                    WHERE ancestor_concept_id = {THE_BASICS}))) AS day
            FROM {s}.person p)
        SELECT p.person_id, p.gender_concept_id, p.race_concept_id, p.ethnicity_concept_id,
            p.sex_at_birth_concept_id, d.dob,
            {flag(f'SELECT person_id FROM {s}.death')} AS is_deceased,
            {_age('d.dob', 'consent.day')} AS age_at_consent,
            {_age('d.dob', '(SELECT day FROM cdr)')} AS age_at_cdr,
            {flag(ehr)} AS has_ehr_data,
            {flag(f"SELECT person_id FROM {s}.measurement WHERE measurement_source_concept_id IN (SELECT concept_id FROM {s}.concept WHERE vocabulary_id = 'PPI' AND concept_class_id = 'Clinical Observation' AND domain_id = 'Measurement')")} AS has_physical_measurement_data,
            {flag(f"SELECT person_id FROM {s}.observation WHERE observation_source_concept_id IN (SELECT descendant_concept_id FROM {s}.concept_ancestor a JOIN {s}.concept c ON c.concept_id = a.ancestor_concept_id WHERE c.vocabulary_id = 'PPI' AND c.concept_class_id = 'Module')")} AS has_ppi_survey_data,
            {flag(fitbit)} AS has_fitbit,
            {flag(f'SELECT person_id FROM {s}.activity_summary')} AS has_fitbit_activity_summary,
            {flag(f'SELECT person_id FROM {s}.heart_rate_summary')} AS has_fitbit_heart_rate_summary,
            {flag(f'SELECT person_id FROM {s}.heart_rate_intraday')} AS has_fitbit_heart_rate_level,
            {flag(f'SELECT person_id FROM {s}.steps_intraday')} AS has_fitbit_steps_intraday,
            {flag(f'SELECT person_id FROM {s}.sleep_daily_summary')} AS has_fitbit_sleep_daily_summary,
            {flag(f'SELECT person_id FROM {s}.sleep_level')} AS has_fitbit_sleep_level,
            {flag(f'SELECT person_id FROM {s}.device')} AS has_fitbit_device_information,
            {flag(fitbit + f' UNION SELECT person_id FROM {s}.device')} AS has_fitbit_plus_device_information,
            {flag(f'SELECT person_id FROM {s}.wear_study')} AS has_wear_consent
        FROM {s}.person p JOIN {s}.cb_person_dob d ON d.person_id = p.person_id
        JOIN consent ON consent.person_id = p.person_id""")


def _criteria(s):
    """The statements building the criteria tree as a closure table, and the drug tree with
    cb_criteria_ancestor."""
    return [f"""CREATE OR REPLACE TABLE {s}.cb_criteria_tree AS
        -- the standard trees, and the survey tree (PPI modules over questions: a source tree)
        SELECT a.ancestor_concept_id, a.descendant_concept_id,
            CASE WHEN c.vocabulary_id = 'PPI' THEN 0 ELSE 1 END AS is_standard
        FROM {s}.concept_ancestor a JOIN {s}.concept c ON c.concept_id = a.descendant_concept_id
        UNION
        -- the CPT4 tree (build-cb-criteria-cpt4.sh from prep_cpt: the CPT4 Hierarchy classes
        -- over the codes) is a source tree: concept_ancestor among CPT4 concepts
        SELECT a.ancestor_concept_id, a.descendant_concept_id, 0
        FROM {s}.concept_ancestor a
        JOIN {s}.concept c ON c.concept_id = a.ancestor_concept_id AND c.vocabulary_id = 'CPT4'
        JOIN {s}.concept d ON d.concept_id = a.descendant_concept_id AND d.vocabulary_id = 'CPT4'
        UNION
        -- ICD source hierarchies by code
        SELECT a.concept_id, d.concept_id, 0
        FROM {s}.concept a JOIN {s}.concept d ON d.vocabulary_id = a.vocabulary_id
            AND starts_with(d.concept_code, a.concept_code)
        WHERE a.vocabulary_id IN {SOURCE_HIERARCHIES} AND a.concept_code != ''
        UNION
        -- every concept is its own node, in both kinds of tree
        SELECT concept_id, concept_id, 0 FROM {s}.concept
        UNION SELECT concept_id, concept_id, 1 FROM {s}.concept""",
            f"""CREATE OR REPLACE TABLE {s}.cb_drug_tree AS
        WITH nodes AS (
            SELECT concept_id FROM {s}.concept
            WHERE vocabulary_id = 'ATC'
               OR (vocabulary_id IN ('RxNorm', 'RxNorm Extension')
                   AND concept_class_id IN ('Ingredient', 'Brand Name')))
        SELECT a.ancestor_concept_id, a.descendant_concept_id
        FROM {s}.concept_ancestor a
        WHERE a.ancestor_concept_id IN (SELECT concept_id FROM nodes)
          AND a.descendant_concept_id IN (SELECT concept_id FROM nodes)
        UNION SELECT concept_id, concept_id FROM nodes""",
            f"""CREATE OR REPLACE TABLE {s}.cb_criteria_ancestor AS
        SELECT a.ancestor_concept_id AS ancestor_id, a.descendant_concept_id AS descendant_id
        FROM {s}.concept_ancestor a JOIN {s}.concept c ON c.concept_id = a.ancestor_concept_id
        WHERE c.vocabulary_id IN ('RxNorm', 'RxNorm Extension')
          AND c.concept_class_id = 'Ingredient' AND c.standard_concept = 'S'
          AND a.descendant_concept_id IN (SELECT drug_concept_id FROM {s}.drug_exposure)"""]


# -- SearchGroupItemQueryBuilder ------------------------------------------------------------


def _ids(values):
    """A list of concept ids as SQL."""
    return "(" + ", ".join(str(int(v)) for v in values) + ")" if values else "(NULL)"


def _operand(text):
    """QueryParameterValue.float64(Double.valueOf(operand))."""
    value = float(text)
    return repr(value)


def _operands(operator, operands, literal=_operand):
    """The right-hand side of `column <op> ...` for one attribute or modifier."""
    if operator not in SQL_OPERATORS:
        raise Unsupported(f"operator {operator!r}")
    values = [literal(o) for o in operands]
    if operator == "BETWEEN":
        return f"BETWEEN {values[0]} AND {values[1]}"
    if operator == "IN":
        return f"IN ({', '.join(values)})"
    return f"{SQL_OPERATORS[operator]} {values[0]}"


def _standard(param):
    """`standard` of a SearchParameter (the API's default is false)."""
    return 1 if param.get("standard") else 0


def _attribute_part(param):
    """processAttributeSql: one WHERE part for a parameter with attributes."""
    attrs = param.get("attributes") or []
    for a in attrs:
        if a.get("name") == "SURVEY_VERSION_CONCEPT_ID":
            raise Unsupported("survey versions (observation_ext) are not in an OMOP dataset")
        if a.get("name") not in ("ANY", "NUM", "CAT"):
            raise Unsupported(f"attribute {a.get('name')!r} on an event parameter")
    concept_ids = [a["conceptId"] for a in attrs if a.get("conceptId") is not None]
    nums = [a for a in attrs if a.get("name") == "NUM"]
    cats = [a for a in attrs if a.get("name") == "CAT"]
    anys = [a for a in attrs if a.get("name") == "ANY"]
    ids = concept_ids or [param.get("conceptId")]
    sql = f"concept_id IN {_ids(ids)} AND is_standard = {_standard(param)}"
    if nums:
        if concept_ids:
            # Blood pressure. The Workbench picks systolic for the first non-ANY attribute and
            # diastolic for the second ("assumes the UI adds systolic first"); its evident
            # intent is the column of the attribute's concept, which this follows.
            for a in attrs:
                if a.get("name") == "ANY":
                    continue
                column = "systolic" if a.get("conceptId") == SYSTOLIC else "diastolic"
                sql += f" AND {column} {_operands(a['operator'], a['operands'])}"
        else:
            paren = "(" if cats else ""
            sql += f" AND {paren}value_as_number {_operands(nums[0]['operator'], nums[0]['operands'])}"
    if cats:
        joiner = " OR " if nums else " AND "
        paren = ")" if nums else ""
        column = ("value_source_concept_id" if param.get("domain") == "SURVEY"
                  else "value_as_concept_id")
        values = [int(o) for o in cats[0]["operands"]]
        sql += f"{joiner}{column} IN {_ids(values)}{paren}"
    if anys and param.get("domain") == "SURVEY":
        sql += " AND value_as_number IS NOT NULL"
    return sql


def _concept_part(s, domain, params, standard):
    """addParamValueAndFormat: the WHERE part of a set of parameters without attributes."""
    ids = [p.get("conceptId") for p in params]
    if domain == "DRUG":
        # DRUG_SQL: rank-1 drug-tree nodes of the ids, their selectable standard subtree, then
        # cb_criteria_ancestor (ingredient -> drugs in drug_exposure), whatever `group` and
        # `ancestorData` say. The drug tree is standard: a source drug parameter finds nothing.
        if standard != 1:
            return "FALSE"
        return (f"concept_id IN (SELECT DISTINCT ca.descendant_id FROM {s}.cb_criteria_ancestor "
                f"ca JOIN {s}.cb_drug_tree t ON ca.ancestor_id = t.descendant_concept_id WHERE "
                f"t.ancestor_concept_id IN {_ids(ids)}) AND is_standard = {standard}")
    if any(p.get("group") for p in params):
        return (f"concept_id IN (SELECT DISTINCT descendant_concept_id FROM {s}.cb_criteria_tree "
                f"WHERE ancestor_concept_id IN {_ids(ids)} AND is_standard = {standard}) "
                f"AND is_standard = {standard}")
    return f"concept_id IN {_ids(ids)} AND is_standard = {standard}"


def _modifier(mods, name):
    """getModifier: the first modifier of a type."""
    return next((m for m in mods if m.get("name") == name), None)


def _age_date_encounter_sql(mods):
    """getAgeDateAndEncounterSql."""
    sql = ""
    for name in ("AGE_AT_EVENT", "EVENT_DATE", "ENCOUNTERS", "CATI"):
        m = _modifier(mods, name)
        if m is None:
            continue
        if name == "CATI":
            raise Unsupported("CATI reads survey_conduct, which an OMOP dataset lacks")
        operands = m.get("operands") or []
        if name == "AGE_AT_EVENT":
            sql += f" AND age_at_event {_operands(m['operator'], operands, lambda o: str(int(o)))}"
        elif name == "ENCOUNTERS":
            # only the first operand is bound
            op = SQL_OPERATORS[m["operator"]]
            sql += f" AND visit_concept_id {op} ({int(operands[0])})"
        else:
            sql += (" AND entry_date "
                    + _operands(m["operator"], operands, lambda o: f"DATE '{o}'"))
    return sql


def _events_table(s, item):
    """Where an item's events are: the search events, or (extension) the death events."""
    return f"{s}.cb_death_events" if item.get("type") == "DEATH" else f"{s}.cb_search_all_events"


def _death_parts(s, params):
    """Extension: one part, any of the parameters' causes (none or 0: every death)."""
    conditions = []
    for p in params:
        if not p.get("conceptId"):
            conditions.append("is_standard = 2")
        else:
            conditions.append(_concept_part(s, "DEATH", [p], 1 if p.get("standard") else 0))
    return ["(" + " OR ".join(conditions) + ")"]


def _item_parts(s, item):
    """The WHERE parts of an event item (buildBaseQuery's queryParts)."""
    domain = item.get("type")
    params = item.get("searchParameters") or []
    if not params:
        raise Unsupported("an item without search parameters")
    if domain == "DEATH":
        return _death_parts(s, params)
    parts, standard, source = [], [], []
    for p in params:
        if p.get("attributes"):
            parts.append(_attribute_part(p))
        elif p.get("standard"):
            standard.append(p)
        else:
            source.append(p)
    if standard:
        parts.append(_concept_part(s, domain, standard, 1))
    if source:
        parts.append(_concept_part(s, domain, source, 0))
    # For CONDITION and PROCEDURE items mixing standard and source parameters the Workbench
    # wraps the parts as `person_id IN (...)`, so every event of those persons then passes to
    # the modifiers; the evident intent, followed here, is the union of the parts' events.
    return parts



def _demographic(s, p):
    """One PERSON parameter (buildDemoSql)."""
    kind = p.get("type")
    if kind == "AGE":
        a = p["attributes"][0]
        column = {
            "AGE": _age("dob", "current_date"),
            "AGE_AT_CONSENT": "age_at_consent",
            "AGE_AT_CDR": "age_at_cdr",
        }[a["name"]]
        sql = (f"SELECT person_id FROM {s}.cb_search_person p WHERE {column} "
               f"{_operands(a['operator'], a['operands'], lambda o: str(int(o)))}")
        if a["name"] != "AGE_AT_CONSENT":
            sql += f" AND NOT EXISTS (SELECT 'x' FROM {s}.death d WHERE d.person_id = p.person_id)"
        return sql
    columns = {"GENDER": "gender_concept_id", "SEX": "sex_at_birth_concept_id",
               "RACE": "race_concept_id", "ETHNICITY": "ethnicity_concept_id"}
    if kind in columns:
        return f"SELECT person_id FROM {s}.person p WHERE {columns[kind]} IN {_ids([p.get('conceptId')])}"
    if kind == "DECEASED":
        return (f"SELECT person_id FROM {s}.person p WHERE EXISTS (SELECT 'x' FROM "
                f"{s}.death d WHERE d.person_id = p.person_id)")
    if kind == "HAS_EHR_DATA":
        return f"SELECT person_id FROM {s}.cb_search_person WHERE has_ehr_data = 1"
    raise Unsupported(f"demographics type {kind!r}")

def _person_level(s, item):
    """buildDemoSql and the "has data" items: SELECT person_id, or None for an event item."""
    domain = item.get("type")
    params = item.get("searchParameters") or []
    if domain in NOT_IN_OMOP:
        raise Unsupported(f"{domain} needs genomic or task data an OMOP dataset lacks")
    if domain == "PERSON":
        # buildDemoSql reads the first parameter's type for all; the UI sends one type per
        # item, and cohortlens reads each parameter's own (the same on what the UI sends).
        return " UNION ".join(_demographic(s, p) for p in params)
    has_data = (domain in HAS_DATA_DOMAINS and domain != "PHYSICAL_MEASUREMENT") or (
        len(params) == 1 and params[0].get("domain") == "PHYSICAL_MEASUREMENT"
        and params[0].get("conceptId") is None and not params[0].get("attributes"))
    if domain == "FITBIT" and any(p.get("attributes") for p in params):
        # Extension: mean daily steps; each parameter's NUM attributes all hold.
        means = (f"SELECT person_id, avg(steps) AS steps FROM {s}.activity_summary "
                 f"WHERE steps IS NOT NULL GROUP BY person_id")
        parts = []
        for p in params:
            conditions = [f"steps {_operands(a['operator'], a['operands'])}"
                          for a in p.get("attributes") or []]
            parts.append(f"SELECT person_id FROM ({means}) WHERE "
                         + (" AND ".join(conditions) or "TRUE"))
        return " UNION ".join(parts)
    if has_data:
        return f"SELECT person_id FROM {s}.cb_search_person WHERE {HAS_DATA_DOMAINS[domain]} = 1"
    return None


def item_sql(s, item):
    """The persons of a non-temporal item (buildBaseQuery with mention null)."""
    person_level = _person_level(s, item)
    if person_level is not None:
        return person_level
    parts = _item_parts(s, item)
    mods = item.get("modifiers") or []
    base = (f"SELECT DISTINCT person_id, entry_date, concept_id FROM {_events_table(s, item)} ev "
            f"WHERE ({' OR '.join(parts)}){_age_date_encounter_sql(mods)}{s.events_where()}")
    sql = f"SELECT criteria.person_id FROM ({base}) criteria"
    occurrences = _modifier(mods, "NUM_OF_OCCURRENCES")
    if occurrences is not None:
        sql += (" GROUP BY criteria.person_id, criteria.concept_id HAVING count(criteria.person_id) "
                + _operands(occurrences["operator"], occurrences["operands"],
                            lambda o: str(int(o))))
    return sql


def _temporal_rows(s, item, mention):
    """buildInnerTemporalQuery: (person_id, visit_occurrence_id, entry_date) rows of an item,
    one query per part, ranked within the part for FIRST/LAST_MENTION; NUM_OF_OCCURRENCES is
    not applied."""
    if _person_level(s, item) is not None:
        raise Unsupported("a person-level item in a temporal group")
    mods = item.get("modifiers") or []
    queries = []
    for part in _item_parts(s, item):
        where = f"{part}{_age_date_encounter_sql(mods)}{s.events_where()}"
        if mention == "ANY_MENTION":
            queries.append(f"SELECT person_id, visit_occurrence_id, entry_date FROM "
                           f"{_events_table(s, item)} ev WHERE {where}")
        else:
            order = " DESC" if mention == "LAST_MENTION" else ""
            queries.append(
                f"SELECT person_id, visit_occurrence_id, entry_date FROM (SELECT person_id, "
                f"visit_occurrence_id, entry_date, rank() OVER (PARTITION BY person_id ORDER BY "
                f"entry_date{order}) rn FROM {_events_table(s, item)} ev WHERE {where}) a "
                f"WHERE rn = 1")
    return " UNION ".join(queries)


def group_sql(s, group):
    """The persons of a search group (buildQuery / buildOuterTemporalQuery)."""
    items = group.get("items") or []
    if not items:
        raise Unsupported("a group without items")
    if not group.get("temporal"):
        return " UNION ".join(item_sql(s, i) for i in items)
    mention = group.get("mention") or "ANY_MENTION"
    first = [_temporal_rows(s, i, mention) for i in items if (i.get("temporalGroup") or 0) == 0]
    second = [_temporal_rows(s, i, mention) for i in items if i.get("temporalGroup") == 1]
    if not first or not second:
        raise Unsupported("a temporal group needs items of temporal groups 0 and 1")
    days = int(group.get("timeValue") or 0)
    time = group.get("time") or "DURING_SAME_ENCOUNTER_AS"
    condition = {
        "DURING_SAME_ENCOUNTER_AS":
            "coalesce(temp1.visit_occurrence_id, 0) = coalesce(temp2.visit_occurrence_id, 0) "
            "AND temp1.entry_date = temp2.entry_date",
        "X_DAYS_BEFORE": f"temp1.entry_date <= temp2.entry_date - INTERVAL {days} DAY",
        "X_DAYS_AFTER": f"temp1.entry_date >= temp2.entry_date + INTERVAL {days} DAY",
        "WITHIN_X_DAYS_OF": f"temp1.entry_date BETWEEN temp2.entry_date - INTERVAL {days} DAY "
                            f"AND temp2.entry_date + INTERVAL {days} DAY",
    }[time]
    return (f"SELECT temp1.person_id FROM ({' UNION '.join(first)}) temp1 WHERE EXISTS "
            f"(SELECT 1 FROM ({' UNION '.join(second)}) temp2 WHERE temp1.person_id = "
            f"temp2.person_id AND {condition})")


# -- QueryBuilder ---------------------------------------------------------------------------


def _persons(con, sql):
    return {r[0] for r in con.execute(sql).fetchall()}


def count(con, dataset_dir, definition):
    """Raw counts of a definition as the Workbench computes them: the total (persons of
    cb_search_person) and the persons of every include/exclude group and item."""
    return _evaluate(con, dataset_dir, definition)[0]


def _evaluate(con, dataset_dir, definition):
    """(the counts of `count`, the set of the cohort's person ids)."""
    s = load(con, dataset_dir).restricted(definition.get("restrictToObservationPeriod"))
    everyone = _persons(con, f"SELECT person_id FROM {s}.cb_search_person")
    includes = definition.get("includes") or []
    excludes = definition.get("excludes") or []
    if not includes and not excludes:
        raise Unsupported("includes[] and excludes[] cannot both be empty")
    result = {}
    sets = {}
    for key, groups in (("includes", includes), ("excludes", excludes)):
        result[key], sets[key] = [], []
        for g in groups:
            persons = _persons(con, group_sql(s, g)) & everyone
            sets[key].append(persons)
            if g.get("temporal"):
                item_counts = [_persons(con, _temporal_item_persons(s, i, g)) & everyone
                               for i in g["items"]]
            else:
                item_counts = [_persons(con, item_sql(s, i)) & everyone for i in g["items"]]
            result[key].append({"id": g.get("id"),
                                "count": len(persons),
                                "items": [{"id": i.get("id"), "count": len(c)}
                                          for i, c in zip(g["items"], item_counts)]})
    if includes:
        cohort = set(everyone)
        for p in sets["includes"]:
            cohort &= p
        for p in sets["excludes"]:
            cohort -= p
    else:
        cohort = set(everyone)
        for p in sets["excludes"]:
            cohort &= p
    for name in definition.get("dataFilters") or []:
        column = name.lower()
        if not column.isidentifier():
            raise Unsupported(f"data filter {name!r}")
        try:
            cohort &= _persons(con, f"SELECT person_id FROM {s}.cb_search_person "
                                    f"WHERE {column} = 1")
        except duckdb.BinderException as e:
            raise Unsupported(f"data filter {name!r}: no such flag") from e
    result["total"] = len(cohort)
    return result, cohort


def persons_sql(con, dataset_dir, definition):
    """SQL selecting the `person_id` of every person in the cohort of one definition."""
    persons = sorted(_evaluate(con, dataset_dir, definition)[1])
    return f"SELECT unnest([{', '.join(map(str, persons))}]::BIGINT[]) AS person_id"


def cohort_sql(s, definition):
    """One query selecting the `person_id` of every person in the cohort of a definition, over
    the search tables of schema `s` (what `count` computes as its total, as a single statement:
    QueryBuilder.addWhereClause's include INTERSECT / exclude EXCEPT, then addDataFilters)."""
    s = Schema(s).restricted(definition.get("restrictToObservationPeriod"))
    includes = definition.get("includes") or []
    excludes = definition.get("excludes") or []
    if not includes and not excludes:
        raise Unsupported("includes[] and excludes[] cannot both be empty")
    conditions = [f"person_id IN ({group_sql(s, g)})" for g in includes]
    # With no include group, `_evaluate` keeps the persons of every exclude group.
    negate = "NOT " if includes else ""
    conditions += [f"{negate}person_id IN ({group_sql(s, g)})" for g in excludes]
    for name in definition.get("dataFilters") or []:
        column = name.lower()
        if not column.isidentifier():
            raise Unsupported(f"data filter {name!r}")
        conditions.append(f"{column} = 1")
    return f"SELECT person_id FROM {s}.cb_search_person WHERE " + " AND ".join(conditions)


def _temporal_item_persons(s, item, group):
    """The persons of one item of a temporal group: its rows as the group relates them."""
    return (f"SELECT person_id FROM ({_temporal_rows(s, item, group.get('mention') or 'ANY_MENTION')})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--definitions", required=True)
    args = parser.parse_args()
    with open(args.definitions) as f:
        definitions = json.load(f)
    if isinstance(definitions, dict):
        definitions = [definitions]
    con = duckdb.connect()
    for d in definitions:
        try:
            print(json.dumps(count(con, args.data, d)))
        except Unsupported as e:
            print(json.dumps({"unsupported": str(e)}))


if __name__ == "__main__":
    main()
