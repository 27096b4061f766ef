"""The public tier against a real server on loopback: `cohortlens publish` (files, manifest,
atomic replacement, staleness), the published participant counts against DuckDB, a scraper
over every public endpoint (JSON and Arrow) that finds no count from 1 to 19 and no row-level
column, the CORS and cache headers, the rate limit, and `serve --public-only` refusing rows.
"""

import hashlib
import json
import math
import shutil
import subprocess
import time
import urllib.error

import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from cohortlens_oracle.data_browser import DataBrowser
from cohortlens_oracle.data_browser_fitbit import TILES, Fitbit
from cohortlens_oracle.data_browser_surveys import VERSIONS, Surveys
from cohortlens_oracle.data_browser_race_ethnicity import race_ethnicity
from test_server import Server

# Keys of numbers that are not counts of persons.
NOT_COUNTS = {"conceptId", "percent", "questionConceptId", "surveyConceptId"}
# Columns and keys that only row-level data has.
ROW_LEVEL = {
    "person_id", "personId", "birth_datetime", "year_of_birth", "month_of_birth", "day_of_birth",
    "condition_start_date", "visit_occurrence_id", "measurement_id", "observation_id", "value_as_number",
    "person_source_value", "location_id", "provider_id", "drug_exposure_id", "procedure_occurrence_id",
}
EMBED_ROUTES = ("embed.js", "embed.html", "embed-pkg/cohortlens_embed.js", "embed-pkg/cohortlens_embed_bg.wasm")


def aou(n):
    """The `aou` policy, written here independently: 0, else 20 for 1–20, else up to a multiple of 20."""
    return 0 if n == 0 else max(20, math.ceil(n / 20) * 20)


