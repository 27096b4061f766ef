"""Statistics (`cohortlens stats --raw`) checked against independent DuckDB SQL.

Every table of docs/statistics.md is computed here from the dataset's Parquet files, from that
text alone, for several cohorts (their persons from `workbench_oracle.persons_sql`) and several concepts,
on the synthetic 10k dataset and on Eunomia imported from Parquet; every raw cell must agree
exactly, and the disclosed table must follow the All of Us rule from the raw numbers (cells
rounded up to multiples of 20, 1–20 shown as "≤ 20", the remainder row = disclosed total − Σ
disclosed rows floored at 20, percentages from disclosed numbers).
"""

import json
import math
import subprocess

import pytest

from cohortlens_oracle import cohort as oracle
from cohortlens_oracle import workbench as workbench_oracle
from cohort_cases import CASES, EUNOMIA_CASES

NULL = -2147483648  # stands for a NULL concept id in Python-side keys

# The event tables: (table, standard column, source column, date column).
EVENT_TABLES = [
    ("condition_occurrence", "condition_concept_id", "condition_source_concept_id",
     "condition_start_date"),
    ("procedure_occurrence", "procedure_concept_id", "procedure_source_concept_id",
     "procedure_date"),
    ("drug_exposure", "drug_concept_id", "drug_source_concept_id", "drug_exposure_start_date"),
    ("measurement", "measurement_concept_id", "measurement_source_concept_id",
     "measurement_date"),
    ("observation", "observation_concept_id", "observation_source_concept_id",
     "observation_date"),
    ("device_exposure", "device_concept_id", "device_source_concept_id",
     "device_exposure_start_date"),
    ("visit_occurrence", "visit_concept_id", "visit_source_concept_id", "visit_start_date"),
    ("death", "cause_concept_id", "cause_source_concept_id", "death_date"),
]
DEMOGRAPHICS = ["gender_concept_id", "sex_at_birth_concept_id", "race_concept_id",
                "ethnicity_concept_id"]
TOP_DOMAINS = {  # domain: (table, standard column, PPI wanted: True, False or None for either)
    "CONDITION": ("condition_occurrence", "condition_concept_id", None),
    "DRUG": ("drug_exposure", "drug_concept_id", None),
    "PROCEDURE": ("procedure_occurrence", "procedure_concept_id", None),
    "MEASUREMENT": ("measurement", "measurement_concept_id", False),
    "OBSERVATION": ("observation", "observation_concept_id", False),
    "DEVICE": ("device_exposure", "device_concept_id", None),
    "VISIT": ("visit_occurrence", "visit_concept_id", None),
    "PHYSICAL_MEASUREMENT": ("measurement", "measurement_concept_id", True),
}
AGE_BANDS = {
    "dataBrowser": [(18, "18–29"), (30, "30–39"), (40, "40–49"), (50, "50–59"), (60, "60–69"),
                    (70, "70–79"), (80, "80–89"), (90, "90+")],
    "cohortBuilder": [(18, "18–44"), (45, "45–64"), (65, "65+")],
}
STEP_BANDS = [(0, "Under 5,000"), (5000, "5,000–7,499"), (7500, "7,500–9,999"),
              (10000, "10,000–12,499"), (12500, "12,500 or more")]

# Synthetic concepts.
T2DM, HBA1C, GLUCOSE, FEMALE, GENERAL_HEALTH, RACE_QUESTION = (
    201826, 3004410, 3004501, 8532, 1585711, 1586140)
SYSTOLIC_PM, WEIGHT_PM = 903118, 903121
# Eunomia concepts.
GI_BLEED, VIRAL_SINUSITIS, ACETAMINOPHEN, ORAL_TEMPERATURE = 192671, 40481087, 1125315, 3006322


