"""The cohort engine (`cohortlens count --raw`) checked against the second oracle, the
Workbench's own query construction reproduced in DuckDB (`oracle/cohortlens_oracle/workbench.py`):

- the hand-written fidelity cases of `workbench_cases.CASES` on their tiny dataset (imported
  with `cohortlens import`): the oracle and the engine both give the count worked out by hand,
  and agree on every group and item count;
- the requests of `tests/fixtures/workbench/*.json`, exactly as the Workbench UI sends them, on
  the synthetic 10k dataset: accepted, and counted as the Workbench counts them;
(test_cohort_oracle.py checks the engine against this oracle on the synthetic data and Eunomia:
the hand-written cases of cohort_cases.py and seeded random definitions);
- requests cohortlens cannot evaluate (genomic variants, CATI, survey versions): a clear error
  naming the criterion.
"""

import json
import subprocess
from pathlib import Path

import pytest

import workbench_cases
from cohortlens_oracle import workbench as workbench_oracle
from test_cohort_oracle import aou_round, count, differences, shown_number

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workbench"


@pytest.fixture(scope="session")
def tiny(binary, tmp_path_factory):
    """The fidelity cases' dataset: CSV tables imported with `cohortlens import`."""
    root = tmp_path_factory.mktemp("workbench-tiny")
    workbench_cases.write_tables(root / "csv")
    out = root / "dataset"
    process = subprocess.run(
        [str(binary), "import", "--from", str(root / "csv"), "--out", str(out),
         "--reference-date", workbench_cases.REFERENCE_DATE],
        capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    return out


@pytest.fixture(scope="session")
def tiny_results(binary, tiny, con, tmp_path_factory):
    run = count(binary, tiny, [d for _, d, *_ in workbench_cases.CASES],
                tmp_path_factory.mktemp("tiny-cases"))
    assert len(run.lines) == len(workbench_cases.CASES), run.stderr
    return dict(zip((c[0] for c in workbench_cases.CASES), run.lines))


@pytest.mark.parametrize("case", workbench_cases.CASES, ids=[c[0] for c in workbench_cases.CASES])
def test_fidelity_case(case, tiny, tiny_results, con):
    """The Workbench's count, worked out by hand, from the oracle and from the engine."""
    name, definition, expected, other, why = case
    assert expected != other or "same reading" in why, f"{name} does not tell the readings apart"
    mine = workbench_oracle.count(con, tiny, definition)
    assert mine["total"] == expected, f"{name}: Workbench oracle {mine['total']}, by hand {expected} ({why})"
    line = tiny_results[name]
    assert "raw" in line, f"{name}: engine answered {line}"
    found = differences(line["raw"], mine)
    assert not found, f"{name} ({why}):\n  " + "\n  ".join(found)


@pytest.mark.parametrize("case", workbench_cases.UNSUPPORTED,
                         ids=[c[0] for c in workbench_cases.UNSUPPORTED])
def test_unsupported_request_is_named(case, binary, tiny, con, tmp_path):
    """What cohortlens cannot evaluate is an error naming the criterion, not a count."""
    name, definition, word = case
    with pytest.raises(workbench_oracle.Unsupported):
        workbench_oracle.count(con, tiny, definition)
    run = count(binary, tiny, definition, tmp_path)
    assert run.returncode == 2, f"{name}: status {run.returncode}, {run.lines}"
    errors = run.lines[0].get("errors") or []
    assert any(word in e and "includes[0].items[0]" in e for e in errors), errors


def fixtures():
    return sorted(FIXTURES.glob("*.json"))


@pytest.mark.parametrize("path", fixtures(), ids=[p.stem for p in fixtures()])
def test_workbench_request_as_pasted(path, binary, synthetic, con, tmp_path):
    """A request pasted from the Workbench UI is accepted and gets the Workbench's count."""
    definition = json.loads(path.read_text())
    expected = workbench_oracle.count(con, synthetic, definition)
    assert expected["total"] > 0, f"{path.stem}: the fixture selects no one on the synthetic data"
    run = count(binary, synthetic, definition, tmp_path)
    assert run.returncode == 0 and "raw" in run.lines[0], f"{path.stem}: {run.lines} {run.stderr}"
    found = differences(run.lines[0]["raw"], expected)
    assert not found, f"{path.stem}:\n  " + "\n  ".join(found)
    assert shown_number(run.lines[0]["shown"]) == aou_round(expected["total"])
