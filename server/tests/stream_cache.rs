//! `serve` fills its stream cache at start with the streams a page's `Lens.open` asks for by
//! default: every request of the client's own load plan (`cohortlens::engine::load::plan`, the
//! function the wasm client runs) is then answered from the cache; with
//! `--no-stream-cache-warmup` the first is not.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cohortlens::cdm::catalog::Catalog;
use cohortlens::engine::load::{LoadOptions, Mode, plan};

/// A running `cohortlens serve`: its address, and its log lines as they come.
struct Server {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cohortlens"))
            .args(["serve", "--data", data.to_str().unwrap(), "--addr", "127.0.0.1:0", "--no-publish"])
            .args(extra)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cohortlens serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr =
            line.split("http://").nth(1).expect("an address line").trim().trim_end_matches('/').to_owned();
        let (send, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Server { child, addr, log }
    }

    /// Waits for a log line containing `text`.
    fn wait_for(&self, text: &str) -> String {
        loop {
            let line = self
                .log
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no {text:?} logged"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// `GET path`: the response's head (status line and headers) and body.
    fn get(&self, path: &str) -> (String, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let end = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head") + 4;
        (String::from_utf8_lossy(&response[..end]).to_lowercase(), response[end..].to_vec())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The table requests of a default `Lens.open` in full mode, as paths.
fn client_plan(server: &Server) -> Vec<String> {
    let (head, body) = server.get("/api/v1/catalog");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    let catalog: Catalog = serde_json::from_slice(&body).expect("the catalog");
    let requests = plan("", &catalog, &LoadOptions::default(), Mode::Full).expect("a plan");
    assert!(requests.len() > 10, "{requests:?}");
    requests.into_iter().map(|r| r.url).collect()
}

#[test]
fn the_streams_a_page_asks_for_are_cached_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let generated = Command::new(env!("CARGO_BIN_EXE_cohortlens"))
        .args(["generate", "--persons", "300", "--seed", "7", "--out", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(generated.status.success(), "{generated:?}");

    // Without the warm-up, the first request of each stream encodes it.
    let cold = Server::start(&data, &["--no-stream-cache-warmup"]);
    let paths = client_plan(&cold);
    let (head, _) = cold.get(&paths[0]);
    assert!(head.contains("x-stream-cache: miss"), "{head}");
    drop(cold);
    std::fs::remove_dir_all(data.join("stream-cache")).unwrap();

    let warm = Server::start(&data, &[]);
    let line = warm.wait_for("stream cache warmed");
    assert!(line.contains(&format!("streams={}", paths.len())), "{line}");
    assert_eq!(client_plan(&warm), paths);
    for path in &paths {
        let (head, body) = warm.get(path);
        assert!(head.contains("x-stream-cache: hit"), "{path}: {head}");
        assert!(body.len() > 8, "{path}");
    }
    // Nothing else was written: one stream per request of the plan.
    assert_eq!(std::fs::read_dir(data.join("stream-cache")).unwrap().count(), paths.len());
}