def requests(concept_scope, survey):
    """Every request kind (age at event only for concept scopes, survey questions if any)."""
    out = [{"kind": "sexAtBirth"}, {"kind": "gender"}, {"kind": "race"}, {"kind": "ethnicity"},
           {"kind": "age", "bands": "dataBrowser"}, {"kind": "age", "bands": "cohortBuilder"},
           {"kind": "ageBySex", "bands": "cohortBuilder"},
           {"kind": "ageBySex", "bands": "dataBrowser"},
           {"kind": "ageByGender", "bands": "cohortBuilder"},
           {"kind": "fitbitSteps"}, {"kind": "fitbitMonthly"}]
    if concept_scope:
        out += [{"kind": "age", "bands": "dataBrowser", "at": "event"},
                {"kind": "ageBySex", "bands": "cohortBuilder", "at": "event"}]
    out += [{"kind": "topConcepts", "domain": d, "limit": 10} for d in TOP_DOMAINS]
    return out


SYNTHETIC_EXTRA = [
    {"kind": "measurementValues", "conceptId": HBA1C},
    {"kind": "measurementValues", "conceptId": GLUCOSE},
    {"kind": "measurementValues", "conceptId": SYSTOLIC_PM},
    {"kind": "measurementValues", "conceptId": WEIGHT_PM},
    {"kind": "surveyAnswers", "questionConceptId": GENERAL_HEALTH},
    {"kind": "surveyAnswers", "questionConceptId": RACE_QUESTION},
    {"kind": "recordSources", "conceptId": T2DM},
    {"kind": "recordSources", "conceptId": FEMALE},
    {"kind": "recordSources", "conceptId": HBA1C},
]
EUNOMIA_EXTRA = [
    {"kind": "measurementValues", "conceptId": ORAL_TEMPERATURE},
    {"kind": "recordSources", "conceptId": GI_BLEED},
    {"kind": "recordSources", "conceptId": ACETAMINOPHEN},
]

SYNTHETIC_COHORTS = ["condition_t2dm", "measurement_hba1c_greater_than_7", "survey_question",
                     "fitbit_any", "person_age_between", "exclude_metformin"]
SYNTHETIC_CONCEPTS = [T2DM, HBA1C, FEMALE, GENERAL_HEALTH]
EUNOMIA_COHORTS = ["eunomia_gi_bleed", "eunomia_sinusitis_group",
                   "eunomia_person_female_hispanic_older"]
EUNOMIA_CONCEPTS = [GI_BLEED, VIRAL_SINUSITIS, ACETAMINOPHEN]


# -- the oracle -----------------------------------------------------------------------------


