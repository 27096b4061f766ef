"""The Data Browser's combined race/ethnicity counts, reproduced in DuckDB SQL from its scripts.

Written from `public-api/db-cdr/generate-cdr/generate-survey-counts.sh` (analysis 3110 of The
Basics race/ethnicity question 1586140: the `single_answered_people` and `basics_category_rows`
query) and the `DB-1396` label updates of `make-bq-data.sh`, not from cohortlens. The question's
participant count (the total) is the distinct persons with a row of the question.
"""

QUESTION = 1586140

# make-bq-data.sh, DB-1396: `set stratum_4 = … where stratum_2 = '1586140' and stratum_3 = …`.
RENAMED = {"1586143": "Black", "1586146": "White", "1586147": "Hispanic", "1586142": "Asian"}
MORE_THAN_ONE = "More than one"  # the update of 'More than one race/ethnicity'


def race_ethnicity(db):
    """`(rows, total)` for a `cohortlens_oracle.data_browser.DataBrowser`: rows
    `([label], participants, None)` by label (the order before the policy ranks them)."""
    cte = (
        f"WITH single_answered_people AS (SELECT person_id, count(DISTINCT value_source_concept_id) "
        f"AS answers_count FROM db_observation WHERE observation_source_concept_id = {QUESTION} "
        f"GROUP BY person_id HAVING answers_count = 1), "
        f"basics_category_rows AS (SELECT o.person_id, "
        f"CASE WHEN o.person_id IN (SELECT person_id FROM single_answered_people) THEN "
        f"(CASE WHEN o.value_source_concept_id NOT IN (1586144, 1586148, 1586145, 903070) "
        f"THEN CAST(o.value_source_concept_id AS VARCHAR) ELSE '903070' END) ELSE '' END AS stratum_3, "
        f"CASE WHEN o.person_id IN (SELECT person_id FROM single_answered_people) THEN "
        f"(CASE WHEN o.value_source_concept_id NOT IN (1586144, 1586148, 1586145, 903070) "
        f"THEN c.concept_name ELSE 'Other' END) ELSE 'More than one race/ethnicity' END AS stratum_4 "
        f"FROM db_observation o LEFT JOIN db_concept c ON c.concept_id = o.value_source_concept_id "
        f"WHERE o.observation_source_concept_id = {QUESTION}) "
    )
    counts = db.q(cte + "SELECT stratum_3, stratum_4, count(DISTINCT person_id) FROM basics_category_rows "
                        "GROUP BY stratum_3, stratum_4")
    rows = []
    for stratum_3, stratum_4, n in counts:
        if stratum_4 == "More than one race/ethnicity":
            label = MORE_THAN_ONE
        elif stratum_3 in RENAMED:
            label = RENAMED[stratum_3]
        elif stratum_4 is None:
            # An answer missing from `concept`: the Data Browser would show no name; cohortlens
            # writes the id (docs/statistics.md).
            label = f"Concept {stratum_3} (not in the vocabulary)"
        else:
            label = stratum_4
        rows.append(([label], n, None))
    rows.sort(key=lambda r: r[0])
    total = db.q(f"SELECT count(DISTINCT person_id) FROM db_observation "
                 f"WHERE observation_source_concept_id = {QUESTION}")[0][0]
    return rows, total
