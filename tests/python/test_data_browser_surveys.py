"""The survey charts of the `dataBrowser` family (`cohortlens stats --dataset --raw`) against the
Data Browser's survey count queries reproduced in DuckDB (`cohortlens_oracle.data_browser_surveys`,
written from `generate-survey-counts.sh`): every raw cell, denominator, disclosed cell and percent
of every survey, question and answer breakdown (numeric answers included), on the synthetic 10k
dataset and on Eunomia (which has no survey answers: every table is empty)."""

import json
import math
import subprocess

from cohortlens_oracle.data_browser import DataBrowser
from cohortlens_oracle.data_browser_surveys import RACE_QUESTION, VERSIONS, Surveys
from test_data_browser_oracle import aou, run_stats

BREAKDOWNS = [None, "sex", "age", "ageSex", "state"]


def check_disclosed(request, line):
    """Shown cells follow the All of Us rule; percents are the Data Browser's: answers to two
    decimals of the question's participants, sex and age whole percents of the row's
    denominator, age + sex one decimal of the (answer, age) group, state one decimal of the
    answer's states (the heat map's sum of what it shows)."""
    raw = line["raw"]
    assert line["total"]["value"] == aou(raw["total"])
    assert [r["labels"] for r in line["rows"]] == [r["labels"] for r in raw["rows"]]
    for row, cell in zip(line["rows"], raw["rows"]):
        assert row["count"]["value"] == aou(cell["count"])
        assert not 0 < row["count"]["value"] < 20, row
        if "of" in cell:
            assert row["of"]["value"] == aou(cell["of"])
    if request["chart"] != "surveyAnswers":
        return
    total = line["total"]["value"]
    for row in line["rows"]:
        c = row["count"]["value"]
        breakdown = request.get("breakdown")
        if breakdown is None:
            assert line["percentOf"] == "answered"
            assert row["percent"] == (math.floor(c / total * 100 * 100 + 0.5) / 100 if total else None), row
        elif breakdown in ("sex", "age", "version"):
            o = row["of"]["value"]
            assert line["percentOf"] == "row"
            assert row["percent"] == (math.floor(c / o * 100 + 0.5) if o else None), row
        else:
            group = sum(r["count"]["value"] for r in line["rows"] if r["labels"][:-1] == row["labels"][:-1])
            assert line["percentOf"] == "group"
            assert row["percent"] == (math.floor(c / group * 100 * 10 + 0.5) / 10 if group else None), row


def compare(request, expected, line):
    rows, total = expected
    assert "raw" in line, f"{request}: engine answered {line}"
    raw = line["raw"]
    mine = [(r["labels"], r["count"], r.get("of")) for r in raw["rows"]]
    assert mine == [(list(l), n, o) for l, n, o in rows], f"{request}:\n engine {mine}\n oracle {rows}"
    assert raw["total"] == total, f"{request}: total engine {raw['total']}, oracle {total}"
    check_disclosed(request, line)


def check_dataset(binary, con, data_dir):
    """Every survey, every question, every breakdown of every question's answers."""
    sv = Surveys(DataBrowser(con, data_dir))
    requests = [{"kind": "dataBrowser", "chart": "surveys"}]
    for survey in sv.survey_ids():
        requests.append({"kind": "dataBrowser", "chart": "surveyQuestions", "surveyConceptId": survey})
        if survey in VERSIONS:
            requests.append({"kind": "dataBrowser", "chart": "surveyVersions", "surveyConceptId": survey})
        for question in sv.question_ids(survey):
            if question == RACE_QUESTION:
                continue
            for breakdown in BREAKDOWNS + (["version"] if survey in VERSIONS else []):
                requests.append({"kind": "dataBrowser", "chart": "surveyAnswers",
                                 "questionConceptId": question, "breakdown": breakdown})
    lines = run_stats(binary, data_dir, requests)
    assert len(lines) == len(requests)
    cells = 0
    for request, line in zip(requests, lines):
        compare(request, sv.table(request), line)
        cells += len(line["raw"]["rows"])
    return cells


def test_synthetic_surveys(binary, synthetic, con):
    assert check_dataset(binary, con, synthetic) > 500


def test_eunomia_surveys(binary, parquet_import, con):
    """Eunomia has no survey concepts nor answers: the tables are empty, and still compared."""
    check_dataset(binary, con, parquet_import.out_dir)


PAIN = 2100300170


