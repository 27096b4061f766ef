"""The Data Browser's survey counts, reproduced in DuckDB SQL from its script.

Written from `public-api/db-cdr/generate-cdr/generate-survey-counts.sh` (the `survey_observation`
table, analyses 3000 `Survey` (the COPE surveys' queries joined to `observation_ext`), 3110,
3111, 3112, 3113, 3115, 3118, 3320, 3321, 3400, each with its `value_as_number` query) and
`run-achilles-queries.sh` (the `survey_age_gender_stratum` view), not from cohortlens. The one
input the Data Browser has and a dataset does not, `survey_metadata`, is built from the
vocabulary as docs/statistics.md says: a survey is a concept of class `Module` (PFHH, 43529712,
left out as in `survey_metadata_wo_pfhh`), its questions the concepts of class `Question` that
`concept_ancestor` puts under it, every one a main question (`sub = 0`). Ages come from dates.

Each function returns the expected raw table as `(rows, total)`, a row being
`(labels, count, denominator or None)`.
"""

import os

from cohortlens_oracle.data_browser import AGE_STRATUM, LOCATION_STRATUM, STRATUM_SQL
from cohortlens_oracle.data_browser_values import _setup as setup_bq_macros

PFHH = 43529712
RACE_QUESTION = 1586140
SKIP = 903096
# The script's survey versions (`observation_ext.survey_version_concept_id`) of COPE and COPE
# Minute, in its version numbers' order, named as the Data Browser's version chart names them.
VERSIONS = {
    1333342: [(2100000002, "May 2020"), (2100000003, "June 2020"), (2100000004, "July 2020"),
              (2100000005, "November 2020"), (2100000006, "December 2020"), (2100000007, "February 2021")],
    765936: [(905047, "Summer 2021"), (905055, "Fall 2021"), (765936, "Winter 2021"), (1741006, "New Year 2022")],
}

# The strata analyses 3400 and 3401 give each version (stratum_2 month or version number,
# stratum_3 month name, stratum_4 year), and the month names the version table spells out
# (`survey-version-table-react.component.tsx`).
VERSION_STRATA = {
    2100000002: ("5", "May", "2020"), 2100000003: ("6", "June", "2020"), 2100000004: ("7", "July", "2020"),
    2100000005: ("11", "Nov", "2020"), 2100000006: ("12", "Dec", "2020"), 2100000007: ("2", "Feb", "2021"),
    765936: ("3", "Winter", "2021"), 1741006: ("4", "New Year", "2022"), 905047: ("1", "Summer", "2021"),
    905055: ("2", "Fall", "2021"),
}
MONTH_NAMES = {"Nov": "November", "Dec": "December", "Feb": "February"}


