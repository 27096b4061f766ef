"""The Data Browser's Values chart, reproduced in DuckDB SQL from its script.

Written from `public-api/db-cdr/generate-cdr/run-measurement-queries.sh`, the general section
after the physical measurements, not from cohortlens: analysis 1815 (the distribution of
`value_as_number` per concept, unit and gender, with its cumulative-count percentiles) into a
table updated step by step as the script's `update` statements do on `achilles_results_dist`
(fences as text, rounded, re-read, shared by every gender of a unit, the bin width), then
analysis 1900 (the bins, with the script's `CASE` of 16 ranges; participants distinct per bin
and gender) and its values without a unit (per `value_as_concept_id` name).

BigQuery semantics kept in DuckDB: numbers are DOUBLE (the script's `.10`, `1.5`, `0.1` are
FLOAT64 literals there, DECIMAL here unless cast); `ROUND(x, n)` rounds the exact value, halves
away from zero (`bq_round`, from the digits `printf` writes: DuckDB's own `round` differs on
near halves);
`CAST(FLOAT64 AS STRING)` is ZetaSQL's
`%.15g`, or `%.17g` when that does not read back, zero unsigned (`bq_str`); `CAST(FLOAT64 AS
INT64)` rounds half away from zero (`ROUND` first); `SAFE_CAST(s AS INT64) IS NOT NULL` is
"an optional sign and digits" (`bq_is_int`); `INT64 / INT64` is a FLOAT64 division.

cohortlens's rule in place of the Data Browser's hand-made `unit_map` (docs/statistics.md):
a row's unit is its `unit_concept_id` above 0, else 0 ("No unit"); a unit concept missing
from the vocabulary is labelled "Concept N (not in the vocabulary)".
"""

from .data_browser import DataBrowser

# The bins after the first that the script writes (`iqr_min + k*bin_width`, k = 1..15).
MORE_BINS = 15


def _setup(con):
    # ROUND(x, d): from the exact decimal expansion of |x| (printf writes its digits), the
    # whole digits and d decimals as an integer, plus 1 when the next digit is 5 or more;
    # divided back by 10^d. Beyond 4e15 a FLOAT64 is a whole number already.
    con.execute("""CREATE OR REPLACE MACRO bq_round(x, d) AS CASE
        WHEN x IS NULL OR isinf(x) OR isnan(x) OR abs(x) >= 4e15 THEN x
        ELSE sign(x) * (CAST(split_part(printf('%.80f', abs(x)), '.', 1)
                             || substr(split_part(printf('%.80f', abs(x)), '.', 2), 1, d) AS HUGEINT)
                        + CASE WHEN substr(split_part(printf('%.80f', abs(x)), '.', 2), d + 1, 1) >= '5'
                          THEN 1 ELSE 0 END)::DOUBLE / pow(10, d) END""")
    con.execute("""CREATE OR REPLACE MACRO bq_str(x) AS CASE
        WHEN x = 0 THEN '0'
        WHEN CAST(printf('%.15g', x) AS DOUBLE) = x THEN printf('%.15g', x)
        ELSE printf('%.17g', x) END""")
    con.execute("CREATE OR REPLACE MACRO bq_is_int(s) AS regexp_full_match(trim(s), '[+-]?[0-9]+')")


