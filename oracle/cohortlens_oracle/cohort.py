"""An independent DuckDB oracle for cohort definitions (docs/cohort-semantics.md).

`count(con, dataset_dir, definition)` translates one cohort definition, in the All of Us Cohort
Builder request shape, into a single DuckDB query over the dataset's tables (read once from its
Parquet files into the connection, see `schema_for`) and returns the raw counts: the cohort
total and the persons of every include/exclude group and item.

The query is one CTE per parameter, per item step (union of its parameters, then each modifier
in the order the spec gives) and per group, so each piece can be read against the spec:

    <group>_item<i>_param<j>   the parameter's events (person_id, event_date, concept_id, visit_id,
                               row_id) or, for person-level criteria, its persons (person_id)
    <group>_item<i>_events     the union of the item's parameter events
    <group>_item<i>_<modifier> the events that survive each modifier in turn
    <group>_item<i>_persons    the persons with at least one remaining event
    <group>_persons            the group's persons (union of items, or the temporal relation)
    cohort                     includes intersected, excludes subtracted, data filters applied

An event is one row of a domain table carrying (person, date, concept, visit); `row_id` (the
row's position in its table) keeps it apart from another row carrying the same values, so two
identical rows are two occurrences, while one row matched by two parameters of an item is one
event. This only matters for NUM_OF_OCCURRENCES ("count the remaining events per (person,
concept id of the row)"). An event's concept is the value of the concept column the parameter
matched (the standard or the source column; the question for surveys; 903118 for blood
pressure, whose event is the systolic row).

Only valid definitions are translated; validation is the engine's job (a few malformed shapes
raise ValueError here).

    python -m cohortlens_oracle.cohort --data DIR --definitions FILE   # one JSON line per definition
"""

import argparse
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
PERSON_LEVEL_DOMAINS = ("PERSON", "FITBIT")

COMPARISONS = {
    "EQUAL": "=",
    "NOT_EQUAL": "<>",
    "LESS_THAN": "<",
    "GREATER_THAN": ">",
    "LESS_THAN_OR_EQUAL_TO": "<=",
    "GREATER_THAN_OR_EQUAL_TO": ">=",
}

DATA_FILTERS = ("HAS_EHR_DATA", "HAS_PHYSICAL_MEASUREMENT_DATA")

# The column each event table is stored sorted by (speed only).
SORT_KEYS = {spec.table: spec.standard for domain, spec in EVENT_DOMAINS.items()
             if domain not in ("PHYSICAL_MEASUREMENT", "SURVEY")}
SORT_KEYS["observation"] = "observation_source_concept_id, observation_concept_id"

# Modifiers in the order the spec applies them (after restrictToObservationPeriod).
MODIFIER_ORDER = ("AGE_AT_EVENT", "EVENT_DATE", "ENCOUNTERS", "NUM_OF_OCCURRENCES")


def number(text):
    """A numeric operand as an SQL literal (rejects anything that is not a finite number)."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"not a finite number: {text!r}")
    return repr(int(value)) if value.is_integer() else repr(value)


def date_literal(text):
    """A `YYYY-MM-DD` operand as an SQL DATE literal."""
    text = str(text)
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isdigit():
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return f"DATE '{text}'"


def compare(expr, operator, operands, literal=number):
    """SQL for `expr OPERATOR operands` (NULL never satisfies it, as in SQL)."""
    values = [literal(o) for o in operands]
    if operator in COMPARISONS:
        if len(values) != 1:
            raise ValueError(f"{operator} takes 1 operand")
        return f"{expr} {COMPARISONS[operator]} {values[0]}"
    if operator == "IN":
        if not values:
            raise ValueError("IN takes at least 1 operand")
        return f"{expr} IN ({', '.join(values)})"
    if operator == "BETWEEN":
        if len(values) != 2:
            raise ValueError("BETWEEN takes 2 operands")
        return f"{expr} BETWEEN {values[0]} AND {values[1]}"
    raise ValueError(f"unknown operator {operator!r}")


def is_in(column, ids):
    """SQL for `column IN (ids)` (false for no ids)."""
    return f"{column} IN ({', '.join(str(int(i)) for i in ids)})" if ids else "FALSE"


def age_on(dob, day):
    """SQL for the age in completed years on `day` of someone born on `dob` (both DATE)."""
    return (f"(year({day}) - year({dob}) - CASE WHEN month({day}) < month({dob}) OR "
            f"(month({day}) = month({dob}) AND day({day}) < day({dob})) THEN 1 ELSE 0 END)")


def schema_for(con, dataset_dir):
    """The schema holding the dataset on this connection, loaded once from its Parquet files.

    Rows whose person_id is not in `person` are dropped while loading (the spec ignores them),
    and the persons each data filter keeps are computed once, as tables named after the filter.
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
    for name in DATA_FILTERS:
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{name.lower()} AS "
                    f"{data_filter_persons(schema, name)}")
    con.execute(f"CREATE TABLE {schema}.loaded AS SELECT 1 AS done")
    return schema