def test_numeric_answers(binary, synthetic):
    """The synthetic pain score (0-10, `value_as_number`, no answer concept) is answered by
    numbers labelled as BigQuery writes them, in every breakdown. The pain rows have a NULL
    answer concept, which the script's `value_source_concept_id != 903096` drops from the
    question's participants: the total is 0 and the percents are none."""
    tables = run_stats(binary, synthetic, [
        {"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": PAIN, "breakdown": b}
        for b in BREAKDOWNS if b != "state"])
    answers = tables[0]
    assert [r["labels"][0] for r in answers["rows"]] == [str(n) for n in range(11)], answers
    assert answers["total"]["value"] == 0 and all(r["percent"] is None for r in answers["rows"])
    for table in tables[1:]:
        assert {r["labels"][0] for r in table["rows"]} == {str(n) for n in range(11)}, table["name"]


def test_answers_by_state_spread_over_the_states(binary, synthetic):
    """The synthetic PII State answers spread a question's answers over many states, each row's
    percent a share of the answer's states."""
    by_state, = run_stats(binary, synthetic, [{"kind": "dataBrowser", "chart": "surveyAnswers",
                                              "questionConceptId": 1585857, "breakdown": "state"}])
    assert by_state["dimensions"] == ["Answer", "State"] and by_state["percentOf"] == "group"
    assert {r["labels"][1] for r in by_state["rows"]} >= {"California", "New York", "Puerto Rico"}, by_state
    assert any(0 < r["percent"] < 100 for r in by_state["rows"]), by_state


def test_the_survey_tables_are_not_trivial(binary, synthetic):
    """The synthetic surveys exercise the rules: several surveys, answers with several sexes and
    age groups, and percents below 100 (Lifestyle: Smoking: 100 Cigs Lifetime, 1585857)."""
    surveys, = run_stats(binary, synthetic, [{"kind": "dataBrowser", "chart": "surveys"}])
    assert len(surveys["rows"]) >= 3, surveys
    question = 1585857
    answers, by_sex, by_age = run_stats(binary, synthetic, [
        {"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": question, "breakdown": b}
        for b in (None, "sex", "age")])
    assert len(answers["rows"]) >= 2 and all(0 < r["percent"] < 100 for r in answers["rows"]), answers
    assert {r["labels"][1] for r in by_sex["rows"]} >= {"Male", "Female"}
    assert len({r["labels"][1] for r in by_age["rows"]}) >= 4


def test_cope_answers_by_version(binary, synthetic, con):
    """The synthetic COPE survey (1333342) has answers in all six versions, each version's cells
    whole percents of its participants (analysis 3400), below 100."""
    question = 1333102
    by_version, = run_stats(binary, synthetic, [{"kind": "dataBrowser", "chart": "surveyAnswers",
                                                 "questionConceptId": question, "breakdown": "version"}])
    assert by_version["dimensions"] == ["Answer", "Survey version"] and by_version["percentOf"] == "row"
    assert {r["labels"][1] for r in by_version["rows"]} == {name for _, name in VERSIONS[1333342]}
    assert all(0 < r["percent"] < 100 for r in by_version["rows"] if r["count"]["value"]), by_version
    assert Surveys(DataBrowser(con, synthetic)).versioned_survey(question) == 1333342


def test_cope_version_table(binary, synthetic):
    """The synthetic COPE survey's version table: all six versions in date order, each with its
    participants and its number of questions (the generator's three questions), a plain label."""
    table, = run_stats(binary, synthetic, [{"kind": "dataBrowser", "chart": "surveyVersions",
                                            "surveyConceptId": 1333342}])
    assert table["dimensions"] == ["Survey version", "Questions"]
    assert [r["labels"][0] for r in table["rows"]] == [name for _, name in VERSIONS[1333342]]
    assert all(r["labels"][1] == "3" and r["count"]["value"] >= 20 for r in table["rows"]), table


def test_bad_survey_requests_say_what_to_ask(binary, synthetic):
    for request, message in [
        ({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": RACE_QUESTION},
         "category rule"),
        ({"kind": "dataBrowser", "chart": "surveyQuestions", "surveyConceptId": 201826},
         "not a survey module"),
        ({"kind": "dataBrowser", "chart": "surveyAnswers", "questionConceptId": 1585857, "breakdown": "version"},
         "no survey with versions"),
        ({"kind": "dataBrowser", "chart": "surveyVersions", "surveyConceptId": 1585855},
         "has no versions"),
    ]:
        process = subprocess.run([str(binary), "stats", "--data", str(synthetic), "--dataset", "--stat",
                                  json.dumps(request)], capture_output=True, text=True, timeout=600)
        assert process.returncode == 2 and message in process.stderr, process.stderr