class Oracle:
    """The expected raw tables of one dataset, from SQL over its Parquet files."""

    def __init__(self, con, data_dir):
        self.con = con
        self.data_dir = data_dir
        self.s = oracle.schema_for(con, data_dir)
        self.reference = oracle.reference_date(data_dir)
        self.concepts = {cid: (name, domain, vocabulary, cls, code) for cid, name, domain,
                         vocabulary, cls, code in self.q(
                             f"SELECT concept_id, concept_name, domain_id, vocabulary_id, "
                             f"concept_class_id, concept_code FROM {self.s}.concept")}
        person_columns = {row[0] for row in self.q(f"DESCRIBE {self.s}.person")}
        self.demographic = {c: c if c in person_columns else "CAST(NULL AS INTEGER)"
                            for c in DEMOGRAPHICS}
        # docs/statistics.md: a dataset where no person has a sex at birth (plain OMOP, e.g.
        # Eunomia) gets gender in its place, in the table named and titled "gender".
        recorded = self.q(f"SELECT count({self.demographic['sex_at_birth_concept_id']}) "
                          f"FROM {self.s}.person")[0][0]
        self.sex = "sex_at_birth_concept_id" if recorded else "gender_concept_id"
        self.columns = {t: {row[0] for row in self.q(f"DESCRIBE {self.s}.{t}")}
                        for t, *_ in EVENT_TABLES}
        self.q(f"CREATE OR REPLACE TEMP TABLE birth AS SELECT person_id, "
               f"coalesce(CAST(birth_datetime AS DATE), make_date(year_of_birth, "
               f"coalesce(month_of_birth, 1), coalesce(day_of_birth, 1))) AS birth_date "
               f"FROM {self.s}.person")

    def q(self, sql, params=None):
        return self.con.execute(sql, params or []).fetchall()

    def column(self, table, name):
        """The column, or NULL when the table lacks it."""
        return name if name in self.columns.get(table, {name}) else "CAST(NULL AS INTEGER)"

    def label(self, c):
        """(unknown?, label) of a concept value."""
        if c is None:
            return (True, "Not recorded")
        if c == 0:
            return (True, "No matching concept")
        if c in self.concepts:
            return (False, self.concepts[c][0])
        return (True, f"Concept {c} (not in the vocabulary)")

    def unit_label(self, u):
        if u is None or u == 0:
            return (True, "No unit")
        known = self.concepts.get(u)
        if known and known[1] == "Unit" and known[4]:
            return (False, known[4])
        return self.label(u)

    def concept_set(self, c):
        rows = self.q(f"SELECT descendant_concept_id FROM {self.s}.concept_ancestor "
                      f"WHERE ancestor_concept_id = ?", [c])
        return sorted({c, *(r[0] for r in rows)})

    # -- scopes

    def set_scope(self, scope):
        """Creates temp table `scope(person_id)`; remembers a concept scope's concept set."""
        if "definition" in scope:
            sql = workbench_oracle.persons_sql(self.con, self.data_dir, scope["definition"])
            self.scope_concepts = None
        else:
            self.scope_concepts = self.concept_set(scope["concept"])
            sql = self.concept_persons_sql(self.scope_concepts)
        self.q(f"CREATE OR REPLACE TEMP TABLE scope AS SELECT DISTINCT person_id FROM ({sql})")

    def concept_rows_sql(self, ids, with_date=False):
        """(person_id[, day]) of every row matching `ids` in any concept column of any table."""
        ids_sql = ", ".join(map(str, ids))
        parts = []
        for table, standard, source, date in EVENT_TABLES:
            cols = [self.column(table, standard), self.column(table, source)]
            if table == "observation":
                cols.append(self.column(table, "value_source_concept_id"))
            what = f"person_id, {date} AS day" if with_date else "person_id"
            for col in cols:
                parts.append(f"SELECT {what} FROM {self.s}.{table} WHERE {col} IN ({ids_sql})")
        return " UNION ALL ".join(parts)

    def concept_persons_sql(self, ids):
        ids_sql = ", ".join(map(str, ids))
        demographic = " OR ".join(f"{col} IN ({ids_sql})" for col in self.demographic.values())
        return (self.concept_rows_sql(ids)
                + f" UNION ALL SELECT person_id FROM {self.s}.person WHERE {demographic}")

    def scope_total(self):
        return self.q("SELECT count(*) FROM scope")[0][0]

    # -- tables: each returns (rows [(labels, count)], total, remainder label)

    def demographic_table(self, column):
        rows = self.q(f"SELECT {self.demographic[column]}, count(DISTINCT s.person_id) "
                      f"FROM scope AS s JOIN {self.s}.person AS p USING (person_id) GROUP BY 1")
        counts = {}
        for c, n in rows:
            key = self.label(c)
            counts[key] = counts.get(key, 0) + n
        return [([label], n) for (_, label), n in sorted(counts.items())], self.scope_total(), None

    def ages(self, at):
        """{person_id: age or None}."""
        if at == "now":
            day = f"DATE '{self.reference}'"
            sql = (f"SELECT s.person_id, {oracle.age_on('b.birth_date', day)} FROM scope AS s "
                   f"LEFT JOIN birth AS b USING (person_id)")
        else:
            first = (f"SELECT person_id, min(day) AS day FROM "
                     f"({self.concept_rows_sql(self.scope_concepts, True)}) GROUP BY person_id")
            sql = (f"SELECT s.person_id, {oracle.age_on('b.birth_date', 'f.day')} FROM scope AS s "
                   f"LEFT JOIN birth AS b USING (person_id) LEFT JOIN ({first}) AS f "
                   f"USING (person_id)")
        return dict(self.q(sql))

    @staticmethod
    def age_label(age, bands):
        if age is None:
            return "Unknown"
        if age < bands[0][0]:
            return "Under 18"
        return [label for low, label in bands if low <= age][-1]

    def age_labels(self, bands, by_age):
        present = set(by_age)
        return ([lb for lb in ["Under 18"] if lb in present] + [lb for _, lb in bands]
                + [lb for lb in ["Unknown"] if lb in present])

    def age_table(self, bands_name, at):
        bands = AGE_BANDS[bands_name]
        by_age = {}
        for _, age in self.ages(at).items():
            label = self.age_label(age, bands)
            by_age[label] = by_age.get(label, 0) + 1
        rows = [([lb], by_age.get(lb, 0)) for lb in self.age_labels(bands, by_age)]
        return rows, self.scope_total(), None

    def age_by_sex_table(self, bands_name, at, column):
        bands = AGE_BANDS[bands_name]
        sex = dict(self.q(f"SELECT s.person_id, {self.demographic[column]} "
                          f"FROM scope AS s JOIN {self.s}.person USING (person_id)"))
        cells, by_age = {}, {}
        for person, age in self.ages(at).items():
            key = (self.age_label(age, bands), self.label(sex[person]))
            cells[key] = cells.get(key, 0) + 1
            by_age[key[0]] = 1
        sexes = sorted({self.label(c) for c in sex.values()})
        rows = [([age, s[1]], cells.get((age, s), 0))
                for age in self.age_labels(bands, by_age) for s in sexes]
        return rows, self.scope_total(), None

    def top_table(self, domain, limit):
        table, column, ppi = TOP_DOMAINS[domain]
        found = self.q(f"SELECT {column}, count(DISTINCT person_id) FROM {self.s}.{table} "
                       f"WHERE person_id IN (SELECT person_id FROM scope) AND {column} <> 0 "
                       f"GROUP BY 1")
        ranked = []
        for c, n in found:
            is_ppi = c in self.concepts and self.concepts[c][2] == "PPI"
            if ppi is None or ppi == is_ppi:
                ranked.append((-math.ceil(n / 20), self.label(c), c, n))
        ranked.sort()
        return [([lb], n) for _, (_, lb), _, n in ranked[:limit]], self.scope_total(), None

    @staticmethod
    def bins(values):
        """(step units, decimals, first bin, last bin) per docs/statistics.md."""
        values = sorted(values)
        k = (len(values) - 1) // 100
        lo, hi = values[k], values[len(values) - 1 - k]
        span = hi - lo
        target = span / 15 if span > 0 else max(abs(lo), 1.0) / 10
        candidates = []
        for exponent in range(-9, 16):
            for mantissa in ("1", "2", "2.5", "5"):
                text = format(float(mantissa) * 10 ** exponent, ".12f").rstrip("0").rstrip(".")
                decimals = len(text.split(".")[1]) if "." in text else 0
                candidates.append((int(text.replace(".", "")), decimals))
        units, decimals = next((c for c in candidates if c[0] / 10 ** c[1] >= target),
                               candidates[-1])

        def edge(j):
            return (j * units) / 10 ** decimals

        def bin_of(v):
            j = math.floor(v * 10 ** decimals / units)
            while edge(j) > v:
                j -= 1
            while edge(j + 1) <= v:
                j += 1
            return j

        return edge, bin_of, decimals, bin_of(lo), bin_of(hi)

    def measurement_table(self, concept):
        ids = ", ".join(map(str, self.concept_set(concept)))
        rows = self.q(f"SELECT {self.column('measurement', 'unit_concept_id')}, person_id, "
                      f"value_as_number, person_id IN (SELECT person_id FROM scope) "
                      f"FROM {self.s}.measurement WHERE measurement_concept_id IN ({ids}) "
                      f"AND isfinite(value_as_number)")
        by_unit = {}
        for unit, _, value, _ in rows:
            by_unit.setdefault(unit, []).append(value)
        out, with_value = [], set()
        for unit in sorted(by_unit, key=lambda u: (self.unit_label(u), NULL if u is None else u)):
            edge, bin_of, d, first, last = self.bins(by_unit[unit])
            slots = {}
            for u, person, value, in_scope in rows:
                if u == unit and in_scope:
                    j = bin_of(value)
                    slot = "below" if j < first else "above" if j > last else j
                    slots.setdefault(slot, set()).add(person)
                    with_value.add(person)
            if not slots:
                continue
            f = lambda x: f"{x:.{d}f}"  # noqa: E731
            name = self.unit_label(unit)[1]
            if "below" in slots:
                out.append(([name, f"< {f(edge(first))}"], len(slots["below"])))
            for j in range(first, last + 1):
                out.append(([name, f"{f(edge(j))}–{f(edge(j + 1))}"], len(slots.get(j, ()))))
            if "above" in slots:
                out.append(([name, f"≥ {f(edge(last + 1))}"], len(slots["above"])))
        return out, len(with_value), None

    def survey_table(self, question):
        q = f"{self.s}.observation WHERE observation_source_concept_id = {question}"
        multiple = self.q(f"SELECT count(*) FROM (SELECT person_id FROM {q} GROUP BY person_id "
                          f"HAVING count(DISTINCT coalesce(value_source_concept_id, {NULL})) > 1)"
                          )[0][0] > 0
        module = self.q(f"SELECT ca.ancestor_concept_id FROM {self.s}.concept_ancestor AS ca "
                        f"JOIN {self.s}.concept AS c ON c.concept_id = ca.ancestor_concept_id "
                        f"WHERE ca.descendant_concept_id = {question} "
                        f"AND lower(c.concept_class_id) = 'module' "
                        f"ORDER BY ca.min_levels_of_separation LIMIT 1")
        took = f"SELECT person_id FROM {q}"
        if module:
            took += (f" UNION SELECT person_id FROM {self.s}.observation "
                     f"WHERE observation_source_concept_id IN (SELECT descendant_concept_id "
                     f"FROM {self.s}.concept_ancestor WHERE ancestor_concept_id = {module[0][0]})")
        total = self.q(f"SELECT count(*) FROM scope WHERE person_id IN ({took})")[0][0]
        answers = self.q(f"SELECT value_source_concept_id, count(DISTINCT person_id) FROM {q} "
                         f"AND person_id IN (SELECT person_id FROM scope) GROUP BY 1")
        counts = {}
        for c, n in answers:
            counts[self.label(c)] = counts.get(self.label(c), 0) + n
        rows = [([lb], n) for (_, lb), n in sorted(counts.items())]
        if not multiple:
            return rows, total, "Did not answer"
        answered = self.q(f"SELECT count(DISTINCT person_id) FROM {q} "
                          f"AND person_id IN (SELECT person_id FROM scope)")[0][0]
        return rows + [(["Did not answer"], total - answered)], total, None

    def fitbit_table(self):
        rows = self.q(f"""
            SELECT s.person_id, (SELECT avg(steps) FROM {self.s}.activity_summary AS a
                                 WHERE a.person_id = s.person_id AND steps IS NOT NULL)
            FROM scope AS s
            WHERE s.person_id IN (SELECT person_id FROM {self.s}.activity_summary
                                  UNION SELECT person_id FROM {self.s}.heart_rate_summary)""")
        counts = {}
        for _, mean in rows:
            label = ("No step data" if mean is None
                     else [lb for low, lb in STEP_BANDS if low <= mean][-1])
            counts[label] = counts.get(label, 0) + 1
        out = [([lb], counts.get(lb, 0)) for _, lb in STEP_BANDS]
        if "No step data" in counts:
            out.append((["No step data"], counts["No step data"]))
        return out, len(rows), None

    def fitbit_monthly_table(self):
        """Scope persons with an activity_summary row per calendar month, every month from the
        first to the last with a dated row (zeros included); the total counts undated rows too.
        (Rows of persons missing from `person` were dropped while loading.)"""
        rows = self.q(f"""
            WITH dated AS (
                SELECT DISTINCT person_id,
                       CAST(date_trunc('month', CAST(date AS DATE)) AS TIMESTAMP) AS month
                FROM {self.s}.activity_summary
                WHERE date IS NOT NULL AND person_id IN (SELECT person_id FROM scope)),
            months AS (
                SELECT unnest(generate_series(min(month), max(month), INTERVAL 1 MONTH)) AS month
                FROM dated HAVING count(*) > 0)
            SELECT strftime(m.month, '%Y-%m'), count(d.person_id)
            FROM months AS m LEFT JOIN dated AS d USING (month)
            GROUP BY m.month ORDER BY m.month""")
        total = self.q(f"SELECT count(*) FROM scope WHERE person_id IN "
                       f"(SELECT person_id FROM {self.s}.activity_summary)")[0][0]
        return [([month], n) for month, n in rows], total, None

    def sources_table(self, concept):
        ids = self.concept_set(concept)
        ids_sql = ", ".join(map(str, ids))
        parts = [("person", f"SELECT person_id FROM {self.s}.person WHERE "
                  + " OR ".join(f"{c} IN ({ids_sql})" for c in self.demographic.values()))]
        for table, standard, source, _ in EVENT_TABLES:
            cols = [self.column(table, standard), self.column(table, source)]
            if table == "observation":
                cols.append(self.column(table, "value_source_concept_id"))
            parts.append((table, f"SELECT person_id FROM {self.s}.{table} WHERE "
                          + " OR ".join(f"{c} IN ({ids_sql})" for c in cols)))
        out = []
        for table, sql in parts:
            n = self.q(f"SELECT count(*) FROM scope WHERE person_id IN ({sql})")[0][0]
            if n:
                out.append(([table], n))
        union = " UNION ".join(sql for _, sql in parts)
        total = self.q(f"SELECT count(*) FROM scope WHERE person_id IN ({union})")[0][0]
        return out, total, None

    def table(self, request):
        kind = request["kind"]
        at = request.get("at", "now")
        if kind in ("sexAtBirth", "gender", "race", "ethnicity"):
            column = {"sexAtBirth": self.sex, "gender": "gender_concept_id",
                      "race": "race_concept_id", "ethnicity": "ethnicity_concept_id"}[kind]
            return self.demographic_table(column)
        if kind == "age":
            return self.age_table(request["bands"], at)
        if kind == "ageBySex":
            return self.age_by_sex_table(request["bands"], at, self.sex)
        if kind == "ageByGender":
            return self.age_by_sex_table(request["bands"], at, "gender_concept_id")
        if kind == "topConcepts":
            return self.top_table(request["domain"], request["limit"])
        if kind == "measurementValues":
            return self.measurement_table(request["conceptId"])
        if kind == "surveyAnswers":
            return self.survey_table(request["questionConceptId"])
        if kind == "fitbitSteps":
            return self.fitbit_table()
        if kind == "fitbitMonthly":
            return self.fitbit_monthly_table()
        if kind == "recordSources":
            return self.sources_table(request["conceptId"])
        raise ValueError(kind)