def data_filter_persons(schema, name):
    """SELECT of the persons a data filter keeps."""
    if name == "HAS_EHR_DATA":
        tables = ["visit_occurrence", "condition_occurrence", "drug_exposure",
                  "procedure_occurrence", "device_exposure"]
        parts = [f"SELECT person_id FROM {schema}.{t}" for t in tables]
        parts.append(f"SELECT person_id FROM {schema}.measurement "
                     f"WHERE measurement_type_concept_id IS DISTINCT FROM {PHYSICAL_EXAM_TYPE}")
        parts.append(f"SELECT person_id FROM {schema}.observation "
                     f"WHERE observation_type_concept_id IS DISTINCT FROM {SURVEY_TYPE}")
        return " UNION ".join(parts)
    if name == "HAS_PHYSICAL_MEASUREMENT_DATA":
        return (f"SELECT person_id FROM {schema}.measurement "
                f"WHERE measurement_type_concept_id = {PHYSICAL_EXAM_TYPE}")
    raise ValueError(f"unknown data filter {name!r}")


def reference_date(dataset_dir):
    """The dataset's reference (CDR) date from manifest.json, `YYYY-MM-DD`."""
    with open(os.path.join(dataset_dir, "manifest.json")) as f:
        return json.load(f)["reference_date"]


