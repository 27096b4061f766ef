"""The Data Browser's Fitbit tile counts, reproduced in DuckDB SQL from its script.

Written from `public-api/db-cdr/generate-cdr/generate-fitbit-data-counts.sh` (analyses 3107,
3101, 3102, 3105 of "Any Fitbit Data" and of each table's tile), not from cohortlens: the first
date of a participant's rows (`min_dates`, persons of `person` only), the running total by year
of that date, and the age in completed years at it by the script's day-of-year rule. The birth
date is cohortlens's (`birth_datetime`, else year/month/day of birth), as docs/statistics.md
says.

Each function returns the expected raw table as `(rows, total)`, a row being
`(labels, count, denominator or None)`.
"""

import os

from cohortlens_oracle.data_browser import AGE_STRATUM, STRATUM_SQL

# The script's tables, date columns and labels (its fitbit_tables, fitbit_date_cols,
# fitbit_labels).
TABLES = [
    ("heart_rate_summary", "date", "Heart Rate (Summary)"),
    ("heart_rate_intraday", "datetime", "Heart rate (minute-level)"),
    ("steps_intraday", "datetime", "Activity intraday steps (minute-level)"),
    ("activity_summary", "date", "Activity daily summary"),
    ("sleep_daily_summary", "sleep_date", "Sleep Daily Summary"),
    ("sleep_level", "sleep_date", "Sleep Level (Sequence by level)"),
    ("sleep_daily_summary_counts", "sleep_date", "Sleep Daily Summary (Counts)"),
    ("sleep_daily_summary_ext", "sleep_date", "Sleep Daily Summary (Extended)"),
    ("sleep_daily_summary_30dayavg", "sleep_date", "Sleep Daily Summary (30-day average)"),
    ("sleep_level_short", "sleep_date", "Sleep Level (Short)"),
]
# The request's tile names of the tiles cohortlens computes, in the script's order: "Any" and
# each table of the All of Us CDR (the four other sleep tables are not in it).
TILES = {"any": "Any Fitbit Data", "heartRateSummary": "Heart Rate (Summary)",
         "heartRateIntraday": "Heart rate (minute-level)",
         "stepsIntraday": "Activity intraday steps (minute-level)",
         "activitySummary": "Activity daily summary", "sleepDailySummary": "Sleep Daily Summary",
         "sleepLevel": "Sleep Level (Sequence by level)"}


class Fitbit:
    """The Fitbit counts of a dataset directory, on a `DataBrowser`'s connection and views."""

    def __init__(self, db):
        self.db = db
        self.present = [(t, c, label) for t, c, label in TABLES
                        if os.path.exists(os.path.join(db.dir, f"{t}.parquet"))]

    def data_sql(self, label):
        """`all_fitbit_data` of a tile: (person_id, data_date)."""
        tables = self.present if label == TILES["any"] else [t for t in self.present if t[2] == label]
        parts = [f"SELECT person_id, CAST({c} AS DATE) AS data_date FROM read_parquet("
                 f"'{os.path.join(self.db.dir, t + '.parquet')}')" for t, c, _ in tables]
        return " UNION ALL ".join(parts) or "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS DATE) AS data_date WHERE false"

    def firsts_sql(self, label):
        """`min_dates` with the age stratum at the first date (`m_age_stratum`) and gender."""
        age = ("(date_diff('year', b.birth_date, m.join_date) - CASE WHEN dayofyear(m.join_date) "
               "< dayofyear(b.birth_date) THEN 1 ELSE 0 END)")
        return (f"WITH min_dates AS (SELECT a.person_id, min(data_date) AS join_date FROM "
                f"({self.data_sql(label)}) a JOIN db_person p ON a.person_id = p.person_id GROUP BY 1) "
                f"SELECT m.person_id, m.join_date, b.gender_concept_id AS gender, "
                f"{STRATUM_SQL.format(a=age)} AS age_stratum FROM min_dates m "
                f"JOIN db_birth b ON b.person_id = m.person_id")

    def count(self, label):
        return self.db.q(f"SELECT count(DISTINCT person_id) FROM ({self.firsts_sql(label)})")[0][0]

    def tiles(self):
        return [([label], self.count(label), None) for label in TILES.values()], self.db.persons()

    def tile(self, tile, breakdown):
        label = TILES[tile]
        f = self.firsts_sql(label)
        total = self.count(label)
        if breakdown == "year":
            rows = self.db.q(
                f"WITH year_counts AS (SELECT extract(year FROM join_date) AS join_year, "
                f"count(DISTINCT person_id) AS people_count FROM ({f}) WHERE join_date IS NOT NULL GROUP BY 1) "
                f"SELECT join_year, sum(people_count) OVER (ORDER BY join_year) FROM year_counts ORDER BY 1")
            return [([str(y)], int(n), None) for y, n in rows], total
        if breakdown == "sex":
            rows = self.db.q(f"SELECT gender, count(DISTINCT person_id) FROM ({f}) GROUP BY gender")
            return sorted(([self.db.gender_label(g)], n, None) for g, n in rows), total
        counts = self.db.q(f"SELECT age_stratum, gender, count(DISTINCT person_id) FROM ({f}) "
                           f"GROUP BY age_stratum, gender")
        strata = sorted({s for s, _, _ in counts if s in AGE_STRATUM})
        if breakdown == "age":
            by = {}
            for s, _, n in counts:
                by[s] = by.get(s, 0) + n
            return [([AGE_STRATUM[s]], by[s], None) for s in strata], total
        assert breakdown == "ageSex", breakdown
        by = {(s, g): n for s, g, n in counts}
        return [([AGE_STRATUM[s], sex], by.get((s, g), 0), None)
                for s in strata for sex, g in (("Male", 8507), ("Female", 8532), ("Other", 0))], total

    def table(self, request):
        """The expected raw table of a Fitbit `dataBrowser` request."""
        if request["chart"] == "fitbitTiles":
            return self.tiles()
        assert request["chart"] == "fitbit", request
        return self.tile(request["tile"], request["breakdown"])