@pytest.fixture(scope="module")
def small(binary, tmp_path_factory):
    """A 3,000-person synthetic dataset, published with `cohortlens publish`."""
    out = tmp_path_factory.mktemp("public") / "synthetic-3k"
    run = subprocess.run([str(binary), "generate", "--persons", "3000", "--seed", "7", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([str(binary), "publish", "--data", str(out)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    assert "published the public aggregates" in run.stdout and "aou policy" in run.stdout
    return out


@pytest.fixture(scope="module")
def server(binary, small):
    """The published dataset served with a rate limit high enough for the scraper."""
    s = Server(binary, small, "--rate-per-minute", "1000000", "--rate-burst", "1000000")
    yield s
    s.stop()


def get_json(server, path, headers=None):
    with server.get(path, headers) as r:
        return r.status, r.headers, json.loads(r.read())


def test_publish_writes_the_aggregates_and_a_manifest(small):
    public = small / "public"
    assert sorted(p.name for p in public.iterdir()) == ["concepts.parquet", "publish.json", "tables.parquet"]
    assert not [p for p in small.iterdir() if p.name.startswith(".public")], "no partial or old directory is left"
    manifest = json.loads((public / "publish.json").read_text())
    assert manifest["policy"] == "aou"
    assert manifest["dataset_fingerprint"] == hashlib.sha256((small / "manifest.json").read_bytes()).hexdigest()
    assert set(manifest["domains"]) == {"condition", "drug", "procedure", "observation", "measurement"}
    assert {"sex", "age", "ageSex"} <= set(manifest["concept"])
    assert time.time() - time.mktime(time.strptime(manifest["published"], "%Y-%m-%dT%H:%M:%SZ")) < 24 * 3600
    tables = pq.read_table(public / "tables.parquet")
    assert tables.column_names == ["scope", "id", "statistic", "table"]
    for text in tables.column("table").to_pylist():
        assert json.loads(text)["policy"] == "aou"


def test_published_condition_counts_match_duckdb(small, con):
    """Every standard condition concept's participants are the persons with a condition_occurrence
    of exactly that concept (Data Browser analysis 3000), rounded by the `aou` rule."""
    concepts = pq.read_table(small / "public" / "concepts.parquet").to_pylist()
    conditions = [c for c in concepts if c["domain"] == "condition" and c["standard"]]
    assert len(conditions) >= 10
    path = small / "condition_occurrence.parquet"
    exact = dict(con.execute(
        f"SELECT condition_concept_id, count(DISTINCT person_id) FROM read_parquet('{path}') GROUP BY 1").fetchall())
    for c in conditions:
        assert c["participants"] == aou(exact[c["concept_id"]]), c
        assert c["participants_label"] == ("≤ 20" if c["participants"] == 20 else str(c["participants"]))


def test_snapshot_race_ethnicity_matches_the_oracle(server, small, con):
    """The snapshot's combined race/ethnicity is the Data Browser's (analysis 3110 of The Basics
    question, the DuckDB oracle), disclosed: ranked by shown count, percents of the question."""
    _, _, manifest = get_json(server, "/api/public/v1/manifest")
    assert "raceEthnicity" in manifest["snapshot"]
    _, _, table = get_json(server, "/api/public/v1/snapshot/raceEthnicity")
    rows, total = race_ethnicity(DataBrowser(con, small))
    expected = sorted(rows, key=lambda r: -aou(r[1]))
    assert [(r["labels"], r["count"]["value"]) for r in table["rows"]] == [(l, aou(n)) for l, n, _ in expected]
    assert table["total"]["value"] == aou(total) and table["percentOf"] == "answered"
    assert {"More than one", "Other", "White"} <= {r["labels"][0] for r in table["rows"]}
    arrow = check_arrow(server, "/api/public/v1/snapshot/raceEthnicity")
    assert arrow.column("percent").to_pylist() == [r["percent"] for r in table["rows"]]


def check_json(value, where, key=None):
    """No number under a count's key from 1 to 19; every disclosed count 0 or a multiple of 20; no row-level key."""
    if isinstance(value, dict):
        assert not (ROW_LEVEL & set(value)), f"{where}: row-level key in {sorted(value)}"
        if {"value", "label", "policy"} <= set(value):
            v = value["value"]
            assert v is None or v == 0 or (v >= 20 and v % 20 == 0), f"{where}: disclosed {value}"
        for k, v in value.items():
            check_json(v, where, k)
    elif isinstance(value, list):
        for v in value:
            check_json(v, where, key)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, (int, float)) and key not in NOT_COUNTS:
        assert not (1 <= value <= 19), f"{where}: {key} = {value}"


def check_arrow(server, path):
    with server.get(path + ("&" if "?" in path else "?") + "format=arrow") as r:
        assert r.headers["Content-Type"] == "application/vnd.apache.arrow.stream"
        table = ipc.open_stream(r.read()).read_all()
    assert not (ROW_LEVEL & set(table.column_names)), (path, table.column_names)
    for name in ("count", "participants"):
        if name in table.column_names:
            for v in table.column(name).to_pylist():
                assert v is None or v == 0 or (v >= 20 and v % 20 == 0), (path, name, v)
    return table


def test_a_scraper_finds_no_small_count_and_no_row(server):
    paths = ["/api/public/v1", "/api/public/v1/manifest", "/api/public/v1/snapshot"]
    _, _, manifest = get_json(server, "/api/public/v1/manifest")
    _, _, snapshot = get_json(server, "/api/public/v1/snapshot")
    for name in snapshot["tables"]:
        paths.append(f"/api/public/v1/snapshot/{name}")
        check_arrow(server, f"/api/public/v1/snapshot/{name}")
    concepts = []
    for domain in manifest["domains"]:
        path = f"/api/public/v1/concepts?domain={domain}&limit=200"
        paths.append(path)
        concepts += get_json(server, path)[2]["concepts"]
        check_arrow(server, path)
    assert len(concepts) > 50
    for c in concepts:
        paths.append(f"/api/public/v1/concepts/{c['conceptId']}")
    for c in concepts[:40]:
        for statistic in manifest["concept"]:
            paths.append(f"/api/public/v1/concepts/{c['conceptId']}/{statistic}")
            check_arrow(server, f"/api/public/v1/concepts/{c['conceptId']}/{statistic}")
    seen_small = False
    for path in paths:
        _, _, body = get_json(server, path)
        check_json(body, path)
        seen_small |= '"≤ 20"' in json.dumps(body, ensure_ascii=False)
    assert seen_small, "the scraper saw the small-count label, so it walked tables with small cells"
    for path in EMBED_ROUTES:
        with server.get("/" + path) as r:
            assert r.status == 200
            assert b"person_id" not in r.read()


def test_the_index_with_a_trailing_slash_redirects_to_it(server):
    status, headers, _ = server.raw(b"/api/public/v1/")
    assert status == 308 and "\r\nlocation: /api/public/v1\r\n" in headers + "\r\n", (status, headers)
    assert get_json(server, "/api/public/v1/")[2] == get_json(server, "/api/public/v1")[2]


def test_answers_of_several_tables_refuse_arrow_and_name_the_one_table_url(server, small):
    question = json.loads((small / "public" / "publish.json").read_text())["surveys"][0]["questions"][0]
    for path, one in [
        ("/api/public/v1/snapshot", "/api/public/v1/snapshot/{statistic}"),
        ("/api/public/v1/concepts/201826", "/api/public/v1/concepts/{id}/{statistic}"),
        (f"/api/public/v1/surveys/questions/{question['conceptId']}",
         "/api/public/v1/surveys/questions/{id}/{statistic}"),
    ]:
        code, body = server.error(path + "?format=arrow")
        assert code == 400 and body["error"]["code"] == "bad_query" and one in body["error"]["message"], body


def test_search_matches_names_codes_and_ids(server):
    _, _, found = get_json(server, "/api/public/v1/concepts?q=diabetes&limit=20")
    assert found["concepts"] and all("diabetes" in c["name"].lower() for c in found["concepts"])
    first = found["concepts"][0]
    _, _, by_id = get_json(server, f"/api/public/v1/concepts?q={first['conceptId']}")
    assert by_id["concepts"][0]["conceptId"] == first["conceptId"]
    counts = [c["participants"]["value"] for c in found["concepts"]]
    assert counts == sorted(counts, reverse=True), "most participants first"
    code, body = server.error("/api/public/v1/concepts?limit=5000")
    assert code == 400 and "limit" in body["error"]["message"]
    code, body = server.error("/api/public/v1/concepts?sql=select")
    assert code == 400 and body["error"]["code"] == "bad_query", "no ad-hoc query"
    code, body = server.error("/api/public/v1/concepts/123456789")
    assert code == 404 and body["error"]["code"] == "unknown_concept"


def test_public_answers_carry_cors_and_cache_headers(server):
    origin = {"Origin": "http://library.example"}
    status, headers, _ = get_json(server, "/api/public/v1/snapshot", origin)
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cache-Control"] == "public, max-age=300"
    etag = headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    with pytest.raises(urllib.error.HTTPError) as info:
        server.get("/api/public/v1/snapshot", {"If-None-Match": etag})
    assert info.value.code == 304, "a client holding the body gets 304"
    for path in EMBED_ROUTES[:1] + EMBED_ROUTES[2:]:
        with server.get("/" + path, origin) as r:
            assert r.headers["Access-Control-Allow-Origin"] == "*", path
    with server.get("/api/v1/catalog", origin) as r:
        assert "Access-Control-Allow-Origin" not in r.headers, "CORS is open on the public API only"
    with server.get("/embed.html") as r:
        assert "frame-ancestors *" in r.headers["Content-Security-Policy"]


def test_public_endpoints_are_rate_limited(binary, small):
    s = Server(binary, small, "--rate-per-minute", "60", "--rate-burst", "10")
    try:
        codes = []
        for _ in range(25):
            try:
                with s.get("/api/public/v1/manifest") as r:
                    codes.append(r.status)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
                assert e.headers["Retry-After"]
        assert codes[:10] == [200] * 10 and 429 in codes
    finally:
        s.stop()


def test_public_only_refuses_every_row(binary, small):
    s = Server(binary, small, "--public-only")
    try:
        for table in ("person", "condition_occurrence", "observation", "concept"):
            code, body = s.error(f"/api/v1/tables/{table}")
            assert code == 403 and body["error"]["code"] == "public_only", table
        _, _, catalog = get_json(s, "/api/v1/catalog")
        assert catalog["tables"] and all(t["locked"] and not t.get("columns") and t.get("rows") is None
                                         for t in catalog["tables"])
        _, _, snapshot = get_json(s, "/api/public/v1/snapshot")
        assert snapshot["policy"] == "aou"
        with s.get("/browser.html") as r:
            assert r.status == 200
    finally:
        s.stop()


def test_serve_listens_first_and_republishes_a_stale_publication_in_the_background(binary, small, tmp_path):
    data = tmp_path / "copy"
    shutil.copytree(small, data)
    before = json.loads((data / "public" / "publish.json").read_text())
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["name"] = "renamed"
    (data / "manifest.json").write_text(json.dumps(manifest))
    s = Server(binary, data, wait_public=False)
    try:
        # The server listened before it had published: the new publication was written after.
        written = (data / "public" / "publish.json").stat().st_mtime
        assert written > s.listening_at or json.loads((data / "public" / "publish.json").read_text()) == before, (
            "publish.json was rewritten before the server listened"
        )
        with s.get("/api/v1/catalog") as r:
            assert r.status == 200, "everything but the public API is answered while publishing"
        try:
            with s.get("/api/public/v1/manifest") as r:
                first = None
        except urllib.error.HTTPError as e:
            first = (e.code, e.headers["Retry-After"], json.loads(e.read())["error"])
        if first is not None:
            status, retry, error = first
            assert (status, error["code"]) == (503, "public_publishing") and 2 <= int(retry) <= 15
            assert "publishing" in error["message"] and "try again" in error["message"]
        s.wait_public()
        _, _, m = get_json(s, "/api/public/v1/manifest")
        assert m["dataset"] == "renamed"
        log = s.log()
        assert log.index("publishing the public aggregates") < log.index("the public API answers from the published")
    finally:
        s.stop()
    after = json.loads((data / "public" / "publish.json").read_text())
    assert after["dataset_fingerprint"] != before["dataset_fingerprint"]
    assert after["dataset_fingerprint"] == hashlib.sha256((data / "manifest.json").read_bytes()).hexdigest()


def test_no_publish_leaves_a_stale_publication_alone_and_the_public_api_unavailable(binary, small, tmp_path):
    data = tmp_path / "copy"
    shutil.copytree(small, data)
    before = (data / "public" / "publish.json").read_text()
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["name"] = "renamed"
    (data / "manifest.json").write_text(json.dumps(manifest))
    s = Server(binary, data, "--no-publish")
    try:
        code, body = s.error("/api/public/v1/snapshot")
        assert code == 503 and body["error"]["code"] == "public_unavailable"
        assert "--no-publish" in body["error"]["message"] and "cohortlens publish" in body["error"]["message"]
        with s.get("/api/v1/tables/person") as r:
            assert r.status == 200, "rows are still served"
    finally:
        s.stop()
    assert (data / "public" / "publish.json").read_text() == before


def test_surveys_and_fitbit_are_published_and_scraped(server, small, con):
    """Every survey, question and Fitbit endpoint (JSON and Arrow) shows no count from 1 to 19;
    the published answers and Fitbit tiles are the DuckDB oracle's counts rounded by `aou`."""
    _, _, manifest = get_json(server, "/api/public/v1/manifest")
    assert manifest["question"] == ["answers", "answersBySex", "answersByAge", "answersByAgeSex",
                                    "answersByState", "answersByVersion"]
    assert manifest["fitbit"] == ["year", "sex", "age", "ageSex"]
    surveys = manifest["surveys"]
    assert len(surveys) >= 3 and all(s["questions"] for s in surveys)
    oracle = Surveys(DataBrowser(con, small))
    _, _, listed = get_json(server, "/api/public/v1/surveys")
    assert [r["labels"][1] for r in listed["rows"]] == [str(s["conceptId"]) for s in surveys]
    assert [r["count"]["value"] for r in listed["rows"]] == [aou(n) for _, n, _ in oracle.surveys()[0]]
    check_arrow(server, "/api/public/v1/surveys")
    paths = ["/api/public/v1/surveys", "/api/public/v1/fitbit"]
    questions = versioned_questions = 0
    for survey in surveys:
        paths.append(f"/api/public/v1/surveys/{survey['conceptId']}")
        check_arrow(server, f"/api/public/v1/surveys/{survey['conceptId']}")
        versions_path = f"/api/public/v1/surveys/{survey['conceptId']}/versions"
        if survey["conceptId"] not in VERSIONS:
            assert server.error(versions_path)[0] == 404, versions_path
        else:
            # The version table: participants (3400) are disclosed counts, scraped like every
            # count (JSON and Arrow); the number of questions (3401) is the label "Questions",
            # shown exactly: the Data Browser does not round 3401 (`analysis_id != 3401` in
            # make-bq-public-data.sh), and a number of questions discloses no person, so it may
            # be 1-19 and is compared with the oracle's exact number.
            paths.append(versions_path)
            arrow = check_arrow(server, versions_path)
            _, _, versions = get_json(server, versions_path)
            rows, total = oracle.survey_versions(survey["conceptId"])
            assert versions["dimensions"] == ["Survey version", "Questions"]
            assert [(r["labels"], r["count"]["value"]) for r in versions["rows"]] == \
                [(labels, aou(n)) for labels, n, _ in rows], versions
            assert len(rows) == 6 and versions["total"]["value"] == aou(total) == survey["participants"]["value"]
            assert arrow.column("Questions").to_pylist() == [labels[1] for labels, _, _ in rows]
        for q in survey["questions"]:
            questions += 1
            paths.append(f"/api/public/v1/surveys/questions/{q['conceptId']}")
            versioned = survey["conceptId"] in VERSIONS
            for statistic in manifest["question"]:
                path = f"/api/public/v1/surveys/questions/{q['conceptId']}/{statistic}"
                if statistic == "answersByVersion" and not versioned:
                    assert server.error(path)[0] == 404, path
                    continue
                paths.append(path)
                check_arrow(server, path)
            if versioned:
                _, _, by_version = get_json(server, f"/api/public/v1/surveys/questions/{q['conceptId']}/answersByVersion")
                rows, _ = oracle.answers(q["conceptId"], "version")
                assert [(r["labels"], r["count"]["value"], r["of"]["value"]) for r in by_version["rows"]] == \
                    [(labels, aou(n), aou(o)) for labels, n, o in rows], q
                versioned_questions += 1
            _, _, answers = get_json(server, f"/api/public/v1/surveys/questions/{q['conceptId']}/answers")
            rows, total = oracle.answers(q["conceptId"])
            assert [(r["labels"], r["count"]["value"]) for r in answers["rows"]] == \
                [(labels, aou(n)) for labels, n, _ in rows], q
            assert answers["total"]["value"] == aou(total) == q["participants"]["value"]
            _, _, states = get_json(server, f"/api/public/v1/surveys/questions/{q['conceptId']}/answersByState")
            rows, _ = oracle.answers(q["conceptId"], "state")
            assert [(r["labels"], r["count"]["value"]) for r in states["rows"]] == \
                [(labels, aou(n)) for labels, n, _ in rows], q
    assert questions >= 10 and versioned_questions == 3
    fitbit = Fitbit(DataBrowser(con, small))
    _, _, tiles = get_json(server, "/api/public/v1/fitbit")
    assert [r["count"]["value"] for r in tiles["rows"]] == [aou(n) for _, n, _ in fitbit.tiles()[0]]
    for tile in TILES:
        for statistic in manifest["fitbit"]:
            path = f"/api/public/v1/fitbit/{tile}/{statistic}"
            paths.append(path)
            check_arrow(server, path)
            _, _, table = get_json(server, path)
            rows, _ = fitbit.tile(tile, statistic)
            assert [(r["labels"], r["count"]["value"]) for r in table["rows"]] == \
                [(labels, aou(n)) for labels, n, _ in rows], path
    for path in paths:
        _, _, body = get_json(server, path)
        check_json(body, path)


@pytest.mark.parametrize("path, code", [
    ("/api/public/v1/surveys/1", "unknown_survey"),
    ("/api/public/v1/surveys/1/versions", "unknown_survey"),
    ("/api/public/v1/surveys/questions/1/answers", "unknown_question"),
    ("/api/public/v1/surveys/questions/1586140", "unknown_question"),
    ("/api/public/v1/fitbit/sleep/year", "unknown_statistic"),
])
def test_unknown_surveys_questions_and_tiles_are_404(server, path, code):
    status, body = server.error(path)
    assert status == 404 and body["error"]["code"] == code, body


def test_measurement_concepts_publish_their_values(server, small):
    """A measurement concept with values has the Data Browser's Values table (unit × sex × bin),
    disclosed, as JSON and Arrow; a condition concept has none."""
    _, _, found = get_json(server, "/api/public/v1/concepts?domain=measurement&limit=200")
    with_values = []
    for c in found["concepts"]:
        _, _, body = get_json(server, f"/api/public/v1/concepts/{c['conceptId']}")
        check_json(body, c["conceptId"])
        if "values" in body["statistics"]:
            with_values.append((c["conceptId"], body["statistics"]["values"]))
    assert len(with_values) >= 5, [c["conceptId"] for c in found["concepts"]]
    bins = 0
    for concept, table in with_values:
        assert table["dimensions"] == ["Unit", "Sex assigned at birth", "Value"]
        assert table["policy"] == "aou" and table["rows"]
        bins += sum(" - " in r["labels"][2] for r in table["rows"])
        arrow = check_arrow(server, f"/api/public/v1/concepts/{concept}/values")
        assert arrow.column_names == ["Unit", "Sex assigned at birth", "Value", "count", "label", "percent"]
        assert arrow.num_rows == len(table["rows"])
    assert bins > 20, "the tables hold binned ranges"
    _, _, conditions = get_json(server, "/api/public/v1/concepts?domain=condition&limit=1")
    _, _, body = get_json(server, f"/api/public/v1/concepts/{conditions['concepts'][0]['conceptId']}")
    assert "values" not in body["statistics"]
    manifest = json.loads((small / "public" / "publish.json").read_text())
    assert manifest["version"] == "6", "a publication without the survey version tables is stale"
