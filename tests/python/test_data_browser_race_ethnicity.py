"""The Data Browser's combined race/ethnicity chart (`{"kind": "dataBrowser", "chart":
"raceEthnicity"}`) against analysis 3110 of `generate-survey-counts.sh` for The Basics question
1586140, with `make-bq-data.sh`'s labels, reproduced in DuckDB
(`cohortlens_oracle.data_browser_race_ethnicity`): every raw cell, every disclosed cell, the
percents and the order, on the synthetic 10k dataset and on Eunomia."""

import math

from cohortlens_oracle.data_browser import DataBrowser
from cohortlens_oracle.data_browser_race_ethnicity import race_ethnicity
from test_data_browser_oracle import aou, run_stats

REQUEST = {"kind": "dataBrowser", "chart": "raceEthnicity"}


def check(binary, con, data_dir):
    line, = run_stats(binary, data_dir, [REQUEST])
    rows, total = race_ethnicity(DataBrowser(con, data_dir))
    assert "raw" in line, f"engine answered {line}"
    raw = line["raw"]
    # The engine's rows are in the policy's ranked order: largest shown count first, equal
    # counts by label (the oracle's order).
    expected = sorted(rows, key=lambda r: -aou(r[1]))
    mine = [(r["labels"], r["count"], r.get("of")) for r in raw["rows"]]
    assert mine == [(list(l), n, o) for l, n, o in expected], f"\n engine {mine}\n oracle {expected}"
    assert raw["total"] == total
    assert line["total"]["value"] == aou(total)
    assert len(line["rows"]) == len(raw["rows"])
    for shown, cell in zip(line["rows"], raw["rows"]):
        assert shown["labels"] == cell["labels"]
        assert shown["count"]["value"] == aou(cell["count"])
        assert shown["count"]["label"] == ("≤ 20" if 0 < cell["count"] <= 20 else str(aou(cell["count"])))
        # countPercentage of the survey answer rows: two decimals of the question's participants.
        c, t = aou(cell["count"]), aou(total)
        assert shown["percent"] == math.floor(c / t * 100 * 100 + 0.5) / 100
    if line["rows"]:
        assert line["percentOf"] == "answered"
    return line


def test_synthetic_race_ethnicity(binary, synthetic, con):
    line = check(binary, con, synthetic)
    labels = {r["labels"][0] for r in line["raw"]["rows"]}
    # The generator writes one row per selected answer: multi-race and Hispanic participants
    # answer several times, MENA / NHPI / "None of these" answerers are "Other".
    assert {"White", "Black", "Asian", "More than one", "Other"} <= labels, labels
    assert line["raw"]["total"] > 9000


def test_eunomia_race_ethnicity_is_empty(binary, parquet_import, con):
    """Eunomia has no survey answers: no row of question 1586140, so no group and a total of 0
    on both sides."""
    line = check(binary, con, parquet_import.out_dir)
    assert line["raw"]["rows"] == [] and line["raw"]["total"] == 0
