"""The hardened server on loopback (issue 13): tokens and tiers on an imported (Eunomia)
dataset, the audit log and its summary, failed-authentication and public-endpoint rate limits,
stream caps and slow clients, security headers, CORS per prefix, path traversal, broken table
files, SIGTERM during streams, and every start-up or import problem reported in one run.
Small and bounded: the 200-client load run is `scripts/load`, outside the test command.
"""

import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from test_server import Server

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'self'; "
       "base-uri 'self'; form-action 'self'; object-src 'none'")


def cli(binary, *args, check=True):
    p = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def rows_of(response):
    return sum(b.num_rows for b in ipc.open_stream(response))


@pytest.fixture(scope="module")
def real(parquet_import, tmp_path_factory):
    """The imported Eunomia dataset, with `death` raised to the controlled tier."""
    out = tmp_path_factory.mktemp("hardening") / "eunomia"
    shutil.copytree(parquet_import.out_dir, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is False, "an imported dataset must not be marked synthetic"
    manifest["tables"]["death"]["tier"] = "controlled"
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


@pytest.fixture(scope="module")
def tokens(binary, tmp_path_factory):
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    alice = cli(binary, "token", "create", "--scope", "registered", "--name", "alice", "--tokens", path).stdout.strip()
    carol = cli(binary, "token", "create", "--scope", "controlled", "--name", "carol", "--tokens", path).stdout.strip()
    return path, alice, carol


@pytest.fixture(scope="module")
def guarded(binary, real, tokens, tmp_path_factory):
    audit = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    s = Server(binary, real, "--tokens", tokens[0], "--audit", audit)
    s.audit = audit
    yield s
    s.stop()


def test_token_commands_store_only_hashes_and_list_names(binary, tokens):
    path, alice, carol = tokens
    assert alice.startswith("clt_") and len(alice) == 68 and alice != carol
    text = path.read_text()
    assert alice not in text and alice[4:] not in text and carol[4:] not in text
    listed = cli(binary, "token", "list", "--tokens", path).stdout
    assert "alice\tregistered" in listed and "carol\tcontrolled" in listed and "clt_" not in listed
    p = cli(binary, "token", "create", "--scope", "registered", "--name", "alice", "--tokens", path, check=False)
    assert p.returncode != 0 and "already exists" in p.stderr


def test_an_imported_dataset_is_not_served_without_tokens(binary, real, tmp_path):
    p = subprocess.run([str(binary), "serve", "--data", str(real), "--addr", "127.0.0.1:0",
                        "--audit", str(tmp_path / "no-such-dir" / "audit.jsonl")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    # Both problems in one run, each saying what to do.
    assert "cannot serve: 2 problems" in p.stderr, p.stderr
    assert "not a synthetic dataset" in p.stderr and "cohortlens token create" in p.stderr, p.stderr
    assert "--audit" in p.stderr and "writable" in p.stderr, p.stderr
    s = Server(binary, real, "--insecure-serve-rows-without-tokens")
    try:
        assert "INSECURE" in s.log()
        assert rows_of(s.get("/api/v1/tables/person")) == pq.read_metadata(real / "person.parquet").num_rows
    finally:
        s.stop()


def test_rows_need_a_token_of_the_right_scope(guarded, real, tokens):
    _, alice, carol = tokens
    # Without a token: the same 401 for a protected table, a missing one and a bad token.
    bodies = set()
    for path, headers in [("/api/v1/tables/person", None), ("/api/v1/tables/no_such_table", None),
                          ("/api/v1/tables/person", bearer("clt_" + "0" * 64)),
                          ("/api/v1/tables/person?columns=shoe_size", None)]:
        status, body = guarded.error(path, headers)
        assert status == 401 and body["error"]["code"] == "unauthorized", (path, body)
        bodies.add(json.dumps(body))
    assert len(bodies) == 1, "401 answers must not differ (they would tell what exists)"
    # Public tables need none.
    assert rows_of(guarded.get("/api/v1/tables/concept")) == pq.read_metadata(real / "concept.parquet").num_rows
    # A registered token reads registered tables, not controlled ones.
    response = guarded.get("/api/v1/tables/person?columns=person_id,year_of_birth", bearer(alice))
    expected = pq.read_table(real / "person.parquet", columns=["person_id", "year_of_birth"])
    reader = ipc.open_stream(response)
    assert pa.Table.from_batches(list(reader), schema=reader.schema).equals(expected)
    status, body = guarded.error("/api/v1/tables/death", bearer(alice))
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = guarded.error("/api/v1/tables/no_such_table", bearer(alice))
    assert status == 404 and body["error"]["code"] == "unknown_table"
    assert rows_of(guarded.get("/api/v1/tables/death", bearer(carol))) == pq.read_metadata(real / "death.parquet").num_rows


def test_the_catalog_shows_row_level_parts_only_to_token_holders(guarded, tokens):
    _, alice, carol = tokens
    anonymous = json.load(guarded.get("/api/v1/catalog"))
    assert anonymous["access"] == {"tokensRequired": True, "scope": "public", "tokenName": None}
    tables = {t["name"]: t for t in anonymous["tables"]}
    assert tables["concept"]["rows"] > 0 and tables["concept"]["columns"]
    assert tables["person"] == {"name": "person", "tier": "registered", "locked": True}
    registered = {t["name"]: t for t in json.load(guarded.get("/api/v1/catalog", bearer(alice)))["tables"]}
    assert registered["person"]["rows"] > 0 and registered["death"].get("locked") is True
    controlled = json.load(guarded.get("/api/v1/catalog", bearer(carol)))
    assert controlled["access"]["scope"] == "controlled"
    assert all(not t.get("locked") for t in controlled["tables"])
    status, body = guarded.error("/api/v1/catalog", bearer("clt_wrong"))
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_revoking_a_token_takes_effect_while_serving(binary, real, tmp_path):
    path = tmp_path / "tokens.json"
    bob = cli(binary, "token", "create", "--scope", "registered", "--name", "bob", "--tokens", path).stdout.strip()
    s = Server(binary, real, "--tokens", path)
    try:
        assert s.get("/api/v1/tables/person?columns=person_id", bearer(bob)).status == 200
        time.sleep(0.05)
        cli(binary, "token", "revoke", "--name", "bob", "--tokens", path)
        status, _ = s.error("/api/v1/tables/person?columns=person_id", bearer(bob))
        assert status == 401
    finally:
        s.stop()


def test_failed_authentications_are_rate_limited(binary, real, tokens):
    s = Server(binary, real, "--tokens", tokens[0])
    try:
        codes = [s.error("/api/v1/tables/person", bearer(f"clt_guess{i}"))[0] for i in range(14)]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
        # Blocked: even a valid token is not looked at until the block ends.
        status, body = s.error("/api/v1/tables/person", bearer(tokens[1]))
        assert status == 429 and body["error"]["code"] == "too_many_failures"
        # Requests without a token are not affected.
        assert s.get("/api/v1/tables/concept").status == 200
    finally:
        s.stop()


def test_the_audit_log_records_every_table_request_and_summarises(binary, guarded, tokens):
    _, alice, _ = tokens
    rows = rows_of(guarded.get("/api/v1/tables/person?columns=person_id", bearer(alice)))
    deadline = time.time() + 10
    while time.time() < deadline:
        records = [json.loads(line) for line in guarded.audit.read_text().splitlines()]
        mine = [r for r in records if r["token"] == "alice" and r["columns"] == ["person_id"]]
        if mine:
            break
        time.sleep(0.1)
    record = mine[-1]
    assert record["table"] == "person" and record["scope"] == "registered" and record["outcome"] == "complete"
    assert record["rows"] == rows and record["bytes"] > rows * 8 and record["client"] == "127.0.0.1"
    assert {"unauthorized", "forbidden", "complete"} <= {r["outcome"] for r in records}
    summary = cli(binary, "audit", "--log", guarded.audit).stdout
    assert "alice (registered)" in summary and "person" in summary and "unauthorized" in summary
    by_day = json.loads(cli(binary, "audit", "--log", guarded.audit, "--json").stdout)
    day = record["time"][:10]
    assert by_day[day]["alice (registered)"]["person"]["streams"] >= 1


def test_public_endpoints_are_rate_limited_per_address(binary, synthetic):
    s = Server(binary, synthetic, "--rate-burst", "5")
    try:
        codes = []
        for _ in range(8):
            try:
                codes.append(s.get("/api/v1/catalog").status)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
                body = json.loads(e.read())
                assert body["error"]["code"] == "rate_limited" and int(e.headers["Retry-After"]) >= 1
        assert codes[:5] == [200] * 5 and 429 in codes[5:], codes
        # Table streams are capped by the stream limits instead, not by this rate.
        assert s.get("/api/v1/tables/person?columns=person_id").status == 200
    finally:
        s.stop()


def open_stream_unread(server, table):
    """Starts a table stream on a raw socket and reads only the status line."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET /api/v1/tables/{table} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = sock.recv(12)
    return sock, int(head.split(b" ")[1])


def test_streams_are_capped_and_a_client_that_stops_reading_is_cut_off(binary, synthetic):
    s = Server(binary, synthetic, "--max-streams-per-token", "2", "--write-timeout-secs", "2")
    try:
        held = [open_stream_unread(s, "measurement") for _ in range(2)]
        assert [code for _, code in held] == [200, 200]
        status, body = s.error("/api/v1/tables/person")
        assert status == 429 and body["error"]["code"] == "too_many_streams"
        # The two clients never read: after the write timeout their streams are dropped.
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                assert rows_of(s.get("/api/v1/tables/person?columns=person_id")) > 0
                break
            except urllib.error.HTTPError as e:
                assert e.code == 429
                time.sleep(0.5)
        else:
            pytest.fail("the stream slots of clients that stopped reading were never freed")
        for sock, _ in held:
            sock.close()
    finally:
        s.stop()


def test_concurrent_and_aborted_streams_are_audited_and_memory_returns_to_baseline(binary, synthetic, tmp_path):
    """`scripts/load` in small: 12 token holders stream a table at once to the end (every row,
    no error), then three rounds of 12 abort mid-stream; the server's RSS returns to its
    baseline, every stream slot is freed and the audit log holds one record per request."""
    path = tmp_path / "tokens.json"
    tokens = [cli(binary, "token", "create", "--scope", "registered", "--name", f"load{i}", "--tokens", path)
              .stdout.strip() for i in range(3)]
    audit = tmp_path / "audit.jsonl"
    s = Server(binary, synthetic, "--tokens", path, "--audit", audit, "--no-stream-cache-warmup")
    expected = pq.read_metadata(synthetic / "measurement.parquet").num_rows
    clients = 12

    def full(i):
        return rows_of(s.get("/api/v1/tables/measurement", bearer(tokens[i % len(tokens)])))

    def abort(i):
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET /api/v1/tables/measurement HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {tokens[i % len(tokens)]}\r\n\r\n".encode())
        head = sock.recv(4096)
        sock.close()
        return head.split(b" ")[1]

    def audited(n):
        deadline = time.time() + 15
        while time.time() < deadline:
            records = [json.loads(line) for line in audit.read_text().splitlines()]
            if len(records) >= n:
                return records
            time.sleep(0.1)
        return records

    try:
        with ThreadPoolExecutor(clients) as pool:
            # Concurrent full streams first: the baseline is the allocator's steady state under
            # this concurrency (glibc keeps freed memory in its per-thread arenas).
            assert list(pool.map(full, range(clients))) == [expected] * clients
            time.sleep(0.3)
            baseline = s.rss_bytes()
            for _ in range(3):  # a leak per aborted stream would add up round after round
                assert list(pool.map(abort, range(clients))) == [b"200"] * clients
        deadline = time.time() + 15
        while s.rss_bytes() > baseline * 1.1 + 8e6 and time.time() < deadline:
            time.sleep(0.2)
        assert s.rss_bytes() <= baseline * 1.1 + 8e6, f"RSS {s.rss_bytes()} after the aborts, baseline {baseline}"
        records = audited(4 * clients)
        outcomes = [r["outcome"] for r in records]
        assert len(records) == 4 * clients, outcomes
        assert outcomes.count("complete") == clients and outcomes.count("aborted") == 3 * clients, outcomes
        assert all(r["rows"] == expected for r in records if r["outcome"] == "complete")
        assert {r["token"] for r in records} == {f"load{i}" for i in range(3)}
        # Every slot of the aborted streams is freed: one token's full complement (16) works at once.
        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(lambda _: full(0), range(16))) == [expected] * 16
    finally:
        s.stop()


def test_security_headers_and_cors_per_prefix(binary, synthetic):
    server = Server(binary, synthetic)
    try:
        check_headers_and_cors(server)
    finally:
        server.stop()


def check_headers_and_cors(server):
    for path in ["/", "/api/v1/catalog", "/no-such-page.html", "/api/v1/tables/nope"]:
        status, head, _ = server.raw(path.encode())
        assert f"content-security-policy: {CSP.lower()}" in head, (path, head)
        assert "x-content-type-options: nosniff" in head and "referrer-policy: no-referrer" in head, path
    _, head, _ = server.raw(b"/embed.html")
    assert "frame-ancestors *;" in head and "frame-ancestors 'self'" not in head
    origin = b"Origin: https://guides.example.org\r\n"
    status, head, body = server.raw(b"/api/public/v1/anything", origin)
    assert status == 404 and "access-control-allow-origin: *" in head
    assert json.loads(body)["error"]["code"] == "not_found"
    status, head, _ = server.raw(b"/api/v1/catalog", origin)
    assert status == 200 and "access-control-allow-origin" not in head
    status, _, body = server.raw(b"/api/v2/nothing")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    status, _, body = server.raw(b"/api/v1/tables/person?columns=" + b"a" * 9000)
    assert status == 414 and json.loads(body)["error"]["code"] == "uri_too_long"


def test_static_files_come_only_from_www_and_pkg(binary, synthetic, tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "www" / "index.html").write_text("<!doctype html><title>cohortlens</title>")
    (tmp_path / "pkg" / "x.js").write_text("export const x = 1;")
    secret = "SECRET-OUTSIDE-THE-WEB-ROOT"
    (tmp_path / "secret.txt").write_text(secret)
    s = Server(binary, synthetic, "--www", tmp_path / "www", "--pkg", tmp_path / "pkg")
    try:
        assert s.raw(b"/pkg/x.js")[0] == 200 and s.raw(b"/")[0] == 200
        attempts = [b"/../secret.txt", b"/%2e%2e/secret.txt", b"/%2e%2e%2fsecret.txt", b"/..%2fsecret.txt",
                    b"/..%5csecret.txt", b"/%252e%252e/secret.txt", b"/pkg/../secret.txt", b"/pkg/..%2fsecret.txt",
                    b"/pkg/%2e%2e/secret.txt", b"/pkg/%2e%2e%2f%2e%2e%2fsecret.txt", b"//secret.txt",
                    b"/%2fsecret.txt", b"/.%2e/secret.txt", b"/pkg/.%2e/.%2e/secret.txt", b"/secret.txt%00.html",
                    b"/%c0%ae%c0%ae/secret.txt", b"/" + str(tmp_path / "secret.txt").encode(),
                    b"/pkg/" + b"../" * 8 + b"etc/passwd", b"/..\\secret.txt", b"/pkg/..%5c..%5csecret.txt"]
        for target in attempts:
            status, _, body = s.raw(target)
            assert secret.encode() not in body and b"root:" not in body, target
            assert status in (400, 404), (target, status)
    finally:
        s.stop()


def test_broken_table_files_are_reported_at_start_and_the_rest_is_served(binary, synthetic, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(synthetic, broken)
    truncated = broken / "measurement.parquet"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    (broken / "device_exposure.parquet").unlink()
    corrupt = broken / "drug_exposure.parquet"
    data = bytearray(corrupt.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = b"\xff" * 4096  # the footer is intact: only reading finds this
    corrupt.write_bytes(bytes(data))
    s = Server(binary, broken)
    try:
        log = s.log()
        for table in ["measurement", "device_exposure"]:
            assert f"table={table}" in log or table in log, log
        assert "503" in log and "the other tables are served" in log
        for table in ["measurement", "device_exposure"]:
            status, body = s.error(f"/api/v1/tables/{table}")
            assert status == 503 and body["error"]["code"] == "table_unavailable", table
            assert "re-import" in body["error"]["message"]
        catalog = {t["name"]: t for t in json.load(s.get("/api/v1/catalog"))["tables"]}
        assert catalog["measurement"].get("unavailable") is True
        # A corrupt page is found mid-stream: the response is cut, never a clean short stream.
        with pytest.raises(Exception):
            rows_of(s.get("/api/v1/tables/drug_exposure"))
        # A file removed while serving: 503 on request.
        (broken / "observation.parquet").unlink()
        status, body = s.error("/api/v1/tables/observation")
        assert status == 503 and body["error"]["code"] == "table_unavailable"
        expected = pq.read_metadata(synthetic / "person.parquet").num_rows
        assert rows_of(s.get("/api/v1/tables/person")) == expected, "the server must stay up for the other tables"
    finally:
        s.stop()


def test_sigterm_lets_open_streams_finish(binary, synthetic):
    s = Server(binary, synthetic)
    try:
        expected = pq.read_metadata(synthetic / "condition_occurrence.parquet").num_rows
        responses = [s.get("/api/v1/tables/condition_occurrence") for _ in range(4)]
        partial = [r.read(64 * 1024) for r in responses]
        s.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        for r, head in zip(responses, partial):
            reader = ipc.open_stream(pa.BufferReader(head + r.read()))
            assert sum(b.num_rows for b in reader) == expected
        assert s.process.wait(timeout=30) == 0
        assert "stopped" in s.process.stdout.read()
        with pytest.raises(OSError):
            s.get("/api/v1/catalog")
    finally:
        s.stop()


def test_import_reports_every_missing_table_at_once(binary, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "concept.csv").write_text(
        "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,concept_code\n"
        "201826,Type 2 diabetes mellitus,Condition,SNOMED,Clinical Finding,44054006\n")
    (source / "death.csv").write_text("death_date\n2020-01-01\n")
    p = cli(binary, "import", "--from", source, "--out", tmp_path / "out", check=False)
    assert p.returncode != 0
    for expected in ["3 problem(s)", "required table person not found", "required table concept_ancestor not found",
                     "table death lacks its required column person_id", "nothing was written"]:
        assert expected in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()
