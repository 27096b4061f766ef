"""Server mode's endpoint, `POST /api/v1/cohort/persons` (docs/scaling.md, "Server mode"),
against a real `cohortlens serve` on loopback: for every hand-written definition that
`test_sql.py` runs on the synthetic 10k dataset (`cohort_cases.CASES`, the Workbench UI requests
of `tests/fixtures/workbench/`) and on Eunomia (`cohort_cases.EUNOMIA_CASES`, served behind a
token), the person set the server returns is exactly the Workbench oracle's
(`cohortlens_oracle.workbench`, DuckDB over the search tables: no code shared with the server),
as one sorted Int64 column `person_id` with every person once. Then the refusals: bad JSON, an
invalid definition (the engine's errors with their JSON paths), a missing or bad token,
`--public-only`, an oversized body.
"""

import json
import urllib.error
import urllib.request

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from cohort_cases import CASES, EUNOMIA_CASES, group, item, param
from cohortlens_oracle import workbench as workbench_oracle
from test_cohort_oracle import count
from test_server import Server
from test_server_hardening import bearer, cli
from test_workbench_oracle import FIXTURES

ENDPOINT = "/api/v1/cohort/persons"


def post(server, body, headers=None):
    """POSTs `body` (a definition, or bytes as they are) to the endpoint: the response."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.url + ENDPOINT, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    return urllib.request.urlopen(request, timeout=120)


def refused(server, body, headers=None):
    """The status and JSON body of a request that must fail."""
    with pytest.raises(urllib.error.HTTPError) as info:
        post(server, body, headers)
    return info.value.code, json.loads(info.value.read())


def persons(server, definition, headers=None):
    """The person ids the server returns, after checking the stream's shape."""
    with post(server, definition, headers) as response:
        assert response.headers["Content-Type"] == "application/vnd.apache.arrow.stream"
        table = ipc.open_stream(response.read()).read_all()
    assert table.schema == pa.schema([pa.field("person_id", pa.int64(), nullable=False)])
    ids = table.column("person_id").to_pylist()
    assert ids == sorted(set(ids)), "person ids must be sorted, each once"
    # The size of a person set is a raw count: no header says it (only the browser discloses it).
    assert "x-row-count" not in response.headers
    return ids


def oracle(con, data_dir, definition):
    """The Workbench oracle's person set of a definition."""
    return {row[0] for row in con.execute(workbench_oracle.persons_sql(con, data_dir, definition)).fetchall()}


def assert_all_match(server, con, data_dir, named, headers=None):
    failures = []
    for name, definition in named:
        got = persons(server, definition, headers)
        expected = oracle(con, data_dir, definition)
        if set(got) != expected:
            failures.append(f"{name}: server {len(got)} persons, oracle {len(expected)} "
                            f"({len(set(got) - expected)} extra, {len(expected - set(got))} missing)")
    assert not failures, "\n".join(failures)
    assert any(persons(server, d, headers) for _, d in named), "every cohort is empty: the check tells nothing"


@pytest.fixture(scope="module")
def open_server(binary, synthetic):
    s = Server(binary, synthetic)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tokens(binary, tmp_path_factory):
    path = tmp_path_factory.mktemp("server-mode-tokens") / "tokens.json"
    alice = cli(binary, "token", "create", "--scope", "registered", "--name", "alice", "--tokens", path).stdout.strip()
    return path, alice


@pytest.fixture(scope="module")
def eunomia_server(binary, parquet_import, tokens):
    s = Server(binary, parquet_import.out_dir, "--tokens", tokens[0])
    yield s
    s.stop()


def test_synthetic_cases_match_the_oracle(open_server, con, synthetic):
    assert_all_match(open_server, con, synthetic, CASES)


def test_workbench_requests_match_the_oracle(open_server, con, synthetic):
    named = [(p.stem, json.loads(p.read_text())) for p in sorted(FIXTURES.glob("*.json"))]
    assert named
    assert_all_match(open_server, con, synthetic, named)


def test_eunomia_cases_match_the_oracle_behind_a_token(eunomia_server, con, parquet_import, tokens):
    assert_all_match(eunomia_server, con, parquet_import.out_dir, EUNOMIA_CASES, bearer(tokens[1]))


def server_mode_offered(server, headers=None):
    """What the catalog says about server mode for this caller."""
    request = urllib.request.Request(server.url + "/api/v1/catalog", headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["serverMode"]


def test_the_catalog_offers_server_mode_to_who_may_use_it(open_server, eunomia_server, tokens):
    assert server_mode_offered(open_server) is True
    assert server_mode_offered(eunomia_server, bearer(tokens[1])) is True
    assert server_mode_offered(eunomia_server) is False


def test_a_token_is_needed_on_a_protected_dataset(eunomia_server, tokens):
    definition = EUNOMIA_CASES[0][1]
    status, body = refused(eunomia_server, definition)
    assert status == 401 and body["error"]["code"] == "unauthorized", body
    status, body = refused(eunomia_server, definition, bearer("clt_" + "0" * 64))
    assert status == 401 and body["error"]["code"] == "unauthorized", body


def test_bad_json_is_a_400_naming_the_problem(open_server):
    status, body = refused(open_server, b'{"includes": [')
    assert status == 400 and body["error"]["code"] == "invalid_definition", body
    assert "not valid JSON" in body["error"]["message"]
    assert [e["path"] for e in body["error"]["errors"]] == ["definition"]


def test_an_invalid_definition_gets_the_engines_errors_with_paths(open_server, binary, synthetic, tmp_path):
    bad = {"includes": [{"id": "a", "items": []}],
           "excludes": [group(item(param("CONDITION", 987654321)))]}
    status, body = refused(open_server, bad)
    assert status == 400 and body["error"]["code"] == "invalid_definition", body
    engine = count(binary, synthetic, bad, tmp_path).lines[0]["errors"]
    assert len(engine) >= 2
    assert body["error"]["message"].split("\n") == engine
    assert [f"{e['path']}: {e['message']}" for e in body["error"]["errors"]] == engine


def test_an_oversized_body_is_refused(open_server):
    with pytest.raises(urllib.error.HTTPError) as info:
        post(open_server, b" " * (300 * 1024))
    assert info.value.code == 413


def test_public_only_refuses_the_person_set(binary, synthetic):
    s = Server(binary, synthetic, "--public-only")
    try:
        status, body = refused(s, CASES[0][1])
        assert status == 403 and body["error"]["code"] == "public_only", body
        assert server_mode_offered(s) is False
    finally:
        s.stop()
