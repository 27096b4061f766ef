"""`cohortlens serve` against a real server on loopback: the catalog and every table's Arrow
stream checked with pyarrow (an independent decoder) against the Parquet files, column
projection, compression, JSON errors, disconnects freeing their resources, flat memory while
streaming, and a graceful stop on Ctrl-C.
"""

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

MAX_BATCH_ROWS = 65_536


class Server:
    """A `cohortlens serve` process on a free loopback port; `args` are more serve options.
    Its log (stderr) goes to a temporary file, read by `log()`. Unless `wait_public` is false,
    the server is returned once it has published its public aggregates (it listens before)."""

    def __init__(self, binary, data_dir, *args, cwd=None, wait_public=True):
        self.log_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(binary), "serve", "--data", str(data_dir), "--addr", "127.0.0.1:0", *map(str, args)],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            text=True,
        )
        line = self.process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:(\d+))/", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"server did not start: {line!r}\n{self.log()}")
        self.url = match.group(1)
        self.port = int(match.group(2))
        self.listening_at = time.time()
        if wait_public:
            self.wait_public()

    def wait_public(self, timeout=600):
        """Waits until the log says how the public API answers: from the published aggregates,
        or 503 without them (it is published in the background, the server listening meanwhile)."""
        deadline = time.time() + timeout
        while "the public API answers" not in self.log():
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the public API did not get ready within {timeout} s\n{self.log()}")
            time.sleep(0.05)

    def log(self):
        # pread: the server writes through the same open file, so moving its offset would make
        # the server write over its own log.
        fd = self.log_file.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def get(self, path, headers=None):
        request = urllib.request.Request(self.url + path, headers=headers or {})
        return urllib.request.urlopen(request, timeout=60)

    def error(self, path, headers=None):
        """The status and JSON body of a request that must fail."""
        with pytest.raises(urllib.error.HTTPError) as info:
            self.get(path, headers)
        return info.value.code, json.loads(info.value.read())

    def raw(self, target, headers=b""):
        """Sends `GET target` as written (no client-side normalisation); returns (status, headers, body)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        return status, head.decode("latin-1").lower(), body

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def rss_bytes(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return kb * 1024

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def dataset(binary, tmp_path_factory):
    """A synthetic dataset big enough that measurement spans many batches."""
    out = tmp_path_factory.mktemp("serve") / "synthetic"
    subprocess.run(
        [str(binary), "generate", "--persons", "30000", "--seed", "7", "--out", str(out)],
        check=True, capture_output=True, timeout=600,
    )
    return out


@pytest.fixture(scope="module")
def server(binary, dataset):
    s = Server(binary, dataset)
    yield s
    s.stop()


def read_stream(response):
    reader = ipc.open_stream(response)
    batches = list(reader)
    return reader.schema, batches


def test_catalog_matches_manifest_and_parquet(server, dataset):
    catalog = json.load(server.get("/api/v1/catalog"))
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert catalog["dataset"]["name"] == manifest["name"]
    assert catalog["dataset"]["referenceDate"] == manifest["reference_date"]
    assert {t["name"] for t in catalog["tables"]} == set(manifest["tables"])
    for table in catalog["tables"]:
        meta = pq.read_metadata(dataset / manifest["tables"][table["name"]]["file"])
        assert table["rows"] == meta.num_rows == manifest["tables"][table["name"]]["rows"]
        assert table["tier"] == manifest["tables"][table["name"]]["tier"]
        schema = meta.schema.to_arrow_schema()
        assert [c["name"] for c in table["columns"]] == schema.names
        assert [c["nullable"] for c in table["columns"]] == [f.nullable for f in schema]


def test_every_table_streams_exactly_its_parquet_rows(server, dataset):
    manifest = json.loads((dataset / "manifest.json").read_text())
    for name, entry in manifest["tables"].items():
        response = server.get(f"/api/v1/tables/{name}")
        assert response.headers["Content-Type"] == "application/vnd.apache.arrow.stream"
        assert int(response.headers["x-row-count"]) == entry["rows"]
        schema, batches = read_stream(response)
        expected = pq.read_table(dataset / entry["file"])
        assert schema == expected.schema, name
        assert all(b.num_rows <= MAX_BATCH_ROWS for b in batches), name
        assert pa.Table.from_batches(batches, schema=schema).equals(expected), name
    assert manifest["tables"]["measurement"]["rows"] > 3 * MAX_BATCH_ROWS, "dataset too small to test batching"


def test_projection_returns_the_columns_asked_for_in_that_order(server, dataset):
    schema, batches = read_stream(server.get("/api/v1/tables/person?columns=year_of_birth,person_id"))
    assert schema.names == ["year_of_birth", "person_id"]
    expected = pq.read_table(dataset / "person.parquet", columns=["year_of_birth", "person_id"])
    assert pa.Table.from_batches(batches, schema=schema).equals(expected)


def test_projection_accepts_percent_encoded_commas(server):
    schema, _ = read_stream(server.get("/api/v1/tables/person?columns=year_of_birth%2Cperson_id"))
    assert schema.names == ["year_of_birth", "person_id"]


def test_lz4_compressed_streams_decode_to_the_parquet_tables(server, dataset):
    """`compression=lz4` (what `Lens.open` asks for) compresses each record batch body with
    LZ4 frames; pyarrow decodes them to the same tables, from fewer bytes."""
    for name, query in [("measurement", "compression=lz4"),
                        ("person", "columns=year_of_birth,person_id&compression=lz4")]:
        columns = ["year_of_birth", "person_id"] if name == "person" else None
        expected = pq.read_table(dataset / f"{name}.parquet", columns=columns)
        compressed = server.get(f"/api/v1/tables/{name}?{query}").read()
        with ipc.open_stream(compressed) as reader:
            assert reader.read_all().equals(expected), name
        plain = server.get(f"/api/v1/tables/{name}" + ("?columns=year_of_birth,person_id" if columns else "")).read()
        assert len(compressed) < len(plain) / 2, f"{name}: {len(compressed)} bytes against {len(plain)} plain"
    assert server.get("/api/v1/tables/person?compression=none").read() == server.get("/api/v1/tables/person").read()


def test_lz4_streams_are_cached_on_disk_and_sent_as_they_are(binary, dataset, tmp_path):
    """The first `compression=lz4` request for a table's columns is written to
    DATA/stream-cache/ as it is sent; later ones are sent from there, byte for byte the same.
    Another column order, a re-imported table or a stream cut short is never answered from
    the cache; plain streams and `--no-stream-cache` servers do not use it."""
    copy = tmp_path / "cached"
    copy.mkdir()
    for f in dataset.glob("*.parquet"):
        (copy / f.name).symlink_to(f)
    shutil.copy(dataset / "manifest.json", copy)
    cache = copy / "stream-cache"
    path = "/api/v1/tables/measurement?columns=person_id,value_as_number&compression=lz4"
    s = Server(binary, copy, "--no-publish", "--no-stream-cache-warmup")
    try:
        first = s.get(path)
        assert first.headers["X-Stream-Cache"] == "miss"
        body = first.read()
        with ipc.open_stream(body) as reader:
            assert reader.read_all().equals(pq.read_table(dataset / "measurement.parquet", columns=["person_id", "value_as_number"]))
        assert [p.suffix for p in cache.iterdir()] == [".arrows"]
        again = s.get(path)
        assert again.headers["X-Stream-Cache"] == "hit"
        assert again.read() == body
        # Both streams are logged (and audited) whole, with the table's rows.
        ended, deadline = [], time.time() + 10
        while len(ended) < 2 and time.time() < deadline:
            time.sleep(0.1)
            log = re.sub(r"\x1b\[[0-9;]*m", "", s.log())
            ended = re.findall(r"table stream ended table=measurement .* rows=(\d+) .*outcome=Complete", log)
        assert ended == [str(pq.read_metadata(dataset / "measurement.parquet").num_rows)] * 2, ended
        reversed_order = s.get(path.replace("person_id,value_as_number", "value_as_number,person_id"))
        assert reversed_order.headers["X-Stream-Cache"] == "miss"
        reversed_order.read()
        assert "X-Stream-Cache" not in s.get("/api/v1/tables/measurement").headers
        # A stream the client cuts short leaves no file behind.
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(b"GET /api/v1/tables/measurement?compression=lz4 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(1)
        assert len(list(cache.iterdir())) == 2, sorted(p.name for p in cache.iterdir())
        # person imported again (another file): answered from the new file, cached anew.
        person_path = "/api/v1/tables/person?columns=person_id,year_of_birth&compression=lz4"
        s.get(person_path).read()
        assert s.get(person_path).headers["X-Stream-Cache"] == "hit"
        person = pq.read_table(dataset / "person.parquet", columns=["person_id", "year_of_birth"])
        (copy / "person.parquet").unlink()
        pq.write_table(pq.read_table(dataset / "person.parquet").slice(0, 100), copy / "person.parquet")
        fresh = s.get(person_path)
        assert fresh.headers["X-Stream-Cache"] == "miss"
        with ipc.open_stream(fresh.read()) as reader:
            assert reader.read_all().equals(person.slice(0, 100))
    finally:
        s.stop()
    # At the next start the old person stream goes; with --no-stream-cache nothing is cached.
    s = Server(binary, copy, "--no-publish", "--no-stream-cache")
    try:
        response = s.get(path)
        assert "X-Stream-Cache" not in response.headers
        assert response.read() == body
    finally:
        s.stop()
    assert len(list(cache.iterdir())) == 4
    Server(binary, copy, "--no-publish", "--no-stream-cache-warmup").stop()
    assert len(list(cache.iterdir())) == 3, "the stream of the replaced person file is removed at start"


def test_table_streams_go_plain_to_loopback_clients(server):
    """Compressing costs more than it saves on loopback (docs/loading.md): even a client asking
    for zstd gets the plain stream; pages are still compressed."""
    plain = server.get("/api/v1/tables/condition_occurrence").read()
    response = server.get("/api/v1/tables/condition_occurrence", {"Accept-Encoding": "zstd, gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.read() == plain
    page = server.get("/cohortlens/worker.js", {"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_compression_is_negotiated_with_compress_loopback(binary, dataset, encoding):
    s = Server(binary, dataset, "--compress-loopback")
    try:
        response = s.get("/api/v1/tables/condition_occurrence", {"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        body = response.read()
        if encoding == "gzip":
            schema, batches = read_stream(pa.BufferReader(gzip.decompress(body)))
            assert sum(b.num_rows for b in batches) == pq.read_metadata(dataset / "condition_occurrence.parquet").num_rows
        plain = s.get("/api/v1/tables/condition_occurrence").read()
        assert len(body) < len(plain) / 2, "compressed body is not smaller"
    finally:
        s.stop()


def test_catalog_marks_the_columns_that_are_entirely_null(binary, dataset, tmp_path):
    """`allNull` is exactly the set of columns pyarrow finds with only nulls, in every table
    (person is rewritten with race_source_value all null and one null birth month)."""
    copy = tmp_path / "nulls"
    copy.mkdir()
    for f in dataset.iterdir():
        (copy / f.name).symlink_to(f)
    person = pq.read_table(dataset / "person.parquet")
    race = person.schema.get_field_index("race_source_value")
    month = person.schema.get_field_index("month_of_birth")
    person = person.set_column(race, person.schema.field(race), pa.nulls(person.num_rows, person.schema.field(race).type))
    months = person.column(month).to_pylist()
    months[0] = None
    person = person.set_column(month, person.schema.field(month), pa.array(months, person.schema.field(month).type))
    (copy / "person.parquet").unlink()
    pq.write_table(person, copy / "person.parquet", row_group_size=20_000)
    s = Server(binary, copy)
    try:
        catalog = json.load(s.get("/api/v1/catalog"))
    finally:
        s.stop()
    manifest = json.loads((dataset / "manifest.json").read_text())
    for table in catalog["tables"]:
        data = pq.read_table(copy / manifest["tables"][table["name"]]["file"])
        expected = {c for c in data.column_names if data.num_rows and data.column(c).null_count == data.num_rows}
        assert {c["name"] for c in table["columns"] if c.get("allNull")} == expected, table["name"]
    person_columns = {c["name"]: c for c in next(t for t in catalog["tables"] if t["name"] == "person")["columns"]}
    assert person_columns["race_source_value"]["allNull"] is True
    assert "allNull" not in person_columns["month_of_birth"]


def test_errors_are_json_with_code_and_message(server):
    status, body = server.error("/api/v1/tables/no_such_table")
    assert status == 404 and body["error"]["code"] == "unknown_table"
    assert "person" in body["error"]["message"], "the message should list the tables there are"
    status, body = server.error("/api/v1/tables/person?columns=person_id,shoe_size")
    assert status == 400 and body["error"]["code"] == "unknown_column"
    assert "shoe_size" in body["error"]["message"] and "year_of_birth" in body["error"]["message"]
    for query in ["colums=person_id", "columns=", "columns=person_id,,year_of_birth",
                  "columns=person_id,person_id", "columns=person_id&columns=gender_concept_id",
                  "compression=zstd", "compression=", "compression=lz4&compression=none"]:
        status, body = server.error(f"/api/v1/tables/person?{query}")
        assert status == 400 and body["error"]["code"] == "bad_query", query
        assert body["error"]["message"], query


def test_static_pages_and_wasm_are_served(server):
    page = server.get("/")
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"cohortlens" in page.read()
    assert server.get("/cohortlens/worker.js").headers["Content-Type"].startswith("text/javascript")


def test_pages_and_wasm_are_found_wherever_the_server_starts(binary, dataset, tmp_path):
    """Without --www/--pkg: started from an unrelated directory, the repository's binary finds
    them above itself; a copy of the binary outside the repository, started inside it, finds
    them above the current directory; --www still overrides."""
    repo = Path(__file__).resolve().parents[2]
    page, wasm_js = (repo / "www" / "index.html").read_bytes(), (repo / "pkg" / "cohortlens.js").read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = tmp_path / "bin" / "cohortlens"
    copy.parent.mkdir()
    shutil.copy2(binary, copy)
    for exe, cwd in [(repo / "target" / "release" / "cohortlens", elsewhere), (copy, repo / "server" / "src")]:
        s = Server(exe, dataset, cwd=cwd)
        try:
            assert s.get("/").read() == page, (exe, cwd)
            assert s.get("/pkg/cohortlens.js").read() == wasm_js, (exe, cwd)
            assert f"www from {repo / 'www'}" in s.log(), s.log()
        finally:
            s.stop()
    s = Server(copy, dataset, cwd=elsewhere)
    try:
        assert s.get("/api/v1/catalog").status == 200
        assert "no www/ directory with index.html found" in s.log() and "pass --www DIR" in s.log(), s.log()
    finally:
        s.stop()
    own = tmp_path / "own"
    own.mkdir()
    (own / "index.html").write_text("<!doctype html><title>own pages</title>")
    s = Server(binary, dataset, "--www", own, cwd=elsewhere)
    try:
        assert s.get("/").read() == (own / "index.html").read_bytes()
    finally:
        s.stop()


def test_disconnects_mid_stream_free_their_resources(server):
    baseline = server.open_fds()
    for _ in range(25):
        sock = socket.create_connection((server.url.split("//")[1].split(":")[0], int(server.url.rsplit(":", 1)[1])))
        sock.sendall(b"GET /api/v1/tables/measurement HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.close()
    deadline = time.time() + 10
    while server.open_fds() > baseline and time.time() < deadline:
        time.sleep(0.1)
    assert server.open_fds() <= baseline, "open files or sockets left behind by aborted streams"
    assert json.load(server.get("/api/v1/catalog"))["tables"], "server stopped answering"


def test_memory_stays_flat_while_a_table_streams(binary, dataset):
    table_bytes = pq.read_table(dataset / "measurement.parquet").nbytes
    s = Server(binary, dataset, "--no-stream-cache-warmup")
    try:
        before = peak = s.rss_bytes()
        for _ in range(2):
            response = s.get("/api/v1/tables/measurement")
            while response.read(256 * 1024):
                peak = max(peak, s.rss_bytes())
                time.sleep(0.001)  # a slow client: the server must wait, not buffer ahead
    finally:
        s.stop()
    growth = peak - before
    print(f"measurement: {table_bytes / 1e6:.1f} MB of Arrow data, server RSS grew {growth / 1e6:.1f} MB")
    assert growth < table_bytes / 2, f"RSS grew {growth} bytes streaming a {table_bytes}-byte table"


def test_ctrl_c_stops_the_server_gracefully(binary, dataset):
    s = Server(binary, dataset)
    assert s.get("/api/v1/catalog").status == 200
    s.process.send_signal(signal.SIGINT)
    try:
        assert s.process.wait(timeout=10) == 0
        assert "stopped" in s.process.stdout.read()
    finally:
        s.stop()


def test_a_missing_dataset_is_a_clear_error(binary, tmp_path):
    p = subprocess.run([str(binary), "serve", "--data", str(tmp_path / "nope"), "--addr", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "not a cohortlens dataset" in p.stderr and "cohortlens generate" in p.stderr