def _label_sql():
    """The script's `stratum_4` of a row `m1` joined to its distribution row."""
    s = "bq_str(bq_round({}, 2))".format
    rng = lambda a, b: f"concat({s(a)}, ' - ', {s(b)})"  # noqa: E731
    k_lo = lambda k: "iqr_min" if k == 0 else ("iqr_min+bin_width" if k == 1 else f"iqr_min+{k}*bin_width")  # noqa: E731
    p_lo = lambda k: ("p10_value" if k == 0 else "p10_value+((p90_value-p10_value)/11)" if k == 1  # noqa: E731
                      else f"p10_value+{k}*((p90_value-p10_value)/11)")
    v = "m1.value_as_number"

    def iqr(unit):
        parts = [f"WHEN {v} < iqr_min THEN " + (f"concat('< ', {s('iqr_min')})" if unit else s("iqr_min")),
                 f"WHEN {v} >= calc_iqr_max THEN "
                 + (f"concat('>= ', {s('calc_iqr_max')})" if unit else s("calc_iqr_max")),
                 f"WHEN ({v} BETWEEN iqr_min AND iqr_min+bin_width) AND {v} < iqr_max THEN "
                 + (rng("iqr_min", "iqr_min+bin_width") if unit else s("iqr_min+bin_width"))]
        for k in range(1, MORE_BINS + 1):
            a, b = k_lo(k), k_lo(k + 1)
            parts.append(f"WHEN ({v} BETWEEN {a} AND {b}) AND {v} < calc_iqr_max AND {b} <= calc_iqr_max "
                         f"THEN " + (rng(a, b) if unit else s(b)))
        return "CASE " + " ".join(parts) + f" ELSE bq_str({v}) END"

    def p10(unit):
        parts = [f"WHEN {v} < p10_value THEN " + (f"concat('< ', {s('p10_value')})" if unit else s("p10_value"))]
        for k in range(0, MORE_BINS + 1):
            a, b = p_lo(k), p_lo(k + 1)
            parts.append(f"WHEN ({v} BETWEEN {a} AND {b}) AND {v} < p90_value THEN " + (rng(a, b) if unit else s(b)))
        last = f"concat('< ', {s('p90_value')})" if unit else s("p90_value")
        return "CASE " + " ".join(parts) + f" ELSE {last} END"

    has_unit = "m1.unit > 0"
    return (f"CASE WHEN bin_width != 0 THEN (CASE WHEN iqr_min != iqr_max THEN "
            f"(CASE WHEN {has_unit} THEN ({iqr(True)}) ELSE ({iqr(False)}) END) "
            f"WHEN p10_value != p90_value THEN "
            f"(CASE WHEN {has_unit} THEN ({p10(True)}) ELSE ({p10(False)}) END) "
            f"ELSE bq_str({v}) END) "
            f"ELSE concat({s('iqr_min')}, ' - ', {s('iqr_max')}) END")


