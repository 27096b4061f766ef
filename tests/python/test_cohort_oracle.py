"""The cohort engine (`cohortlens count --raw`) checked against the Workbench oracle
(`oracle/cohortlens_oracle/workbench.py`: the All of Us Workbench's search tables and query shapes in DuckDB).

- every hand-written case of `cohort_cases.CASES` on the synthetic 10k dataset (seed 42) and of
  `cohort_cases.EUNOMIA_CASES` on Eunomia imported from Parquet: total, group and item counts;
- random valid definitions ($COHORTLENS_ORACLE_COUNT of them, default 500; seed from
  $COHORTLENS_ORACLE_SEED, else DEFAULT_SEED, printed), all sent in one batch; a mismatch is
  shrunk to a minimal definition and reported with seed and index; the disclosed count must be
  the All of Us rounding of the raw total;
- invalid definitions: exit status 2 and errors naming the offending JSON path.
"""

import json
import os
import random
import subprocess

import duckdb
import pytest

import random_definitions
from cohort_cases import CASES, EUNOMIA_CASES, attr, definition, group, item, mod, param
from cohortlens_oracle import workbench as workbench_oracle

DEFAULT_SEED = 20251122
RANDOM_DEFINITIONS = int(os.environ.get("COHORTLENS_ORACLE_COUNT", "500"))
MISMATCHES_TO_SHRINK = 3


# -- running the engine ---------------------------------------------------------------------


class Run:
    """One `cohortlens count` run: exit status, one parsed JSON line per definition, stderr."""

    def __init__(self, process):
        self.returncode = process.returncode
        self.lines = [json.loads(line) for line in process.stdout.splitlines() if line.strip()]
        self.stderr = process.stderr


def count(binary, data_dir, definitions, tmp_path, name="definitions.json"):
    """Runs the engine on a list of definitions (one file, one batch) or on one definition."""
    path = tmp_path / name
    path.write_text(json.dumps(definitions))
    process = subprocess.run(
        [str(binary), "count", "--data", str(data_dir), "--definition", str(path), "--raw"],
        capture_output=True, text=True, timeout=900)
    return Run(process)