class Surveys:
    """The survey counts of a dataset directory, on a `DataBrowser`'s connection and views."""

    def __init__(self, db):
        self.db = db
        q = db.q
        setup_bq_macros(db.con)
        path = os.path.join(db.dir, "concept_ancestor.parquet")
        q(f"CREATE OR REPLACE TEMP VIEW db_concept_ancestor AS SELECT * FROM read_parquet('{path}')"
          if os.path.exists(path) else "CREATE OR REPLACE TEMP VIEW db_concept_ancestor AS SELECT "
          "CAST(NULL AS BIGINT) AS ancestor_concept_id, CAST(NULL AS BIGINT) AS descendant_concept_id WHERE false")
        path = os.path.join(db.dir, "observation_ext.parquet")
        q(f"CREATE OR REPLACE TEMP VIEW db_observation_ext AS SELECT * FROM read_parquet('{path}')"
          if os.path.exists(path) else "CREATE OR REPLACE TEMP VIEW db_observation_ext AS SELECT "
          "CAST(NULL AS BIGINT) AS observation_id, CAST(NULL AS INTEGER) AS survey_version_concept_id WHERE false")
        # survey_metadata_wo_pfhh, from the vocabulary.
        q("CREATE OR REPLACE TEMP TABLE sv_metadata AS SELECT DISTINCT m.concept_id AS survey_concept_id, "
          "d.concept_id AS concept_id FROM db_concept m "
          "JOIN db_concept_ancestor a ON a.ancestor_concept_id = m.concept_id "
          "JOIN db_concept d ON d.concept_id = a.descendant_concept_id "
          f"WHERE lower(m.concept_class_id) = 'module' AND lower(d.concept_class_id) = 'question' "
          f"AND m.concept_id != {PFHH} AND d.concept_id != m.concept_id")
        # survey_observation: the observation rows of the questions (of persons of the dataset),
        # with the script's one rewritten answer.
        q("CREATE OR REPLACE TEMP TABLE sv_observation AS SELECT o.observation_id, o.person_id, "
          "o.observation_source_concept_id, o.observation_date, o.value_as_number, "
          "CASE WHEN o.observation_source_concept_id = 1585729 AND o.value_source_concept_id = 1585730 "
          "THEN 903626 ELSE o.value_source_concept_id END AS value_source_concept_id "
          "FROM db_observation o JOIN db_person p ON p.person_id = o.person_id "
          "WHERE o.observation_source_concept_id IN (SELECT DISTINCT concept_id FROM sv_metadata)")
        # survey_age_gender_stratum, per row.
        age = "CEIL(date_diff('day', p.birth_date, o.observation_date) / 365.25)"
        q(f"CREATE OR REPLACE TEMP TABLE sv_rows AS SELECT o.*, p.gender_concept_id AS gender, "
          f"{STRATUM_SQL.format(a=age)} AS age_stratum FROM sv_observation o "
          f"JOIN db_birth p ON p.person_id = o.person_id")

        # Analysis 3118's state_information: each PII State answer's `us-` code (an answer whose
        # name has no "PII State: " gives the script a NULL location, which is not shown).
        q("CREATE OR REPLACE TEMP VIEW sv_state AS SELECT ob.person_id, lower(concat('us-', "
          "regexp_extract(c.concept_name, 'PII State: (.*)', 1))) AS location "
          "FROM db_observation ob JOIN db_concept c ON ob.value_source_concept_id = c.concept_id "
          "WHERE ob.observation_source_concept_id = 1585249 AND c.concept_name LIKE '%PII State: %'")

    def name(self, concept_id):
        return self.db.concept_name(concept_id)

    def survey_ids(self):
        return [r[0] for r in self.db.q("SELECT DISTINCT survey_concept_id FROM sv_metadata ORDER BY 1")]

    def question_ids(self, survey):
        return [r[0] for r in self.db.q("SELECT concept_id FROM sv_metadata WHERE survey_concept_id = ? "
                                        "ORDER BY 1", [survey])]

    def survey_count(self, survey):
        """Analysis 3000, stratum 3 `Survey`: the persons who answered one of its questions (for
        COPE and COPE Minute, in a row `observation_ext` gives one of its versions)."""
        join, versioned = "", ""
        if survey in VERSIONS:
            join = "JOIN db_observation_ext ob_ext ON o.observation_id = ob_ext.observation_id "
            listed = ", ".join(str(v) for v, _ in VERSIONS[survey])
            versioned = f"AND ob_ext.survey_version_concept_id IS NOT NULL AND ob_ext.survey_version_concept_id IN ({listed}) "
        return self.db.q(
            "SELECT count(DISTINCT o.person_id) FROM sv_observation o JOIN sv_metadata sq "
            f"ON o.observation_source_concept_id = sq.concept_id {join}"
            "WHERE o.observation_source_concept_id > 0 AND o.value_source_concept_id > 0 "
            "AND o.observation_source_concept_id NOT IN (40766240, 43528428, 1585389) "
            f"AND sq.survey_concept_id = ? {versioned}", [survey])[0][0]

    def versioned_survey(self, question):
        """The survey with versions that `question` is under, or None."""
        rows = self.db.q("SELECT survey_concept_id FROM sv_metadata WHERE concept_id = ? ORDER BY 1", [question])
        return next((s for (s,) in rows if s in VERSIONS), None)

    def answers_by_version(self, question):
        """Analysis 3113 (the main questions' query) over 3400: per answer concept and version,
        the persons with that answer in that version, of the version's participants."""
        versions = VERSIONS[self.versioned_survey(question)]
        listed = ", ".join(str(v) for v, _ in versions)
        of = dict(self.db.q(
            "SELECT ob_ext.survey_version_concept_id, count(DISTINCT ob.person_id) FROM sv_observation ob "
            "JOIN db_observation_ext ob_ext ON ob.observation_id = ob_ext.observation_id "
            f"WHERE ob_ext.survey_version_concept_id IS NOT NULL AND ob_ext.survey_version_concept_id IN ({listed}) "
            "GROUP BY ob_ext.survey_version_concept_id"))
        counts = self.db.q(
            "SELECT o.value_source_concept_id, c.concept_name, ob_ext.survey_version_concept_id, "
            "count(DISTINCT o.person_id) FROM sv_observation o "
            "JOIN db_concept c ON c.concept_id = o.value_source_concept_id "
            "JOIN db_observation_ext ob_ext ON o.observation_id = ob_ext.observation_id "
            "WHERE o.observation_source_concept_id = ? AND o.observation_source_concept_id > 0 "
            f"AND o.value_source_concept_id > 0 AND o.observation_source_concept_id != {RACE_QUESTION} "
            f"AND ob_ext.survey_version_concept_id IN ({listed}) "
            "GROUP BY o.value_source_concept_id, c.concept_name, ob_ext.survey_version_concept_id", [question])
        order = {v: i for i, (v, _) in enumerate(versions)}
        names = dict(versions)
        rows = sorted((a, order[v], name, names[v], n, of[v]) for a, name, v, n in counts)
        return [([name, version], n, o) for _, _, name, version, n, o in rows], self.question_count(question)

    def survey_versions(self, survey):
        """The survey version table: per version with a 3400 row, its participants (3400:
        `count(distinct ob.person_id)`) and its number of questions (3401:
        `count(distinct observation_source_concept_id)`), both over `survey_observation` joined
        to `observation_ext`; rows sorted as the survey view sorts them (by
        `new Date(year, stratum_2)`), labelled "{month name} {year}"."""
        listed = ", ".join(str(v) for v, _ in VERSIONS[survey])
        counts = self.db.q(
            "SELECT ob_ext.survey_version_concept_id, count(DISTINCT ob.person_id), "
            "count(DISTINCT ob.observation_source_concept_id) FROM sv_observation ob "
            "JOIN db_observation_ext ob_ext ON ob.observation_id = ob_ext.observation_id "
            f"WHERE ob_ext.survey_version_concept_id IS NOT NULL AND ob_ext.survey_version_concept_id IN ({listed}) "
            "GROUP BY ob_ext.survey_version_concept_id")
        rows = []
        for v, persons, questions in counts:
            month, name, year = VERSION_STRATA[v]
            rows.append(((int(year), int(month)), [f"{MONTH_NAMES.get(name, name)} {year}", str(questions)], persons))
        return [(labels, n, None) for _, labels, n in sorted(rows)], self.survey_count(survey)

    def surveys(self):
        rows = []
        for s in self.survey_ids():
            n = self.survey_count(s)
            if n:
                rows.append(([self.name(s), str(s)], n, None))
        return rows, self.db.persons()

    # Analyses 3320 / 3321: the question's participants (an answer, not PMI: Skip).
    ANSWERED = ("observation_source_concept_id = ? AND observation_source_concept_id > 0 "
                f"AND value_source_concept_id != {SKIP}")

    def question_count(self, question):
        return self.db.q(f"SELECT count(DISTINCT person_id) FROM sv_rows WHERE {self.ANSWERED}", [question])[0][0]

    def questions(self, survey):
        rows = []
        for qid in self.question_ids(survey):
            n = 0 if qid == RACE_QUESTION else self.question_count(qid)
            if n:
                rows.append(([self.name(qid), str(qid)], n, None))
        return rows, self.survey_count(survey)

    # Analyses 3110 / 3111 / 3112 / 3115 / 3118: the answer rows joined to the answer's concept,
    # then (the script's second query of each) the rows with a number >= 0 and no answer concept,
    # grouped by the number and labelled by its CAST AS STRING. BigQuery's `NaN >= 0` is false
    # (DuckDB orders NaN above every number, hence the isnan test). Each row is
    # `((kind, key), label, *by, count)`: kind 0 an answer concept by id, 1 a number by value.
    def answer_counts(self, question, by, join=""):
        cols = "".join(f", {c}" for c in by)
        concepts = self.db.q(
            f"SELECT 0, o.value_source_concept_id, c.concept_name{cols}, count(DISTINCT o.person_id) "
            f"FROM sv_rows o JOIN db_concept c ON c.concept_id = o.value_source_concept_id {join} "
            f"WHERE o.observation_source_concept_id = ? AND o.observation_source_concept_id > 0 "
            f"AND o.value_source_concept_id > 0 AND o.observation_source_concept_id != {RACE_QUESTION} "
            f"GROUP BY o.value_source_concept_id, c.concept_name{cols}", [question])
        numbers = self.db.q(
            f"SELECT 1, o.value_as_number, bq_str(o.value_as_number){cols}, count(DISTINCT o.person_id) "
            f"FROM sv_rows o {join} WHERE o.observation_source_concept_id = ? "
            f"AND o.observation_source_concept_id > 0 AND o.value_as_number >= 0 "
            f"AND NOT isnan(o.value_as_number) "
            f"AND (o.value_source_concept_id = 0 OR o.value_source_concept_id IS NULL) "
            f"GROUP BY o.value_as_number{cols}", [question])
        return [((kind, key), *rest) for kind, key, *rest in concepts + numbers]

    def answers(self, question, breakdown=None):
        total = self.question_count(question)
        if breakdown is None:
            rows = sorted(self.answer_counts(question, []))
            return [([name], n, None) for a, name, n in rows], total
        if breakdown == "sex":
            of = dict(self.db.q(f"SELECT gender, count(DISTINCT person_id) FROM sv_rows "
                                f"WHERE {self.ANSWERED} GROUP BY gender", [question]))
            rows = [(a, self.db.gender_label(g), name, n, of.get(g, 0))
                    for a, name, g, n in self.answer_counts(question, ["gender"])]
            return [([name, sex], n, o) for _, sex, name, n, o in sorted(rows)], total
        if breakdown == "age":
            of = dict(self.db.q(f"SELECT age_stratum, count(DISTINCT person_id) FROM sv_rows "
                                f"WHERE {self.ANSWERED} GROUP BY age_stratum", [question]))
            rows = sorted((a, s, name, n) for a, name, s, n in self.answer_counts(question, ["age_stratum"])
                          if s in AGE_STRATUM)
            return [([name, AGE_STRATUM[s]], n, of.get(s, 0)) for _, s, name, n in rows], total
        if breakdown == "version":
            return self.answers_by_version(question)
        if breakdown == "state":
            counts = self.answer_counts(question, ["s.location"], "JOIN sv_state s ON s.person_id = o.person_id")
            rows = sorted((a, LOCATION_STRATUM.get(code, code), name, n) for a, name, code, n in counts)
            return [([name, state], n, None) for _, state, name, n in rows], total
        assert breakdown == "ageSex", breakdown
        counts = self.answer_counts(question, ["age_stratum", "gender"])
        by = {(a, s, g): n for a, _, s, g, n in counts}
        names = {a: name for a, name, *_ in counts}
        rows = []
        for a in sorted(names):
            for s in sorted({s for b, _, s, _, _ in counts if b == a and s in AGE_STRATUM}):
                for sex, g in (("Male", 8507), ("Female", 8532), ("Other", 0)):
                    rows.append(([names[a], AGE_STRATUM[s], sex], by.get((a, s, g), 0), None))
        return rows, total

    def table(self, request):
        """The expected raw table of a survey `dataBrowser` request."""
        chart = request["chart"]
        if chart == "surveys":
            return self.surveys()
        if chart == "surveyQuestions":
            return self.questions(request["surveyConceptId"])
        if chart == "surveyVersions":
            return self.survey_versions(request["surveyConceptId"])
        assert chart == "surveyAnswers", chart
        return self.answers(request["questionConceptId"], request.get("breakdown"))