# -- running the engine ---------------------------------------------------------------------


def run_stats(binary, data_dir, scope, stat_requests, tmp_path, policy="aou"):
    """One `cohortlens stats --raw` run: its parsed lines."""
    args = [str(binary), "stats", "--data", str(data_dir), "--stat", json.dumps(stat_requests),
            "--raw", "--policy", policy]
    if "definition" in scope:
        path = tmp_path / "definition.json"
        path.write_text(json.dumps(scope["definition"]))
        args += ["--definition", str(path)]
    else:
        args += ["--concept", str(scope["concept"])]
    process = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr
    return [json.loads(line) for line in process.stdout.splitlines()]


def aou(n):
    return 0 if n == 0 else 20 if n <= 20 else -(-n // 20) * 20


def check_disclosed(line):
    """The disclosed table follows the All of Us rule from the raw numbers."""
    raw = line["raw"]
    total = aou(raw["total"])
    assert line["total"]["value"] == total and line["policy"] == "aou"
    shown = [r["count"]["value"] for r in line["rows"]]
    for row, cell in zip(line["rows"], raw["rows"]):
        assert row["labels"] == cell["labels"]
        assert row["count"]["value"] == aou(cell["count"]), (row, cell)
        expected_label = "≤ 20" if 0 < cell["count"] <= 20 else str(aou(cell["count"]))
        assert row["count"]["label"] == expected_label
    if raw.get("remainder"):
        assert len(line["rows"]) == len(raw["rows"]) + 1
        rest = line["rows"][-1]
        assert rest["labels"][0] == raw["remainder"]
        assert rest["count"]["value"] == max(20, total - sum(shown[:-1]))
    else:
        assert len(line["rows"]) == len(raw["rows"])
    for row in line["rows"]:
        expected = (math.floor(row["count"]["value"] * 1000 / total + 0.5) / 10) if total else None
        assert row["percent"] == pytest.approx(expected) if total else row["percent"] is None


def compare(name, expected, line):
    rows, total, remainder = expected
    assert "raw" in line, f"{name}: engine answered {line}"
    raw = line["raw"]
    mine = [(r["labels"], r["count"]) for r in raw["rows"]]
    assert mine == rows, (f"{name}: rows differ\n  engine {mine}\n  oracle {rows}")
    assert raw["total"] == total, f"{name}: total engine {raw['total']}, oracle {total}"
    assert raw.get("remainder") == remainder, name
    check_disclosed(line)


def scopes(cases, names, concepts):
    by_name = dict(cases)
    return ([(f"cohort {n}", {"definition": by_name[n]}) for n in names]
            + [(f"concept {c}", {"concept": c}) for c in concepts])


def check_dataset(binary, con, data_dir, all_scopes, extra, survey, tmp_path):
    the_oracle = Oracle(con, data_dir)
    compared = 0
    for scope_name, scope in all_scopes:
        stat_requests = requests("concept" in scope, survey) + extra
        lines = run_stats(binary, data_dir, scope, stat_requests, tmp_path)
        assert len(lines) == len(stat_requests)
        the_oracle.set_scope(scope)
        for request, line in zip(stat_requests, lines):
            compare(f"{scope_name}, {json.dumps(request)}", the_oracle.table(request), line)
            compared += 1
    return compared


def test_synthetic_statistics(binary, synthetic, con, tmp_path):
    """Every table for several cohorts and concepts of the synthetic 10k dataset."""
    n = check_dataset(binary, con, synthetic, scopes(CASES, SYNTHETIC_COHORTS, SYNTHETIC_CONCEPTS),
                      SYNTHETIC_EXTRA, True, tmp_path)
    assert n > 200


def test_eunomia_statistics(binary, parquet_import, con, tmp_path):
    """Every table for several cohorts and concepts of Eunomia."""
    n = check_dataset(binary, con, parquet_import.out_dir,
                      scopes(EUNOMIA_CASES, EUNOMIA_COHORTS, EUNOMIA_CONCEPTS),
                      EUNOMIA_EXTRA, False, tmp_path)
    assert n > 100


def test_eunomia_without_sex_at_birth_is_charted_by_gender(binary, parquet_import, source, tmp_path):
    """Eunomia (plain OMOP) has no sex_at_birth_concept_id: Sex at birth and Age × Sex come by
    gender, so labelled, and agree with DuckDB's gender breakdown over the Eunomia database."""
    requests_ = [{"kind": "sexAtBirth"}, {"kind": "ageBySex", "bands": "dataBrowser"},
                 {"kind": "ageByGender", "bands": "dataBrowser"}]
    sex, age_sex, age_gender = run_stats(binary, parquet_import.out_dir, {"concept": GI_BLEED},
                                         requests_, tmp_path)
    assert (sex["name"], sex["title"], sex["dimensions"]) == ("gender", "Gender", ["Gender"])
    assert (age_sex["name"], age_sex["dimensions"]) == ("age_by_gender", ["Age", "Gender"])
    assert age_sex["title"] == "Current age by gender"
    assert age_sex["raw"] == age_gender["raw"]
    names = {8507: "MALE", 8532: "FEMALE"}
    persons = ("SELECT person_id FROM condition_occurrence WHERE condition_concept_id IN "
               "(SELECT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id = ?)")
    expected = sorted((names[g], n) for g, n in source.execute(
        f"SELECT gender_concept_id, count(*) FROM person WHERE person_id IN ({persons}) GROUP BY 1",
        [GI_BLEED]).fetchall())
    engine = [(r["labels"][0], r["count"]) for r in sex["raw"]["rows"]]
    assert engine == expected and len(expected) == 2 and min(n for _, n in expected) > 20, engine
    by_gender = {}
    for r in age_sex["raw"]["rows"]:
        by_gender[r["labels"][1]] = by_gender.get(r["labels"][1], 0) + r["count"]
    assert sorted(by_gender.items()) == expected
    assert all("Not recorded" not in r["labels"] for r in age_sex["raw"]["rows"])


def test_tables_are_not_trivial(binary, synthetic, tmp_path):
    """The compared tables have real content: several rows with counts on both sides of 20."""
    lines = run_stats(binary, synthetic, {"concept": T2DM}, SYNTHETIC_EXTRA
                      + [{"kind": "race"}, {"kind": "age", "bands": "dataBrowser"}], tmp_path)
    for line in lines:
        assert line["raw"]["total"] > 100 and len(line["raw"]["rows"]) >= 1, line["name"]
    counts = [r["count"] for line in lines for r in line["raw"]["rows"]]
    assert any(0 < c <= 20 for c in counts) and any(c > 20 for c in counts)
    values = next(line for line in lines if line["name"] == "measurement_values")
    assert len(values["raw"]["rows"]) >= 8


def test_fitbit_months_are_not_trivial(binary, synthetic, tmp_path):
    """The synthetic Fitbit months: years of consecutive months, counts on both sides of 20."""
    (line,) = run_stats(binary, synthetic, {"concept": FEMALE}, [{"kind": "fitbitMonthly"}],
                        tmp_path)
    rows = line["raw"]["rows"]
    months = [int(y) * 12 + int(m) - 1 for y, m in (r["labels"][0].split("-") for r in rows)]
    assert len(months) >= 24 and months == list(range(months[0], months[0] + len(months)))
    counts = [r["count"] for r in rows]
    assert any(0 < c <= 20 for c in counts) and any(c > 20 for c in counts)
    assert sum(counts) > line["raw"]["total"], "a person counts in every month with data"


def test_policies_and_errors(binary, synthetic, tmp_path):
    """--policy suppress/perturbed disclose the same table; bad requests fail clearly."""
    request = [{"kind": "surveyAnswers", "questionConceptId": GENERAL_HEALTH}]
    for policy in ("suppress", "perturbed"):
        (line,) = run_stats(binary, synthetic, {"concept": T2DM}, request, tmp_path, policy)
        assert line["policy"] == policy and line["total"]["policy"] == policy
    bad = [{"kind": "age", "bands": "dataBrowser", "at": "event"},
           {"kind": "measurementValues", "conceptId": 999999999},
           {"kind": "topConcepts", "domain": "NOPE", "limit": 5},
           {"kind": "nope"}]
    process = subprocess.run(
        [str(binary), "stats", "--data", str(synthetic), "--definition", "/dev/stdin",
         "--stat", json.dumps(bad)],
        input=json.dumps(dict(CASES)["condition_t2dm"]), capture_output=True, text=True,
        timeout=600)
    assert process.returncode == 2
    errors = [json.loads(line)["errors"][0] for line in process.stdout.splitlines()]
    assert "concept scope" in errors[0] and "\"now\"" in errors[0]
    assert "999999999" in errors[1] and "search concepts" in errors[1]
    assert "NOPE" in errors[2] and "CONDITION" in errors[2]
    assert "nope" in errors[3]