def aou_round(n):
    """The All of Us disclosure of a raw count: 0 is 0, 1–20 show as 20, else round up to 20s."""
    if n == 0:
        return 0
    return 20 if n <= 20 else -(-n // 20) * 20


def shown_number(shown):
    """The disclosed number of a line's `shown` (a number, or a numeric string)."""
    return shown if isinstance(shown, (int, float)) else int(str(shown).strip())


def differences(engine, expected):
    """Human-readable differences between the engine's raw counts and the oracle's."""
    found = []
    if engine.get("total") != expected["total"]:
        found.append(f"total: engine {engine.get('total')}, oracle {expected['total']}")
    for key in ("includes", "excludes"):
        groups = engine.get(key, [])
        if len(groups) != len(expected[key]):
            found.append(f"{key}: engine has {len(groups)} groups, oracle {len(expected[key])}")
            continue
        for g, (mine, theirs) in enumerate(zip(groups, expected[key])):
            where = f"{key}[{g}] (id {theirs['id']})"
            if str(mine.get("id")) != str(theirs["id"]):
                found.append(f"{where}: engine id {mine.get('id')!r}")
            if mine.get("count") != theirs["count"]:
                found.append(f"{where}: engine {mine.get('count')}, oracle {theirs['count']}")
            items = mine.get("items", [])
            if len(items) != len(theirs["items"]):
                found.append(f"{where}: engine has {len(items)} items, "
                             f"oracle {len(theirs['items'])}")
                continue
            for i, (a, b) in enumerate(zip(items, theirs["items"])):
                item_where = f"{key}[{g}].items[{i}] (id {b['id']})"
                if str(a.get("id")) != str(b["id"]):
                    found.append(f"{item_where}: engine id {a.get('id')!r}")
                if a.get("count") != b["count"]:
                    found.append(f"{item_where}: engine {a.get('count')}, oracle {b['count']}")
    return found


# -- fixtures -------------------------------------------------------------------------------


def batch(binary, data_dir, cases, con, tmp_path_factory):
    """Engine lines and oracle results of named cases, the engine run once on all of them."""
    tmp = tmp_path_factory.mktemp("cases")
    run = count(binary, data_dir, [d for _, d in cases], tmp)
    assert run.returncode == 0, f"engine failed (status {run.returncode}):\n{run.stderr}"
    assert len(run.lines) == len(cases), f"{len(run.lines)} lines for {len(cases)} cases"
    return {name: (line, workbench_oracle.count(con, data_dir, d), d)
            for (name, d), line in zip(cases, run.lines)}


@pytest.fixture(scope="session")
def synthetic_results(binary, synthetic, con, tmp_path_factory):
    """Engine and oracle results of CASES on the synthetic dataset."""
    return batch(binary, synthetic, CASES, con, tmp_path_factory)


@pytest.fixture(scope="session")
def eunomia_results(binary, parquet_import, con, tmp_path_factory):
    """Engine and oracle results of EUNOMIA_CASES on Eunomia imported from Parquet."""
    return batch(binary, parquet_import.out_dir, EUNOMIA_CASES, con, tmp_path_factory)


def assert_same(name, line, expected, definition_):
    """The engine's line agrees with the oracle on every count and discloses the rounded total."""
    assert "raw" in line, f"{name}: engine answered {line}"
    found = differences(line["raw"], expected)
    assert not found, (f"{name}: engine and oracle differ:\n  " + "\n  ".join(found)
                       + f"\ndefinition: {json.dumps(definition_)}")
    assert shown_number(line["shown"]) == aou_round(expected["total"]), line


# -- (a) and (b): hand-written cases --------------------------------------------------------


@pytest.mark.parametrize("name", [name for name, _ in CASES])
def test_synthetic_case(name, synthetic_results):
    """A hand-written case on the synthetic dataset."""
    line, expected, definition_ = synthetic_results[name]
    assert_same(name, line, expected, definition_)


@pytest.mark.parametrize("name", [name for name, _ in EUNOMIA_CASES])
def test_eunomia_case(name, eunomia_results):
    """A hand-written case on Eunomia."""
    line, expected, definition_ = eunomia_results[name]
    assert_same(name, line, expected, definition_)


def test_cases_are_not_trivial(con, synthetic, parquet_import):
    """Every hand-written cohort is neither empty nor everyone, so agreement means something."""
    for cases, data_dir in ((CASES, synthetic), (EUNOMIA_CASES, parquet_import.out_dir)):
        schema = workbench_oracle.load(con, data_dir)
        persons = con.execute(f"SELECT count(*) FROM {schema}.person").fetchall()[0][0]
        for name, definition_ in cases:
            total = workbench_oracle.count(con, data_dir, definition_)["total"]
            assert 0 < total < persons, f"{name}: total {total} of {persons} persons"


# -- (c): random definitions ----------------------------------------------------------------


def random_seed():
    """$COHORTLENS_ORACLE_SEED, else DEFAULT_SEED."""
    return int(os.environ.get("COHORTLENS_ORACLE_SEED", DEFAULT_SEED))


def test_random_definitions(binary, synthetic, con, tmp_path):
    """Random valid definitions, one engine batch: every count and disclosure agrees."""
    seed = random_seed()
    print(f"\nrandom definitions: seed {seed} (set COHORTLENS_ORACLE_SEED to change), "
          f"{RANDOM_DEFINITIONS} definitions")
    catalog = random_definitions.build_catalog(con, synthetic)
    definitions = [random_definitions.generate(random.Random(f"{seed}:{index}"), catalog)
                   for index in range(RANDOM_DEFINITIONS)]
    run = count(binary, synthetic, definitions, tmp_path)
    assert len(run.lines) == len(definitions), (
        f"seed {seed}: {len(run.lines)} lines for {len(definitions)} definitions "
        f"(status {run.returncode}):\n{run.stderr}")

    def engine_vs_oracle(candidate):
        """(engine raw counts, oracle counts) of one definition, or None if either rejects it."""
        single = count(binary, synthetic, candidate, tmp_path, "candidate.json")
        if single.returncode != 0 or len(single.lines) != 1 or "raw" not in single.lines[0]:
            return None
        try:
            return single.lines[0]["raw"], workbench_oracle.count(con, synthetic, candidate)
        except (ValueError, duckdb.Error):  # Unsupported is a ValueError
            return None

    def still_fails(candidate):
        """The engine and the oracle both accept `candidate` and disagree on it."""
        pair = engine_vs_oracle(candidate)
        return pair is not None and bool(differences(*pair))

    failures = []
    for index, (definition_, line) in enumerate(zip(definitions, run.lines)):
        where = f"seed {seed}, index {index}"
        if "raw" not in line:
            failures.append(f"{where}: engine rejected a valid definition: {line}\n"
                            f"definition: {json.dumps(definition_)}")
            continue
        expected = workbench_oracle.count(con, synthetic, definition_)
        found = differences(line["raw"], expected)
        if shown_number(line["shown"]) != aou_round(line["raw"]["total"]):
            failures.append(f"{where}: shown {line['shown']} for raw {line['raw']['total']}")
        if not found:
            continue
        if len(failures) < MISMATCHES_TO_SHRINK:
            minimal = random_definitions.shrink(definition_, still_fails)
            engine, mine = engine_vs_oracle(minimal) or (None, None)
            failures.append(
                f"{where}: engine and oracle differ:\n  " + "\n  ".join(found)
                + f"\nminimal definition: {json.dumps(minimal)}"
                + f"\n  engine raw: {json.dumps(engine)}\n  oracle:     {json.dumps(mine)}")
        else:
            failures.append(f"{where}: differs ({'; '.join(found)})")
    assert run.returncode == 0, f"seed {seed}: status {run.returncode}:\n{run.stderr}"
    if failures:
        pytest.fail(f"{len(failures)} of {len(definitions)} random definitions failed "
                    f"(seed {seed}):\n\n" + "\n\n".join(failures), pytrace=False)


def test_aou_rounding():
    """The rounding the disclosed counts are checked with."""
    assert [aou_round(n) for n in (0, 1, 19, 20, 21, 40, 41, 1886)] == [
        0, 20, 20, 20, 40, 40, 60, 1900]


# -- (d): invalid definitions ---------------------------------------------------------------

T2DM = 201826
VALID_GROUP = {"id": "ok", "items": [item(param("CONDITION", T2DM))]}


def error_paths(run):
    """The JSON path of each error of the single line of a run (text before the first ': ')."""
    assert len(run.lines) == 1, run.lines
    errors = run.lines[0].get("errors")
    assert errors, f"expected errors, got {run.lines[0]}"
    return [e.split(": ", 1)[0] for e in errors], errors


def rejected(binary, synthetic, tmp_path, definition_):
    """The error paths and errors of an invalid definition (the run must exit with 2)."""
    run = count(binary, synthetic, definition_, tmp_path)
    assert run.returncode == 2, f"status {run.returncode}, output {run.lines}\n{run.stderr}"
    return error_paths(run)


def assert_path(paths, errors, *prefixes):
    """Some error is at one of `prefixes`; none at the valid group `includes[0]`."""
    assert any(p.startswith(prefix) for p in paths for prefix in prefixes), (
        f"no error at {' or '.join(prefixes)}: {errors}")
    assert not any(p.startswith("includes[0]") for p in paths), errors


def test_unknown_domain(binary, synthetic, tmp_path):
    """An unknown domain is reported at the item's type or the parameter's domain."""
    bad = {"type": "NOT_A_DOMAIN", "id": "x",
           "searchParameters": [{"domain": "NOT_A_DOMAIN", "conceptId": T2DM}]}
    paths, errors = rejected(binary, synthetic, tmp_path,
                             {"includes": [VALID_GROUP, {"id": "g", "items": [bad]}]})
    assert_path(paths, errors, "includes[1].items[0].type",
                "includes[1].items[0].searchParameters[0].domain")


def test_between_with_one_operand(binary, synthetic, tmp_path):
    """BETWEEN needs exactly 2 operands."""
    bad = item(param("CONDITION", T2DM), modifiers=[mod("AGE_AT_EVENT", "BETWEEN", 40)])
    paths, errors = rejected(binary, synthetic, tmp_path,
                             {"includes": [VALID_GROUP, {"id": "g", "items": [bad]}]})
    assert_path(paths, errors, "includes[1].items[0].modifiers[0].operands")


def test_non_numeric_num_operand(binary, synthetic, tmp_path):
    """A NUM operand must be a number (here in an exclude group)."""
    bad = item(param("MEASUREMENT", 3004410, attributes=[attr("NUM", "GREATER_THAN", "seven")]))
    paths, errors = rejected(binary, synthetic, tmp_path,
                             {"includes": [VALID_GROUP], "excludes": [{"id": "e", "items": [bad]}]})
    assert_path(paths, errors,
                "excludes[0].items[0].searchParameters[0].attributes[0].operands")


def test_empty_group(binary, synthetic, tmp_path):
    """A group needs items."""
    paths, errors = rejected(binary, synthetic, tmp_path,
                             {"includes": [VALID_GROUP, {"id": "empty", "items": []}]})
    assert_path(paths, errors, "includes[1]")


def test_temporal_group_without_group_1(binary, synthetic, tmp_path):
    """A temporal group needs items of temporalGroup 0 and 1."""
    temporal = group(item(param("CONDITION", T2DM), temporal_group=0),
                     item(param("DRUG", 1503297, ancestorData=True), temporal_group=0),
                     mention="ANY_MENTION", time="WITHIN_X_DAYS_OF", time_value=30)
    paths, errors = rejected(binary, synthetic, tmp_path,
                             {"includes": [VALID_GROUP, dict(temporal, id="t")]})
    assert_path(paths, errors, "includes[1]")


def test_concept_not_in_dataset(binary, synthetic, tmp_path):
    """A concept id missing from `concept` is named with its full path."""
    bad = definition([group(item(param("CONDITION", 987654321)))])
    _, errors = rejected(binary, synthetic, tmp_path, bad)
    assert any("includes[0].items[0].searchParameters[0].conceptId" in e
               and "not in this dataset" in e for e in errors), errors


def test_no_groups(binary, synthetic, tmp_path):
    """A definition without include or exclude groups is invalid."""
    for empty in ({}, {"includes": [], "excludes": []}):
        _, errors = rejected(binary, synthetic, tmp_path, empty)
        assert errors


def test_every_problem_is_reported(binary, synthetic, tmp_path):
    """Two problems in different groups give two errors."""
    bad = {"includes": [{"id": "a", "items": []}],
           "excludes": [{"id": "b", "items": [item(param("CONDITION", T2DM),
                                                   modifiers=[mod("EVENT_DATE", "EQUAL",
                                                                  "2020-13-45")])]}]}
    paths, errors = rejected(binary, synthetic, tmp_path, bad)
    assert any(p.startswith("includes[0]") for p in paths), errors
    assert any(p.startswith("excludes[0].items[0].modifiers[0]") for p in paths), errors


def test_invalid_definition_in_a_batch(binary, synthetic, tmp_path, con):
    """One bad definition among good ones: its own error line, the others counted, status 2."""
    good = definition([group(item(param("CONDITION", T2DM)))])
    bad = definition([group(item(param("CONDITION", 987654321)))])
    run = count(binary, synthetic, [good, bad, good], tmp_path)
    assert run.returncode == 2, run.stderr
    assert len(run.lines) == 3, run.lines
    assert "errors" in run.lines[1] and "raw" not in run.lines[1], run.lines[1]
    expected = workbench_oracle.count(con, synthetic, good)
    for line in (run.lines[0], run.lines[2]):
        assert not differences(line["raw"], expected), line