class Translation:
    """Builds the CTEs of one definition's query; `sql()` returns the whole query."""

    def __init__(self, con, schema, cdr_date, restrict_to_observation_period):
        self.con = con
        self.s = schema
        self.cdr_date = cdr_date
        self.restrict = restrict_to_observation_period
        self.ctes = []
        self.counts = []  # (kind, group index, item index, cte) for the final SELECT
        self.ctes.append(("person_birth", f"""
            SELECT person_id,
                   coalesce(CAST(birth_datetime AS DATE),
                            make_date(year_of_birth, coalesce(month_of_birth, 1),
                                      coalesce(day_of_birth, 1))) AS birth_date
            FROM {self.s}.person"""))

    def add(self, name, body):
        """Adds a CTE and returns its name."""
        self.ctes.append((name, body))
        return name

    # -- concept sets and attributes ------------------------------------------------------

    def descendants(self, concept):
        """The `descendant_concept_id`s of `concept_ancestor` rows whose ancestor is `concept`."""
        return sorted(row[0] for row in self.con.execute(
            f"SELECT DISTINCT descendant_concept_id FROM {self.s}.concept_ancestor "
            f"WHERE ancestor_concept_id = ?", [concept]).fetchall())

    def concept_set(self, param):
        """The parameter's concept ids: its own, plus descendants with group/ancestorData."""
        concept = int(param["conceptId"])
        if param.get("group", False) or param.get("ancestorData", False):
            return sorted({concept, *self.descendants(concept)})
        return [concept]

    @staticmethod
    def value_conditions(attributes):
        """SQL conditions (ANDed) of MEASUREMENT / PHYSICAL_MEASUREMENT attributes on a row."""
        conditions = []
        for attribute in attributes:
            name = attribute["name"]
            if name == "NUM":
                conditions.append(compare("value_as_number", attribute["operator"],
                                          attribute["operands"]))
            elif name == "CAT":
                ids = ", ".join(number(o) for o in attribute["operands"])
                conditions.append(f"value_as_concept_id IN ({ids})")
            elif name != "ANY":
                raise ValueError(f"attribute {name} on a measurement")
        return conditions

    # -- parameters -----------------------------------------------------------------------

    def event_parameter(self, domain, param):
        """SELECT of one event parameter's events."""
        spec = EVENT_DOMAINS[domain]
        if domain == "PHYSICAL_MEASUREMENT" and param.get("subtype") == "BP":
            return self.blood_pressure(param)
        if domain == "SURVEY":
            return self.survey(param)
        column = spec.standard if param.get("standard", True) else spec.source
        visit = spec.visit or "CAST(NULL AS BIGINT)"
        conditions = []
        if not (domain == "DEATH" and int(param.get("conceptId") or 0) == 0):
            conditions.append(is_in(column, self.concept_set(param)))
        if domain in ("MEASUREMENT", "PHYSICAL_MEASUREMENT"):
            conditions += self.value_conditions(param.get("attributes", []))
        where = " AND ".join(conditions) or "TRUE"
        return (f"SELECT person_id, {spec.date} AS event_date, {column} AS concept_id, "
                f"{visit} AS visit_id, rowid AS row_id FROM {self.s}.{spec.table} WHERE {where}")

    def blood_pressure(self, param):
        """Blood pressure: a systolic and a diastolic row of the same person on the same date."""
        by_concept = {SYSTOLIC: [], DIASTOLIC: []}
        for attribute in param.get("attributes", []):
            by_concept[int(attribute["conceptId"])].append(attribute)
        systolic = " AND ".join([f"measurement_concept_id = {SYSTOLIC}"]
                                + self.value_conditions(by_concept[SYSTOLIC]))
        diastolic = " AND ".join([f"measurement_concept_id = {DIASTOLIC}"]
                                 + self.value_conditions(by_concept[DIASTOLIC]))
        return f"""
            SELECT sys.person_id, sys.measurement_date AS event_date, {SYSTOLIC} AS concept_id,
                   sys.visit_occurrence_id AS visit_id, sys.rowid AS row_id
            FROM {self.s}.measurement AS sys
            WHERE {systolic} AND EXISTS (
                SELECT 1 FROM {self.s}.measurement AS dia
                WHERE dia.person_id = sys.person_id
                  AND dia.measurement_date = sys.measurement_date AND {diastolic})"""

    def survey(self, param):
        """Survey rows: by module (descendant questions), question, or question and answers."""
        concept = int(param["conceptId"])
        subtype = param.get("subtype")
        answers = [a for a in param.get("attributes", []) if a["name"] == "CAT"]
        if subtype == "SURVEY":
            conditions = [is_in("observation_source_concept_id", self.descendants(concept))]
        elif subtype in ("QUESTION", "ANSWER"):
            conditions = [f"observation_source_concept_id = {concept}"]
            for attribute in answers:
                ids = ", ".join(number(o) for o in attribute["operands"])
                conditions.append(f"value_source_concept_id IN ({ids})")
        else:
            raise ValueError(f"unknown survey subtype {subtype!r}")
        return (f"SELECT person_id, observation_date AS event_date, "
                f"observation_source_concept_id AS concept_id, "
                f"CAST(NULL AS BIGINT) AS visit_id, rowid AS row_id "
                f"FROM {self.s}.observation WHERE {' AND '.join(conditions)}")

    def person_parameter(self, domain, param):
        """SELECT of one person-level parameter's persons."""
        attributes = param.get("attributes", [])
        if domain == "FITBIT":
            steps = [a for a in attributes if a["name"] == "NUM"]
            if not steps:
                return (f"SELECT person_id FROM {self.s}.activity_summary UNION "
                        f"SELECT person_id FROM {self.s}.heart_rate_summary")
            having = " AND ".join(compare("avg(steps)", a["operator"], a["operands"])
                                  for a in steps)
            return (f"SELECT person_id FROM {self.s}.activity_summary "
                    f"GROUP BY person_id HAVING {having}")
        kind = param.get("type")
        columns = {"GENDER": "gender_concept_id", "SEX": "sex_at_birth_concept_id",
                   "RACE": "race_concept_id", "ETHNICITY": "ethnicity_concept_id"}
        if kind in columns:
            return (f"SELECT person_id FROM {self.s}.person "
                    f"WHERE {columns[kind]} = {int(param['conceptId'])}")
        if kind == "DECEASED":
            return f"SELECT person_id FROM {self.s}.death"
        if kind == "AGE":
            conditions = []
            for attribute in attributes:
                if attribute["name"] in ("AGE", "AGE_AT_CDR"):
                    age = age_on("b.birth_date", f"DATE '{self.cdr_date}'")
                elif attribute["name"] == "AGE_AT_CONSENT":
                    age = age_on("b.birth_date", "c.consent_date")
                else:
                    raise ValueError(f"attribute {attribute['name']} on an AGE parameter")
                conditions.append(compare(age, attribute["operator"], attribute["operands"]))
            return f"""
                SELECT b.person_id FROM person_birth AS b
                LEFT JOIN (SELECT person_id, min(observation_date) AS consent_date
                           FROM {self.s}.observation
                           WHERE observation_type_concept_id = {SURVEY_TYPE}
                           GROUP BY person_id) AS c ON c.person_id = b.person_id
                WHERE {' AND '.join(conditions) or 'TRUE'}"""
        raise ValueError(f"unknown PERSON type {kind!r}")

    # -- items ----------------------------------------------------------------------------

    def item(self, prefix, item):
        """Adds the CTEs of one item; returns (events CTE or None, persons CTE)."""
        params = item.get("searchParameters", [])
        if not params:
            raise ValueError(f"{prefix}: item without parameters")
        domains = {p.get("domain") or item.get("type") for p in params}
        if len(domains) != 1:
            raise ValueError(f"{prefix}: parameters of different domains {sorted(domains)}")
        domain = domains.pop()
        if domain in PERSON_LEVEL_DOMAINS:
            if item.get("modifiers"):
                raise ValueError(f"{prefix}: modifiers on a person-level item")
            names = [self.add(f"{prefix}_param{j}", self.person_parameter(domain, p))
                     for j, p in enumerate(params)]
            union = " UNION ".join(f"SELECT person_id FROM {n}" for n in names)
            return None, self.add(f"{prefix}_persons", union)
        if domain not in EVENT_DOMAINS:
            raise ValueError(f"{prefix}: unknown domain {domain!r}")
        names = [self.add(f"{prefix}_param{j}", self.event_parameter(domain, p))
                 for j, p in enumerate(params)]
        union = " UNION ALL ".join(f"SELECT * FROM {n}" for n in names)
        # A row matched by two parameters appears twice here; only NUM_OF_OCCURRENCES cares.
        events = self.add(f"{prefix}_events", union)
        events = self.modifiers(prefix, events, item.get("modifiers", []))
        persons = self.add(f"{prefix}_persons", f"SELECT DISTINCT person_id FROM {events}")
        return events, persons

    def modifiers(self, prefix, events, modifiers):
        """Adds one CTE per modifier step, in the spec's order; returns the last events CTE."""
        if self.restrict:
            events = self.add(f"{prefix}_in_observation_period", f"""
                SELECT e.* FROM {events} AS e WHERE EXISTS (
                    SELECT 1 FROM {self.s}.observation_period AS op
                    WHERE op.person_id = e.person_id
                      AND e.event_date BETWEEN op.observation_period_start_date
                                           AND op.observation_period_end_date)""")
        known = set(MODIFIER_ORDER)
        for modifier in modifiers:
            if modifier["name"] not in known:
                raise ValueError(f"{prefix}: unknown modifier {modifier['name']!r}")
        for name in MODIFIER_ORDER:
            for k, modifier in enumerate(m for m in modifiers if m["name"] == name):
                op, operands = modifier["operator"], modifier["operands"]
                step = f"{prefix}_{name.lower()}{k}"
                if name == "AGE_AT_EVENT":
                    condition = compare(age_on("b.birth_date", "e.event_date"), op, operands)
                    events = self.add(step, f"""
                        SELECT e.* FROM {events} AS e
                        JOIN person_birth AS b ON b.person_id = e.person_id
                        WHERE {condition}""")
                elif name == "EVENT_DATE":
                    condition = compare("event_date", op, operands, date_literal)
                    events = self.add(step, f"SELECT * FROM {events} WHERE {condition}")
                elif name == "ENCOUNTERS":
                    if op not in ("IN", "EQUAL"):
                        raise ValueError(f"{prefix}: ENCOUNTERS with {op}")
                    visits = compare("visit_concept_id", "IN", operands)
                    events = self.add(step, f"""
                        SELECT * FROM {events} WHERE visit_id IN (
                            SELECT visit_occurrence_id FROM {self.s}.visit_occurrence
                            WHERE {visits})""")
                else:  # NUM_OF_OCCURRENCES, per (person, concept), each event once
                    enough = compare("count(*)", op, operands)
                    pairs = self.add(f"{step}_pairs", f"""
                        SELECT person_id, concept_id FROM (SELECT DISTINCT * FROM {events})
                        GROUP BY person_id, concept_id HAVING {enough}""")
                    events = self.add(step, f"""
                        SELECT e.* FROM {events} AS e SEMI JOIN {pairs} AS c
                        ON c.person_id = e.person_id
                       AND c.concept_id IS NOT DISTINCT FROM e.concept_id""")
        return events

    # -- groups ---------------------------------------------------------------------------

    def group(self, kind, g, group):
        """Adds the CTEs of one group and its items; returns the group's persons CTE."""
        prefix = f"{kind}{g}"
        items = group.get("items", [])
        if not items:
            raise ValueError(f"{prefix}: empty group")
        results = []
        for i, item in enumerate(items):
            events, persons = self.item(f"{prefix}_item{i}", item)
            self.counts.append((kind, g, i, persons))
            results.append((item, events, persons))
        if not group.get("temporal", False):
            union = " UNION ".join(f"SELECT person_id FROM {p}" for _, _, p in results)
            return self.add(f"{prefix}_persons", union)
        return self.temporal(prefix, group, results)

    def temporal(self, prefix, group, results):
        """The persons of a temporal group: a picked event of set A related in time to one of B.

        The sets keep only what the relation looks at: (person, date), plus the visit for
        DURING_SAME_ENCOUNTER_AS.
        """
        time = group.get("time")
        columns = "person_id, event_date"
        if time == "DURING_SAME_ENCOUNTER_AS":
            columns += ", visit_id"
            relation = "a.visit_id = b.visit_id"
        else:
            x = int(number(group.get("timeValue", 0)))
            days = "date_diff('day', a.event_date, b.event_date)"  # b.date - a.date
            relation = {"X_DAYS_BEFORE": f"{days} >= {x}",
                        "X_DAYS_AFTER": f"-{days} >= {x}",
                        "WITHIN_X_DAYS_OF": f"abs({days}) <= {x}"}.get(time)
            if relation is None:
                raise ValueError(f"{prefix}: unknown time {time!r}")
        sets = {}
        for which in (0, 1):
            members = [e for item, e, _ in results if int(item.get("temporalGroup", 0)) == which]
            if not members or None in members:
                raise ValueError(f"{prefix}: temporal group {which} needs event items")
            union = " UNION ".join(f"SELECT {columns} FROM {e}" for e in members)
            sets[which] = self.add(f"{prefix}_set_{'ab'[which]}", union)
        per_person = "OVER (PARTITION BY person_id)"
        pick = {"ANY_MENTION": "",
                "FIRST_MENTION": f"QUALIFY event_date = min(event_date) {per_person}",
                "LAST_MENTION": f"QUALIFY event_date = max(event_date) {per_person}"}
        mention = group.get("mention")
        if mention not in pick:
            raise ValueError(f"{prefix}: unknown mention {mention!r}")
        picked = self.add(f"{prefix}_picked_a", f"SELECT * FROM {sets[0]} {pick[mention]}")
        return self.add(f"{prefix}_persons", f"""
            SELECT DISTINCT a.person_id FROM {picked} AS a
            JOIN {sets[1]} AS b ON b.person_id = a.person_id AND {relation}""")

    # -- the cohort -----------------------------------------------------------------------

    def cohort(self, definition):
        """Adds every CTE of the definition and the `cohort` CTE."""
        includes = [self.group("inc", g, group)
                    for g, group in enumerate(definition.get("includes", []))]
        excludes = [self.group("exc", g, group)
                    for g, group in enumerate(definition.get("excludes", []))]
        for kind, names in (("inc", includes), ("exc", excludes)):
            for g, name in enumerate(names):
                self.counts.append((kind, g, None, name))
        if not includes and not excludes:
            raise ValueError("a definition needs at least one group")
        kept = includes or excludes
        subtracted = excludes if includes else []
        body = f"SELECT person_id FROM {self.s}.person"
        body += "".join(f" INTERSECT SELECT person_id FROM {n}" for n in kept)
        if subtracted:
            body = (f"({body}) EXCEPT ("
                    + " UNION ".join(f"SELECT person_id FROM {n}" for n in subtracted) + ")")
        for name in definition.get("dataFilters", []):
            if name not in DATA_FILTERS:
                raise ValueError(f"unknown data filter {name!r}")
            body = f"({body}) INTERSECT SELECT person_id FROM {self.s}.{name.lower()}"
        self.add("cohort", body)

    def with_clause(self):
        """`WITH` and every CTE added so far."""
        return "WITH " + ",\n".join(f"{name} AS (\n{body.strip()}\n)" for name, body in self.ctes)

    def sql(self):
        """The whole query: one row (kind, group, item, persons) per reported count."""
        selects = ["SELECT 'total' AS kind, NULL AS g, NULL AS i, count(*) AS n FROM cohort"]
        for kind, g, i, name in self.counts:
            item = "NULL" if i is None else i
            selects.append(f"SELECT '{kind}', {g}, {item}, count(*) FROM {name}")
        return self.with_clause() + "\n" + "\nUNION ALL ".join(selects)


