"""The *All of Us* Data Browser's count queries, reproduced in DuckDB SQL from its scripts.

Written from `public-api/db-cdr/generate-cdr/run-achilles-queries.sh` (analyses 1, 3000, 3101,
3102, 3105, 3300, 3301 and the Physical Measurements and Fitbit participant counts) and the
chart components that label them, not from cohortlens: the views `v_ehr_<table>` of a dataset
without `_mapping_*` tables (every row with a standard or source concept above 0), the concept
counts with their unmapped-source-concept union, `CEIL(days / 365.25)` ages in the script's
strata, and the charts' labels and orders. Ages are counted from dates (`birth_datetime`, else
year/month/day of birth; the record's date), as docs/statistics.md says.

Each function returns the expected raw table as `(rows, total)`, a row being
`(labels, count, denominator or None)`.
"""

import os

# name, table, domain_id, excluded concept, date column, standard column, source column
DOMAINS = [
    ("condition", "condition_occurrence", "Condition", 19, "condition_start_date"),
    ("drug", "drug_exposure", "Drug", -1, "drug_exposure_start_date"),
    ("procedure", "procedure_occurrence", "Procedure", -1, "procedure_date"),
    ("observation", "observation", "Observation", -1, "observation_date"),
    ("measurement", "measurement", "Measurement", -1, "measurement_date"),
]
PHYSICAL_MEASUREMENTS = "903118, 903115, 903133, 903121, 903135, 903136, 903126, 903111, 903120"
FITBIT_TABLES = ["heart_rate_intraday", "heart_rate_summary", "activity_summary", "steps_intraday",
                 "sleep_level", "sleep_daily_summary", "sleep_daily_summary_counts",
                 "sleep_daily_summary_ext", "sleep_daily_summary_30dayavg", "sleep_level_short"]
GENDER_STRATUM = {8507: "Male", 8532: "Female", 8521: "Other", 0: "Other", 8551: "Unknown",
                  8570: "Ambiguous", 1585849: "None of these describe me", 1585848: "Intersex"}
AGE_STRATUM = {"2": "18-29", "3": "30-39", "4": "40-49", "5": "50-59", "6": "60-69",
               "7": "70-79", "8": "80-89", "9": "89+"}

# LOCATION_STRATUM_MAP of the Data Browser's charts (and AchillesAnalysisService).
LOCATION_STRATUM = {
    "us-ak": "Alaska",
    "us-al": "Alabama",
    "us-ar": "Arkansas",
    "us-as": "American Samoa",
    "us-az": "Arizona",
    "us-ca": "California",
    "us-co": "Colorado",
    "us-ct": "Connecticut",
    "us-dc": "District of Columbia",
    "us-de": "Delaware",
    "us-fl": "Florida",
    "us-fm": "Federated States of Micronesia",
    "us-ga": "Georgia",
    "us-gu": "Guam",
    "us-hi": "Hawaii",
    "us-ia": "Iowa",
    "us-id": "Idaho",
    "us-il": "Illinois",
    "us-in": "Indiana",
    "us-ks": "Kansas",
    "us-ky": "Kentucky",
    "us-la": "Louisiana",
    "us-ma": "Massachusetts",
    "us-md": "Maryland",
    "us-me": "Maine",
    "us-mh": "Marshall Islands",
    "us-mi": "Michigan",
    "us-mn": "Minnesota",
    "us-mo": "Missouri",
    "us-mp": "Northern Mariana Islands",
    "us-ms": "Mississippi",
    "us-mt": "Montana",
    "us-nc": "North Carolina",
    "us-nd": "North Dakota",
    "us-ne": "Nebraska",
    "us-nh": "New Hampshire",
    "us-nj": "New Jersey",
    "us-nm": "New Mexico",
    "us-nv": "Nevada",
    "us-ny": "New York",
    "us-oh": "Ohio",
    "us-ok": "Oklahoma",
    "us-or": "Oregon",
    "us-pa": "Pennsylvania",
    "us-pr": "Puerto Rico",
    "us-pw": "Palau",
    "us-ri": "Rhode Island",
    "us-sc": "South Carolina",
    "us-sd": "South Dakota",
    "us-tn": "Tennessee",
    "us-tx": "Texas",
    "us-ut": "Utah",
    "us-va": "Virginia",
    "us-vi": "Virgin Islands",
    "us-vt": "Vermont",
    "us-wa": "Washington",
    "us-wi": "Wisconsin",
    "us-wv": "West Virginia",
    "us-wy": "Wyoming",
}

# The script's age stratum of an age column `a`.
STRATUM_SQL = ("CASE WHEN {a} >= 18 AND {a} <= 29 THEN '2' WHEN {a} > 89 THEN '9' "
               "WHEN {a} >= 30 AND {a} <= 89 THEN CAST(CAST(FLOOR({a} / 10) AS INTEGER) AS VARCHAR) "
               "WHEN {a} < 18 THEN '0' END")


