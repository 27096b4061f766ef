"""The Fitbit tiles of the `dataBrowser` family (`cohortlens stats --dataset --raw`) against the
Data Browser's Fitbit count queries reproduced in DuckDB (`cohortlens_oracle.data_browser_fitbit`,
written from `generate-fitbit-data-counts.sh`): every raw and disclosed cell of every tile and
breakdown, on the synthetic 10k dataset and on Eunomia."""

from cohortlens_oracle.data_browser import DataBrowser
from cohortlens_oracle.data_browser_fitbit import TILES, Fitbit
from test_data_browser_oracle import aou, run_stats

BREAKDOWNS = ["year", "sex", "age", "ageSex"]


def check_dataset(binary, con, data_dir):
    fitbit = Fitbit(DataBrowser(con, data_dir))
    requests = [{"kind": "dataBrowser", "chart": "fitbitTiles"}] + [
        {"kind": "dataBrowser", "chart": "fitbit", "tile": tile, "breakdown": b}
        for tile in TILES for b in BREAKDOWNS]
    lines = run_stats(binary, data_dir, requests)
    assert len(lines) == len(requests)
    for request, line in zip(requests, lines):
        rows, total = fitbit.table(request)
        assert "raw" in line, f"{request}: engine answered {line}"
        raw = line["raw"]
        mine = [(r["labels"], r["count"], r.get("of")) for r in raw["rows"]]
        assert mine == [(list(l), n, o) for l, n, o in rows], f"{request}:\n engine {mine}\n oracle {rows}"
        assert raw["total"] == total, request
        assert line["total"]["value"] == aou(total)
        for row, cell in zip(line["rows"], raw["rows"]):
            assert row["labels"] == cell["labels"]
            assert row["count"]["value"] == aou(cell["count"])
            assert not 0 < row["count"]["value"] < 20
    return lines


def test_synthetic_fitbit(binary, synthetic, con):
    lines = check_dataset(binary, con, synthetic)
    tiles = {r["labels"][0]: r["count"]["value"] for r in lines[0]["rows"]}
    assert all(n > 100 for n in tiles.values()), tiles
    years = lines[1]["raw"]["rows"]
    counts = [r["count"] for r in years]
    assert len(years) >= 2 and counts == sorted(counts), "a running total by year"
    assert counts[-1] == lines[1]["raw"]["total"]


def test_eunomia_fitbit(binary, parquet_import, con):
    check_dataset(binary, con, parquet_import.out_dir)
