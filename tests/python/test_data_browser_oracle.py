"""The `dataBrowser` statistics (`cohortlens stats --dataset --raw`) against the Data Browser's own
count queries reproduced in DuckDB (`cohortlens_oracle.data_browser`, written from
`run-achilles-queries.sh` and the chart components): every raw cell, every denominator and every
disclosed cell and percent, on the synthetic 10k dataset and on Eunomia."""

import json
import math
import subprocess

from cohortlens_oracle.data_browser import DOMAINS, DataBrowser

# Concepts per domain whose charts are compared (besides a sample of the listed ones).
SYNTHETIC_EXTRA = {"condition": [201826], "measurement": [3004410]}
EUNOMIA_EXTRA = {"condition": [192671, 40481087], "drug": [1125315]}


def aou(n):
    return 0 if n == 0 else 20 if n <= 20 else -(-n // 20) * 20


def run_stats(binary, data_dir, stat_requests):
    args = [str(binary), "stats", "--data", str(data_dir), "--dataset", "--raw", "--policy", "aou",
            "--stat", json.dumps(stat_requests)]
    process = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr
    return [json.loads(line) for line in process.stdout.splitlines()]


def check_disclosed(request, line):
    """Every shown cell follows the All of Us rule from the raw cell; percents are the charts'
    (whole percent of the row's denominator, or one decimal of the age group's shown sum)."""
    raw = line["raw"]
    assert line["total"]["value"] == aou(raw["total"])
    assert len(line["rows"]) == len(raw["rows"])
    for row, cell in zip(line["rows"], raw["rows"]):
        assert row["labels"] == cell["labels"]
        assert row["count"]["value"] == aou(cell["count"])
        assert row["count"]["label"] == ("≤ 20" if 0 < cell["count"] <= 20 else str(aou(cell["count"])))
        if "of" in cell:
            assert row["of"]["value"] == aou(cell["of"])
    chart = request["chart"]
    for row in line["rows"]:
        c = row["count"]["value"]
        if chart in ("sex", "age"):
            o = row["of"]["value"]
            assert line["percentOf"] == "row"
            assert row["percent"] == (math.floor(c / o * 100 + 0.5) if o else None), row
        elif chart == "ageSex":
            group = sum(r["count"]["value"] for r in line["rows"] if r["labels"][0] == row["labels"][0])
            assert line["percentOf"] == "group"
            assert row["percent"] == (math.floor(c / group * 100 * 10 + 0.5) / 10 if group else None)


def compare(request, expected, line):
    rows, total = expected
    assert "raw" in line, f"{request}: engine answered {line}"
    raw = line["raw"]
    mine = [(r["labels"], r["count"], r.get("of")) for r in raw["rows"]]
    if request["chart"] == "concepts":
        # The engine's raw rows are in the policy's ranked order: largest shown count first,
        # equal counts by name then id.
        rows = sorted(rows, key=lambda r: -aou(r[1]))
    assert mine == [(list(l), n, o) for l, n, o in rows], f"{request}:\n engine {mine}\n oracle {rows}"
    assert raw["total"] == total, f"{request}: total engine {raw['total']}, oracle {total}"
    check_disclosed(request, line)


def check_dataset(binary, con, data_dir, extra):
    db = DataBrowser(con, data_dir)
    requests = [{"kind": "dataBrowser", "chart": "domains"}]
    charted = 0
    for name, *_ in DOMAINS:
        requests.append({"kind": "dataBrowser", "chart": "concepts", "domain": name})
        ids = db.concept_ids(name)
        # Every concept of small domains; a spread sample of large ones, plus the named ones.
        sample = sorted(set(ids[:: max(1, len(ids) // 12)] + [c for c in extra.get(name, []) if c in ids]))
        for concept in sample:
            for chart in ("sex", "age", "ageSex", "location"):
                requests.append({"kind": "dataBrowser", "chart": chart, "domain": name, "conceptId": concept})
                charted += 1
            requests.append({"kind": "dataBrowser", "chart": "sources", "conceptId": concept})
    lines = run_stats(binary, data_dir, requests)
    assert len(lines) == len(requests)
    for request, line in zip(requests, lines):
        compare(request, db.table(request), line)
    return charted


def test_synthetic_data_browser(binary, synthetic, con):
    assert check_dataset(binary, con, synthetic, SYNTHETIC_EXTRA) > 80


def test_eunomia_data_browser(binary, parquet_import, con):
    assert check_dataset(binary, con, parquet_import.out_dir, EUNOMIA_EXTRA) > 40


def test_the_tables_are_not_trivial(binary, synthetic):
    """The synthetic data exercises what the rules distinguish: several age groups and sexes,
    unmapped source concepts listed, percents below 100."""
    lines = run_stats(binary, synthetic, [
        {"kind": "dataBrowser", "chart": "concepts", "domain": "condition"},
        {"kind": "dataBrowser", "chart": "age", "domain": "condition", "conceptId": 201826},
        {"kind": "dataBrowser", "chart": "sex", "domain": "condition", "conceptId": 201826},
    ])
    concepts, age, sex = lines
    assert len(concepts["rows"]) > 5
    percents = [r["percent"] for r in age["rows"]]
    assert len(percents) >= 4 and all(0 < p <= 100 for p in percents) and min(percents) < 50
    assert {r["labels"][0] for r in sex["rows"]} >= {"Male", "Female"}


def test_sources_list_the_icd_codes_of_a_condition(binary, synthetic, con):
    """Type 2 diabetes (201826) has several ICD10CM codes coded in the synthetic data: its
    Sources chart lists them as the Data Browser labels them, each with its own count."""
    request = {"kind": "dataBrowser", "chart": "sources", "conceptId": 201826}
    line, = run_stats(binary, synthetic, [request])
    labels = [r["labels"][0] for r in line["raw"]["rows"]]
    assert len(labels) >= 2 and all("(ICD10CM-E11" in label for label in labels), labels
    compare(request, DataBrowser(con, synthetic).table(request), line)


def test_bad_requests_say_what_to_ask(binary, synthetic):
    args = [str(binary), "stats", "--data", str(synthetic), "--dataset", "--stat",
            json.dumps({"kind": "dataBrowser", "chart": "age", "domain": "drug", "conceptId": 201826})]
    process = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert process.returncode == 2
    assert "no records in the Data Browser's Drug domain" in process.stderr
    process = subprocess.run([str(binary), "stats", "--data", str(synthetic), "--stat", "{}"],
                             capture_output=True, text=True, timeout=60)
    assert process.returncode == 2 and "required arguments were not provided" in process.stderr