def translate(con, schema, cdr_date, definition):
    """The SQL query of one definition over the tables of `schema` (on `con`)."""
    translation = Translation(con, schema, cdr_date,
                              bool(definition.get("restrictToObservationPeriod", False)))
    translation.cohort(definition)
    return translation.sql()


def persons_sql(con, dataset_dir, definition):
    """SQL selecting the `person_id` of every person in the cohort of one definition."""
    schema = schema_for(con, dataset_dir)
    translation = Translation(con, schema, reference_date(dataset_dir),
                              bool(definition.get("restrictToObservationPeriod", False)))
    translation.cohort(definition)
    return translation.with_clause() + "\nSELECT DISTINCT person_id FROM cohort"


def count(con, dataset_dir, definition):
    """Raw counts of one definition: {"total", "includes": [...], "excludes": [...]}."""
    schema = schema_for(con, dataset_dir)
    rows = con.execute(translate(con, schema, reference_date(dataset_dir), definition)).fetchall()
    counts = {(kind, g, i): n for kind, g, i, n in rows}
    result = {"total": counts[("total", None, None)]}
    for kind, key in (("inc", "includes"), ("exc", "excludes")):
        result[key] = [
            {"id": group.get("id"), "count": counts[(kind, g, None)],
             "items": [{"id": item.get("id"), "count": counts[(kind, g, i)]}
                       for i, item in enumerate(group.get("items", []))]}
            for g, group in enumerate(definition.get(key, []))
        ]
    return result


def main():
    parser = argparse.ArgumentParser(description="Count cohort definitions with DuckDB.")
    parser.add_argument("--data", required=True, help="dataset directory (Parquet + manifest)")
    parser.add_argument("--definitions", required=True,
                        help="JSON file: one definition or an array of definitions")
    parser.add_argument("--sql", action="store_true", help="print the SQL instead of counting")
    args = parser.parse_args()

    with open(args.definitions) as f:
        loaded = json.load(f)
    definitions = loaded if isinstance(loaded, list) else [loaded]
    con = duckdb.connect()
    for definition in definitions:
        if args.sql:
            schema = schema_for(con, args.data)
            print(translate(con, schema, reference_date(args.data), definition))
        else:
            print(json.dumps(count(con, args.data, definition)), flush=True)


if __name__ == "__main__":
    main()
