"""The Data Browser's Values chart (`{"kind": "dataBrowser", "chart": "values"}`) against
analyses 1815 and 1900 of `run-measurement-queries.sh` reproduced in DuckDB
(`cohortlens_oracle.data_browser_values`): every raw cell, every disclosed cell and the total,
for the measurement concepts with values of the synthetic 10k dataset and of Eunomia."""

from cohortlens_oracle.data_browser import DataBrowser
from cohortlens_oracle.data_browser_values import measurement_concepts_with_values, values
from test_data_browser_oracle import aou, run_stats

# Most concepts compared per dataset (a spread sample beyond that).
MAX_CONCEPTS = 60


def request(concept):
    return {"kind": "dataBrowser", "chart": "values", "conceptId": concept}


def check_dataset(binary, con, data_dir, with_values=True):
    """Compares the measurement concepts the Data Browser lists (those with values only, or all)."""
    db = DataBrowser(con, data_dir)
    listed = db.concept_ids("measurement")
    if with_values:
        valued = set(measurement_concepts_with_values(db))
        listed = [c for c in listed if c in valued]
    concepts = listed
    concepts = concepts[:: max(1, len(concepts) // MAX_CONCEPTS)]
    lines = run_stats(binary, data_dir, [request(c) for c in concepts])
    assert len(lines) == len(concepts)
    for concept, line in zip(concepts, lines):
        rows, total = values(db, concept)
        assert "raw" in line, f"{concept}: engine answered {line}"
        raw = line["raw"]
        mine = sorted((r["labels"], r["count"]) for r in raw["rows"])
        expected = sorted((labels, n) for labels, n, _ in rows)
        assert mine == expected, f"values of {concept}:\n engine {mine}\n oracle {expected}"
        assert raw["total"] == total, f"values of {concept}: total engine {raw['total']}, oracle {total}"
        assert line["total"]["value"] == aou(total)
        for shown, cell in zip(line["rows"], raw["rows"]):
            assert shown["labels"] == cell["labels"]
            assert shown["count"]["value"] == aou(cell["count"])
            assert shown["count"]["label"] == ("≤ 20" if 0 < cell["count"] <= 20 else str(aou(cell["count"])))
    return concepts, lines


def test_synthetic_values(binary, synthetic, con):
    concepts, lines = check_dataset(binary, con, synthetic)
    assert len(concepts) >= 10
    labels = [r["labels"] for line in lines for r in line["raw"]["rows"]]
    # The rules are exercised: open end bins, ranges, several sexes, several units.
    assert any(l[2].startswith("< ") for l in labels) and any(l[2].startswith(">= ") for l in labels)
    assert sum(" - " in l[2] for l in labels) > 50
    assert {l[1] for l in labels} >= {"Male", "Female"}
    assert len({l[0] for l in labels}) >= 3


def test_eunomia_values(binary, parquet_import, con):
    """Eunomia's measurements carry no value (no `value_as_number`, no value concept): every
    listed measurement has an empty Values table, as the script's queries give none."""
    concepts, lines = check_dataset(binary, con, parquet_import.out_dir, with_values=False)
    assert len(concepts) >= 10
    assert all(line["raw"]["rows"] == [] and line["raw"]["total"] == 0 for line in lines)


def test_hba1c_bins_are_ordered_and_end_open(binary, synthetic):
    """HbA1c (3004410): per unit and sex, "< lo" first, then the ranges upwards, ">= hi" last."""
    line, = run_stats(binary, synthetic, [request(3004410)])
    by_group = {}
    for r in line["raw"]["rows"]:
        by_group.setdefault(tuple(r["labels"][:2]), []).append(r["labels"][2])
    assert len(by_group) >= 2
    for group, bins in by_group.items():
        ranges = [b for b in bins if " - " in b]
        assert len(ranges) >= 3, (group, bins)
        lows = [float(b.split(" - ")[0]) for b in ranges]
        assert lows == sorted(lows), (group, bins)
        if bins[0].startswith("< "):
            assert float(bins[0][2:]) <= lows[0]
        if bins[-1].startswith(">= "):
            assert float(bins[-1][3:]) >= lows[-1]
