//! The audit trail: one JSON line per table request (`serve --audit FILE`), appended and
//! flushed as each request ends, and `cohortlens audit --log FILE`, the summary of who read
//! what, per day.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// How a table request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The whole stream was sent.
    Complete,
    /// The client went away (or was cut off for not reading) before the end.
    Aborted,
    /// Reading the table failed mid-stream, or it could not be opened.
    Error,
    /// No token, or not a valid one.
    Unauthorized,
    /// A valid token whose scope is below the table's tier.
    Forbidden,
    /// Too many failed authentications from this address, or too many open streams.
    Limited,
    /// A malformed request (unknown table or column, bad query) from an allowed caller.
    BadRequest,
}

/// One audit record.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// When the request ended, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The token's name; `null` for a request without a valid token.
    pub token: Option<String>,
    /// The token's scope (`registered`, `controlled`), or `public` / `open` without one.
    pub scope: String,
    /// The client address.
    pub client: String,
    /// The table asked for.
    pub table: String,
    /// The columns asked for (empty: all).
    pub columns: Vec<String>,
    /// Rows sent.
    pub rows: u64,
    /// Arrow IPC bytes sent (before HTTP compression).
    pub bytes: u64,
    /// How it ended.
    pub outcome: Outcome,
}

impl Record {
    /// The record of a request from `client` for `table` as it starts: no token yet, scope
    /// `public`, nothing sent, `aborted` until it ends otherwise.
    pub fn started(client: std::net::IpAddr, table: impl Into<String>) -> Record {
        Record {
            time: String::new(),
            token: None,
            scope: "public".into(),
            client: client.to_string(),
            table: table.into(),
            columns: Vec::new(),
            rows: 0,
            bytes: 0,
            outcome: Outcome::Aborted,
        }
    }
}

/// The append-only audit log of a running server.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens `path` for appending (creating it).
    pub fn open(path: &Path) -> Result<Self, String> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("--audit {}: {e}; pass a writable file path", path.display()))?;
        Ok(Self { path: path.to_owned(), file: Mutex::new(file) })
    }

    /// Appends one record as one line, written whole and flushed.
    pub fn write(&self, record: &Record) {
        let mut line = serde_json::to_vec(record).expect("record serializes");
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(&line).and_then(|()| file.flush()) {
            tracing::error!(path = %self.path.display(), "cannot write the audit log: {e}");
        }
    }
}

/// The current time as audit records write it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// What one reader did with one table on one day.
#[derive(Default, Serialize)]
struct Reads {
    streams: u64,
    rows: u64,
    bytes: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    not_complete: BTreeMap<String, u64>,
}

/// Why the audit log could not be summarised.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The file could not be read.
    #[error("{path}: {source}; pass the file given to `serve --audit`")]
    Io { path: PathBuf, source: std::io::Error },
    /// Lines that are not audit records (all of them are listed).
    #[error("{path}: {} line(s) are not audit records:\n{}", .lines.len(), .lines.join("\n"))]
    BadLines { path: PathBuf, lines: Vec<String> },
}

/// `cohortlens audit --log FILE`: per day, per reader (token name and scope, or the client
/// address without a token), per table: streams, rows and bytes, and requests that did not
/// complete by outcome. As text, or JSON with `json`.
pub fn summary(path: &Path, json: bool) -> Result<String, SummaryError> {
    let io = |source| SummaryError::Io { path: path.to_owned(), source };
    let reader = BufReader::new(File::open(path).map_err(io)?);
    // day → reader → table → reads
    let mut days: BTreeMap<String, BTreeMap<String, BTreeMap<String, Reads>>> = BTreeMap::new();
    let mut bad = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                bad.push(format!("  line {}: {e}", i + 1));
                continue;
            }
        };
        let day = record.time.get(..10).unwrap_or(&record.time).to_owned();
        let who = match &record.token {
            Some(name) => format!("{name} ({})", record.scope),
            None => format!("no token ({}, {})", record.client, record.scope),
        };
        let reads = days.entry(day).or_default().entry(who).or_default().entry(record.table).or_default();
        if record.outcome == Outcome::Complete {
            reads.streams += 1;
        } else {
            let outcome = serde_json::to_value(record.outcome).expect("serializes");
            *reads.not_complete.entry(outcome.as_str().unwrap_or_default().to_owned()).or_default() += 1;
        }
        reads.rows += record.rows;
        reads.bytes += record.bytes;
    }
    if !bad.is_empty() {
        return Err(SummaryError::BadLines { path: path.to_owned(), lines: bad });
    }
    if json {
        return Ok(serde_json::to_string_pretty(&days).expect("serializes"));
    }
    let mut out = String::new();
    for (day, readers) in &days {
        out += &format!("{day}\n");
        for (who, tables) in readers {
            out += &format!("  {who}\n");
            for (table, r) in tables {
                out += &format!(
                    "    {table:<22} {:>5} complete  {:>12} rows  {:>14} bytes",
                    r.streams, r.rows, r.bytes
                );
                for (outcome, n) in &r.not_complete {
                    out += &format!("  {n} {outcome}");
                }
                out += "\n";
            }
        }
    }
    if out.is_empty() {
        out = "the audit log is empty\n".into();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, token: Option<&str>, table: &str, rows: u64, outcome: Outcome) -> Record {
        Record {
            time: time.into(),
            token: token.map(Into::into),
            scope: if token.is_some() { "registered".into() } else { "public".into() },
            client: "127.0.0.1".into(),
            table: table.into(),
            columns: vec![],
            rows,
            bytes: rows * 10,
            outcome,
        }
    }

    #[test]
    fn summary_groups_by_day_reader_and_table_and_lists_bad_lines() {
        let dir = std::env::temp_dir().join(format!("cl-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        let _ = std::fs::remove_file(&path);
        let log = AuditLog::open(&path).unwrap();
        log.write(&record("2026-11-29T23:59:59.000Z", Some("alice"), "person", 100, Outcome::Complete));
        log.write(&record("2026-11-30T00:00:01.000Z", Some("alice"), "person", 100, Outcome::Complete));
        log.write(&record("2026-11-30T00:00:02.000Z", Some("alice"), "person", 40, Outcome::Aborted));
        log.write(&record("2026-11-30T00:00:03.000Z", None, "person", 0, Outcome::Unauthorized));
        let text = summary(&path, false).unwrap();
        let day1 = text.find("2026-11-29").unwrap();
        let day2 = text.find("2026-11-30").unwrap();
        assert!(day1 < day2, "{text}");
        assert!(text[day2..].contains("1 complete") && text[day2..].contains("140 rows"), "{text}");
        assert!(text.contains("1 aborted") && text.contains("1 unauthorized"), "{text}");
        assert!(text.contains("no token (127.0.0.1, public)"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&summary(&path, true).unwrap()).unwrap();
        assert_eq!(json["2026-11-29"]["alice (registered)"]["person"]["rows"], 100);

        std::fs::write(&path, "{\"time\": 1}\n\nnot json\n").unwrap();
        let err = summary(&path, false).unwrap_err().to_string();
        assert!(err.contains("2 line(s)") && err.contains("line 1") && err.contains("line 3"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