def values(db: DataBrowser, concept_id):
    """The Values chart of a measurement concept over the whole dataset: `(rows, total)`, a row
    `([unit, sex, label], participants, None)`, in no particular order."""
    con = db.con
    _setup(con)
    c = int(concept_id)
    # The concept's rows as every Data Browser chart reads them (standard rows, or the rows of
    # an unmapped source concept), with the cohortlens unit rule and the person's gender.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE vals_rows AS
        SELECT m.person_id, p.gender_concept_id AS gender, CAST(m.value_as_number AS DOUBLE) AS value_as_number,
               CASE WHEN m.unit_concept_id > 0 THEN m.unit_concept_id ELSE 0 END AS unit,
               m.value_as_concept_id
        FROM v_ehr_measurement m JOIN db_person p ON p.person_id = m.person_id
        JOIN db_concept c ON c.concept_id = m.measurement_concept_id AND c.domain_id = 'Measurement'
        WHERE m.measurement_concept_id > 0 AND m.measurement_concept_id = {c}
        UNION ALL
        SELECT m.person_id, p.gender_concept_id, CAST(m.value_as_number AS DOUBLE),
               CASE WHEN m.unit_concept_id > 0 THEN m.unit_concept_id ELSE 0 END, m.value_as_concept_id
        FROM v_ehr_measurement m JOIN db_person p ON p.person_id = m.person_id
        JOIN db_concept c ON c.concept_id = m.measurement_source_concept_id AND c.domain_id = 'Measurement'
        WHERE m.measurement_source_concept_id NOT IN (SELECT DISTINCT measurement_concept_id FROM v_ehr_measurement)
          AND m.measurement_source_concept_id = {c}""")
    # Analysis 1815.
    con.execute("""CREATE OR REPLACE TEMP TABLE vals_dist AS
        WITH rawdata AS (SELECT unit, gender, value_as_number AS count_value FROM vals_rows
                         WHERE value_as_number IS NOT NULL),
        overallstats AS (SELECT unit, gender, min(count_value) AS min_value, max(count_value) AS max_value,
                         count(*) AS total FROM rawdata GROUP BY unit, gender),
        statsview AS (SELECT unit, gender, count_value, count(*) AS total,
                      row_number() OVER (PARTITION BY unit, gender ORDER BY count_value) AS rn
                      FROM rawdata GROUP BY unit, gender, count_value),
        priorstats AS (SELECT s.unit, s.gender, s.count_value, s.total, sum(p.total) AS accumulated
                       FROM statsview s JOIN statsview p ON s.unit = p.unit AND s.gender = p.gender AND p.rn <= s.rn
                       GROUP BY s.unit, s.gender, s.count_value, s.total, s.rn)
        SELECT o.unit, o.gender, bq_round(o.min_value, 2) AS min_value, bq_round(o.max_value, 2) AS max_value,
          min(CASE WHEN p.accumulated >= 0.10::DOUBLE * o.total THEN count_value ELSE bq_round(o.max_value, 2) END) AS p10_value,
          min(CASE WHEN p.accumulated >= 0.25::DOUBLE * o.total THEN count_value ELSE bq_round(o.max_value, 2) END) AS p25_value,
          min(CASE WHEN p.accumulated >= 0.75::DOUBLE * o.total THEN count_value ELSE bq_round(o.max_value, 2) END) AS p75_value,
          min(CASE WHEN p.accumulated >= 0.90::DOUBLE * o.total THEN count_value ELSE bq_round(o.max_value, 2) END) AS p90_value,
          CAST(NULL AS VARCHAR) AS stratum_4, CAST(NULL AS VARCHAR) AS stratum_5, CAST(NULL AS VARCHAR) AS stratum_6
        FROM priorstats p JOIN overallstats o ON p.unit = o.unit AND p.gender = o.gender
        GROUP BY o.unit, o.gender, o.total, o.min_value, o.max_value""")
    f4, f5 = "CAST(stratum_4 AS DOUBLE)", "CAST(stratum_5 AS DOUBLE)"
    w = f"(({f5} - {f4}) / 11)"
    for update in [
        "SET stratum_4 = bq_str(bq_round(CASE WHEN (p25_value - 1.5::DOUBLE*(p75_value-p25_value)) > min_value "
        "THEN (p25_value - 1.5::DOUBLE*(p75_value-p25_value)) ELSE min_value END, 2)), "
        "stratum_5 = bq_str(bq_round(CASE WHEN (p75_value + 1.5::DOUBLE*(p75_value-p25_value)) < max_value "
        "THEN (p75_value + 1.5::DOUBLE*(p75_value-p25_value)) ELSE max_value END, 2))",
        "SET stratum_4 = bq_str(bq_round(p10_value, 2)), stratum_5 = bq_str(bq_round(p90_value, 2)) "
        "WHERE stratum_4 = stratum_5",
        "SET stratum_4 = bq_str(bq_round(min_value, 2)), stratum_5 = bq_str(bq_round(max_value, 2)) "
        "WHERE stratum_4 = '0' AND stratum_5 = '0' AND (min_value != 0 OR max_value != 0)",
        f"SET stratum_4 = CAST(CAST(floor({f4} / 10) * 10 AS BIGINT) AS VARCHAR) WHERE {f4} >= 10",
        f"SET stratum_5 = CAST(CAST(ceil({f5} / 10) * 10 AS BIGINT) AS VARCHAR) WHERE {f5} >= 10",
        f"SET stratum_4 = bq_str(bq_round({f4}, 1)) WHERE NOT bq_is_int(stratum_4)",
        f"SET stratum_5 = bq_str(bq_round({f5}, 1)) WHERE NOT bq_is_int(stratum_5)",
        f"SET stratum_4 = bq_str(round({f4})) WHERE NOT bq_is_int(stratum_4) AND {f4} > 1",
        f"SET stratum_5 = bq_str(round({f5})) WHERE NOT bq_is_int(stratum_5) AND {f5} > 1",
        "SET stratum_4 = bq_str(res.m) FROM (SELECT unit AS u, min(CAST(stratum_4 AS DOUBLE)) AS m "
        "FROM vals_dist GROUP BY unit) res WHERE vals_dist.unit = res.u",
        "SET stratum_5 = bq_str(res.m) FROM (SELECT unit AS u, max(CAST(stratum_5 AS DOUBLE)) AS m "
        "FROM vals_dist GROUP BY unit) res WHERE vals_dist.unit = res.u",
        f"SET stratum_6 = bq_str(CASE "
        f"WHEN {w} >= 5 THEN round(CAST(CAST(round({w}) AS BIGINT) AS DOUBLE) / 5) * 5 "
        f"WHEN {w} >= 0.1::DOUBLE AND {w} <= 1 THEN bq_round(ceil({w} / 0.1::DOUBLE) * 0.1::DOUBLE, 1) "
        f"WHEN {w} >= 1 AND {w} <= 2 THEN bq_round(round({w} / 2) * 2, 1) "
        f"WHEN {w} >= 2 AND {w} <= 3 THEN bq_round(round({w} / 3) * 3, 1) "
        f"WHEN {w} >= 3 AND {w} <= 5 THEN bq_round(round({w} / 5) * 5, 1) "
        f"ELSE bq_round({w}, 1) END)",
        f"SET stratum_6 = bq_str(bq_round({w}, 2)) WHERE stratum_6 = '0'",
    ]:
        con.execute(f"UPDATE vals_dist {update}")
    # Analysis 1900: numeric values binned, then values without a unit by concept name.
    binned = con.execute(f"""
        WITH q AS (SELECT unit, gender, CAST(stratum_4 AS DOUBLE) AS iqr_min, CAST(stratum_5 AS DOUBLE) AS iqr_max,
                   CAST(stratum_6 AS DOUBLE) AS bin_width, stratum_6, p10_value, p90_value FROM vals_dist),
        b AS (SELECT *, CASE WHEN bin_width != 0 THEN CAST(ceil((iqr_max-iqr_min)/bin_width) AS BIGINT)+1
                        ELSE 1 END AS num_buckets FROM q),
        c AS (SELECT *, iqr_min + (num_buckets - 1)*bin_width AS updated_iqr_max,
              length(regexp_extract(stratum_6, '.(.*)', 1)) AS decimal_places FROM b),
        d AS (SELECT *, bq_round(updated_iqr_max, CASE WHEN decimal_places > 1 THEN decimal_places - 1 ELSE 0 END)
              AS calc_iqr_max FROM c)
        SELECT m1.unit, m1.gender, {_label_sql()} AS stratum_4, list(DISTINCT m1.person_id)
        FROM vals_rows m1 JOIN d ON d.unit = m1.unit AND d.gender = m1.gender
        WHERE m1.value_as_number IS NOT NULL
        GROUP BY m1.unit, m1.gender, stratum_4""").fetchall()
    named = con.execute("""
        SELECT 0, m1.gender, c2.concept_name, list(DISTINCT m1.person_id)
        FROM vals_rows m1 JOIN db_concept c2 ON c2.concept_id = m1.value_as_concept_id
        WHERE m1.value_as_concept_id != 0
        GROUP BY m1.gender, c2.concept_name, m1.value_as_concept_id""").fetchall()
    rows, everyone = [], set()
    for unit, gender, label, persons in binned + named:
        rows.append(([unit_label(db, unit), db.gender_label(gender), label], len(persons), None))
        everyone.update(persons)
    return rows, len(everyone)


def unit_label(db: DataBrowser, unit):
    """The script's unit name (`stratum_2` replaced by the concept name, "No matching concept"
    by "No unit")."""
    if unit == 0:
        return "No unit"
    found = db.q("SELECT concept_name FROM db_concept WHERE concept_id = ?", [unit])
    if not found:
        return f"Concept {unit} (not in the vocabulary)"
    return "No unit" if found[0][0] == "No matching concept" else found[0][0]


def measurement_concepts_with_values(db: DataBrowser):
    """The measurement concepts of the Data Browser with a value (a number or a value concept)."""
    return [r[0] for r in db.q(
        "SELECT DISTINCT x FROM (SELECT measurement_concept_id AS x, value_as_number, value_as_concept_id "
        "FROM v_ehr_measurement UNION ALL SELECT measurement_source_concept_id, value_as_number, "
        "value_as_concept_id FROM v_ehr_measurement) WHERE value_as_number IS NOT NULL "
        "OR (value_as_concept_id IS NOT NULL AND value_as_concept_id != 0) ORDER BY x")]