def aou(n):
    """`make-bq-public-data.sh`'s rounding of a count: 1–20 to 20, above up to a multiple of 20."""
    return 0 if n == 0 else 20 if n <= 20 else -(-n // 20) * 20


class DataBrowser:
    """The Data Browser's counts of one dataset directory (Parquet files)."""

    def __init__(self, con, data_dir):
        self.con = con
        self.dir = os.path.abspath(data_dir)
        self.domains = {d[0]: d for d in DOMAINS}
        for name in ["person", "concept", "concept_relationship"] + [d[1] for d in DOMAINS] + FITBIT_TABLES:
            path = os.path.join(self.dir, f"{name}.parquet")
            view = f"db_{name}"
            if os.path.exists(path):
                self.q(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet('{path}')")
            elif name in FITBIT_TABLES:
                self.q(f"CREATE OR REPLACE TEMP VIEW {view} AS "
                       f"SELECT CAST(NULL AS BIGINT) AS person_id WHERE false")
        self.q("CREATE OR REPLACE TEMP TABLE db_birth AS SELECT person_id, gender_concept_id, "
               "coalesce(CAST(birth_datetime AS DATE), make_date(year_of_birth, "
               "coalesce(month_of_birth, 1), coalesce(day_of_birth, 1))) AS birth_date FROM db_person")
        for name, table, _, _, _ in DOMAINS:
            c, sc = self.columns(name)
            self.q(f"CREATE OR REPLACE TEMP VIEW v_ehr_{name} AS SELECT * FROM db_{table} "
                   f"WHERE {c} > 0 OR {sc} > 0")

    def q(self, sql, params=None):
        return self.con.execute(sql, params or []).fetchall()

    def columns(self, domain):
        return f"{domain}_concept_id", f"{domain}_source_concept_id"

    def concept_name(self, concept_id):
        return self.q("SELECT concept_name FROM db_concept WHERE concept_id = ?", [concept_id])[0][0]

    def persons(self):
        """Analysis 1: the dataset's participants."""
        return self.q("SELECT count(DISTINCT person_id) FROM db_person")[0][0]

    # -- analysis 3000: domain and concept counts ----------------------------------------------

    def domain_counts(self):
        rows = []
        for name, _, domain_id, _, _ in DOMAINS:
            n = self.q(f"SELECT count(DISTINCT person_id) FROM v_ehr_{name}")[0][0]
            rows.append(([domain_id], n, None))
        pm = self.q(
            f"SELECT count(DISTINCT person_id) FROM (SELECT person_id FROM db_measurement "
            f"WHERE measurement_concept_id IN ({PHYSICAL_MEASUREMENTS}) "
            f"OR measurement_source_concept_id IN ({PHYSICAL_MEASUREMENTS}) UNION "
            f"SELECT person_id FROM db_observation WHERE (observation_concept_id > 0 OR "
            f"observation_source_concept_id > 0) AND (observation_concept_id IN (903120) "
            f"OR observation_source_concept_id IN (903120)))")[0][0]
        rows.append((["Physical Measurements"], pm, None))
        union = " UNION ".join(f"SELECT person_id FROM db_{t}" for t in FITBIT_TABLES)
        fitbit = self.q(f"SELECT count(DISTINCT a.person_id) FROM ({union}) a "
                        f"JOIN db_person b ON a.person_id = b.person_id")[0][0]
        rows.append((["Fitbit"], fitbit, None))
        return rows, self.persons()

    def concept_counts_sql(self, domain):
        """The script's 3000 concept counts: (concept_id, participants) of the domain."""
        _, _, domain_id, excluded, _ = self.domains[domain]
        c, sc = self.columns(domain)
        v = f"v_ehr_{domain}"
        return (
            f"SELECT co1.{c} AS concept_id, count(DISTINCT co1.person_id) AS n FROM {v} co1 "
            f"JOIN db_concept c ON c.concept_id = co1.{c} AND c.domain_id = '{domain_id}' "
            f"WHERE co1.{c} > 0 AND co1.{c} != {excluded} GROUP BY co1.{c} "
            f"UNION ALL "
            f"SELECT co1.{sc}, count(DISTINCT co1.person_id) FROM {v} co1 "
            f"JOIN db_concept c ON c.concept_id = co1.{sc} AND c.domain_id = '{domain_id}' "
            f"WHERE co1.{sc} NOT IN (SELECT DISTINCT {c} FROM {v}) AND co1.{sc} != {excluded} "
            f"GROUP BY co1.{sc}")

    def concepts(self, domain):
        """The concept list, as (labels, count, None) by name then id (the engine's raw order
        before the policy ranks it)."""
        rows = self.q(f"SELECT c.concept_name, x.concept_id, x.n FROM ({self.concept_counts_sql(domain)}) x "
                      f"JOIN db_concept c ON c.concept_id = x.concept_id")
        rows.sort(key=lambda r: (r[0], r[1]))
        return [([name, str(cid)], n, None) for name, cid, n in rows], self.persons()

    def concept_ids(self, domain):
        return sorted(r[0] for r in self.q(self.concept_counts_sql(domain)))

    # -- the concept's rows --------------------------------------------------------------------

    def concept_rows_sql(self, domain, concept_id):
        """The rows of the concept as the charts count them (its standard rows of the domain, or
        its rows as an unmapped source concept), with the person's gender and age stratum."""
        _, _, domain_id, _, date = self.domains[domain]
        c, sc = self.columns(domain)
        v = f"v_ehr_{domain}"
        age = "CEIL(date_diff('day', p.birth_date, co.{d}) / 365.25)".format(d=date)
        stratum = STRATUM_SQL.format(a=age)
        return (
            f"SELECT co.person_id, p.gender_concept_id AS gender, {stratum} AS stratum "
            f"FROM {v} co JOIN db_birth p ON p.person_id = co.person_id "
            f"JOIN db_concept c ON c.concept_id = co.{c} AND c.domain_id = '{domain_id}' "
            f"WHERE co.{c} > 0 AND co.{c} = {int(concept_id)} "
            f"UNION ALL "
            f"SELECT co.person_id, p.gender_concept_id, {stratum} FROM {v} co "
            f"JOIN db_birth p ON p.person_id = co.person_id "
            f"JOIN db_concept c ON c.concept_id = co.{sc} AND c.domain_id = '{domain_id}' "
            f"WHERE co.{sc} NOT IN (SELECT DISTINCT {c} FROM {v}) AND co.{sc} = {int(concept_id)}")

    def domain_rows_sql(self, domain):
        """Every row of the domain's view with the person's gender and age stratum."""
        date = self.domains[domain][4]
        age = "CEIL(date_diff('day', p.birth_date, co.{d}) / 365.25)".format(d=date)
        return (f"SELECT co.person_id, p.gender_concept_id AS gender, {STRATUM_SQL.format(a=age)} "
                f"AS stratum FROM v_ehr_{domain} co JOIN db_birth p ON p.person_id = co.person_id")

    def concept_total(self, domain, concept_id):
        return self.q(f"SELECT count(DISTINCT person_id) FROM ({self.concept_rows_sql(domain, concept_id)})")[0][0]

    def gender_label(self, g):
        if g is None:
            return "Not recorded"
        return GENDER_STRATUM.get(g) or self.concept_name(g)

    # -- analyses 3101 / 3300, 3102 / 3301, 3105 -----------------------------------------------

    def sex(self, domain, concept_id):
        of = dict(self.q(f"SELECT gender, count(DISTINCT person_id) FROM ({self.domain_rows_sql(domain)}) "
                         f"GROUP BY gender"))
        counts = self.q(f"SELECT gender, count(DISTINCT person_id) FROM "
                        f"({self.concept_rows_sql(domain, concept_id)}) GROUP BY gender")
        rows = sorted(([self.gender_label(g)], n, of[g]) for g, n in counts)
        return rows, self.concept_total(domain, concept_id)

    def age(self, domain, concept_id):
        of = dict(self.q(f"SELECT stratum, count(DISTINCT person_id) FROM ({self.domain_rows_sql(domain)}) "
                         f"WHERE stratum IS NOT NULL GROUP BY stratum"))
        counts = self.q(
            f"WITH r AS ({self.concept_rows_sql(domain, concept_id)}), "
            f"m AS (SELECT person_id, min(stratum) AS s FROM r GROUP BY person_id) "
            f"SELECT s, count(DISTINCT person_id) FROM m WHERE s IS NOT NULL GROUP BY s")
        rows = sorted(([AGE_STRATUM[s]], n, of[s]) for s, n in counts if s in AGE_STRATUM)
        return rows, self.concept_total(domain, concept_id)

    def age_sex(self, domain, concept_id):
        counts = self.q(f"SELECT stratum, gender, count(DISTINCT person_id) FROM "
                        f"({self.concept_rows_sql(domain, concept_id)}) GROUP BY stratum, gender")
        by = {(s, g): n for s, g, n in counts}
        groups = sorted({s for s, _, _ in counts if s in AGE_STRATUM})
        rows = [([AGE_STRATUM[s], sex], by.get((s, g), 0), None)
                for s in groups for sex, g in (("Male", 8507), ("Female", 8532), ("Other", 0))]
        return rows, self.concept_total(domain, concept_id)

    def location(self, domain, concept_id):
        """Analysis 3108: participants with the concept by the state of their PII State answer,
        named by the Data Browser's map (an unknown code as it is; no state: not shown)."""
        counts = self.q(
            f"WITH state_information AS (SELECT ob.person_id, lower(concat('us-', "
            f"regexp_extract(c.concept_name, 'PII State: (.*)', 1))) AS location "
            f"FROM db_observation ob JOIN db_concept c ON ob.value_source_concept_id = c.concept_id "
            f"WHERE ob.observation_source_concept_id = 1585249 "
            f"AND c.concept_name LIKE '%PII State: %') "
            f"SELECT s.location, count(DISTINCT r.person_id) FROM "
            f"({self.concept_rows_sql(domain, concept_id)}) r "
            f"JOIN state_information s ON s.person_id = r.person_id GROUP BY s.location")
        rows = sorted(([LOCATION_STRATUM.get(code, code)], n, None) for code, n in counts)
        return rows, self.concept_total(domain, concept_id)

    # -- Sources: ConceptDao.findSourceConcepts over the concept counts of make-bq-data.sh ---------

    def source_count_sql(self, domain):
        """The script's 3000 rows of a domain with both counts: (concept_id, count_value,
        source_count_value, the source rows' persons as a list)."""
        _, _, domain_id, excluded, _ = self.domains[domain]
        c, sc = self.columns(domain)
        v = f"v_ehr_{domain}"
        return (
            f"SELECT co1.{c} AS concept_id, count(DISTINCT co1.person_id) AS count_value, "
            f"(SELECT count(DISTINCT co2.person_id) FROM {v} co2 WHERE co2.{sc} = co1.{c}) "
            f"AS source_count_value FROM {v} co1 "
            f"JOIN db_concept c ON c.concept_id = co1.{c} AND c.domain_id = '{domain_id}' "
            f"WHERE co1.{c} > 0 AND co1.{c} != {excluded} GROUP BY co1.{c} "
            f"UNION ALL "
            f"SELECT co1.{sc}, count(DISTINCT co1.person_id), count(DISTINCT co1.person_id) FROM {v} co1 "
            f"JOIN db_concept c ON c.concept_id = co1.{sc} AND c.domain_id = '{domain_id}' "
            f"WHERE co1.{sc} NOT IN (SELECT DISTINCT {c} FROM {v}) AND co1.{sc} != {excluded} "
            f"GROUP BY co1.{sc}")

    def sources(self, concept_id):
        """The concepts that map to the concept with a source count above 0 (the concept
        table's counts: the sums of their 3000 rows), ordered by their rounded `count_value`
        (ties by label, as the engine breaks them), the first 10; the total is the participants
        of every listed source concept's source rows."""
        union = " UNION ALL ".join(self.source_count_sql(d) for d, *_ in DOMAINS)
        counts = self.q(
            f"WITH r AS ({union}), s AS (SELECT concept_id, sum(count_value) AS count_value, "
            f"sum(source_count_value) AS source_count_value FROM r GROUP BY concept_id) "
            f"SELECT c.concept_id, c.concept_name || ' (' || c.vocabulary_id || '-' || c.concept_code || ')', "
            f"s.count_value, s.source_count_value FROM db_concept c "
            f"JOIN db_concept_relationship rel ON rel.concept_id_1 = c.concept_id "
            f"AND rel.concept_id_2 = ? AND lower(rel.relationship_id) = 'maps to' "
            f"JOIN s ON s.concept_id = c.concept_id WHERE s.source_count_value > 0", [int(concept_id)])
        ranked = sorted(counts, key=lambda r: (-aou(r[2]), r[1], r[0]))[:10]
        ids = ", ".join(str(r[0]) for r in counts) or "NULL"
        persons = " UNION ".join(
            f"SELECT co.person_id FROM v_ehr_{d} co JOIN db_concept c ON c.concept_id = co.{self.columns(d)[1]} "
            f"AND c.domain_id = '{self.domains[d][2]}' WHERE co.{self.columns(d)[1]} IN ({ids})"
            for d, *_ in DOMAINS)
        total = self.q(f"SELECT count(DISTINCT person_id) FROM ({persons})")[0][0]
        return [([label], n, None) for _, label, _, n in ranked], total

    def table(self, request):
        """The expected raw table of a `dataBrowser` request."""
        chart = request["chart"]
        if chart == "domains":
            return self.domain_counts()
        if chart == "concepts":
            return self.concepts(request["domain"])
        if chart == "sources":
            return self.sources(request["conceptId"])
        method = {"sex": self.sex, "age": self.age, "ageSex": self.age_sex,
                  "location": self.location}[chart]
        return method(request["domain"], request["conceptId"])
