//! LZ4 table streams kept on disk (docs/loading.md, "Streams cached on disk"). The first
//! request for some columns of a table with `compression=lz4` is read from Parquet and encoded
//! as usual, and each piece of the response is also written to a file in `DATA/stream-cache/`;
//! once the stream is complete the file takes its final name. Later requests for the same
//! columns of the same Parquet file are sent from that file as it is: no decoding, no
//! compression, almost no CPU.
//!
//! A file is named by its table, a fingerprint of the table's Parquet file (its size and
//! modification time) and of the columns asked for, so a table imported again is never answered
//! from an old stream. At start, files of tables whose Parquet changed are removed, and so are
//! unfinished files left for an hour (another server on the same dataset may be writing a newer
//! one). At most [`MAX_PER_TABLE`] column sets of one table are kept (any further set is
//! streamed from Parquet each time), so callers asking for many column sets cannot fill the disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

/// The cache directory's name inside the dataset directory.
pub const DIR: &str = "stream-cache";

/// Column sets of one table kept at most.
pub const MAX_PER_TABLE: usize = 8;

/// The start of an unfinished file's name.
const PARTIAL: &str = ".partial-";

/// How long an unfinished file is left alone at start: a stream being written changes its file
/// at least every write timeout (a minute), so one unchanged for this long was abandoned.
const ABANDONED: Duration = Duration::from_secs(3600);

/// The cache of one server: a directory it may write.
pub struct StreamCache {
    dir: PathBuf,
}

/// Where one stream is, or would be, cached.
pub struct Entry {
    path: PathBuf,
    /// `table.fingerprint.`: the start of the names of every cached stream of this Parquet file.
    prefix: String,
}

/// A stream being written to the cache: a temporary file that takes the entry's name when the
/// stream is complete, and is removed if it never is (the stream failed or was dropped).
pub struct Store {
    file: NamedTempFile,
    path: PathBuf,
}

impl StreamCache {
    /// Opens `DATA/stream-cache`, creating it, and removes what is stale: abandoned unfinished
    /// files, and streams of tables not in `tables` (name, Parquet file) or whose Parquet file
    /// changed.
    pub fn open<'a>(
        data: &Path,
        tables: impl IntoIterator<Item = (&'a str, &'a Path)>,
    ) -> std::io::Result<Self> {
        let dir = data.join(DIR);
        std::fs::create_dir_all(&dir)?;
        let current: Vec<String> = tables
            .into_iter()
            .filter_map(|(name, path)| Some(format!("{name}.{}.", fingerprint(path)?)))
            .collect();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let keep = if name.starts_with(PARTIAL) {
                let modified = entry.metadata()?.modified()?;
                modified.elapsed().is_ok_and(|age| age < ABANDONED)
            } else {
                name.ends_with(".arrows") && current.iter().any(|prefix| name.starts_with(prefix.as_str()))
            };
            if !keep {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Self { dir })
    }

    /// The entry for `columns` (in the order asked for) of `table`, whose Parquet file is
    /// `parquet`; `None` when the table's name is not a plain file name or its file is unreadable.
    pub fn entry(&self, table: &str, parquet: &Path, columns: &[&str]) -> Option<Entry> {
        if table.is_empty() || !table.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        let prefix = format!("{table}.{}.", fingerprint(parquet)?);
        let columns = short_hash(columns.iter().flat_map(|c| [c.as_bytes(), &[0]]));
        let path = self.dir.join(format!("{prefix}{columns}.arrows"));
        Some(Entry { path, prefix })
    }

    /// The cached stream of `entry`, if there is one.
    pub fn cached(&self, entry: &Entry) -> Option<std::fs::File> {
        std::fs::File::open(&entry.path).ok()
    }

    /// Starts writing `entry`; `None` when the table has [`MAX_PER_TABLE`] column sets cached
    /// already or the file cannot be created (logged: the stream is then sent uncached).
    pub fn store(&self, entry: &Entry) -> Option<Store> {
        let cached = std::fs::read_dir(&self.dir)
            .ok()?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(entry.prefix.as_str()))
            .count();
        if cached >= MAX_PER_TABLE {
            return None;
        }
        match tempfile::Builder::new().prefix(PARTIAL).tempfile_in(&self.dir) {
            Ok(file) => Some(Store { file, path: entry.path.clone() }),
            Err(e) => {
                tracing::warn!(
                    "cannot cache a table stream in {}: {e}; it is sent uncached",
                    self.dir.display()
                );
                None
            }
        }
    }
}

impl Store {
    /// Appends one piece of the stream; `false` (logged) when writing failed: the caller then
    /// drops the store, which removes the file.
    pub fn write(&mut self, bytes: &[u8]) -> bool {
        match self.file.write_all(bytes) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("cannot cache a table stream ({e}); it is sent uncached");
                false
            }
        }
    }

    /// The stream is complete: the file takes its entry's name.
    pub fn finish(self) {
        let Store { file, path } = self;
        if let Err(e) = file.persist(&path) {
            tracing::warn!("cannot cache a table stream as {}: {}", path.display(), e.error);
        }
    }
}

/// The size and modification time of a file, hashed: a new import changes it.
fn fingerprint(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some(short_hash([&meta.len().to_le_bytes()[..], &modified.to_le_bytes()]))
}

/// The first 16 hex digits of the SHA-256 of `parts`, one after the other: a file name's part.
fn short_hash<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hex::encode(&hash.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    fn parquet(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(format!("{name}.parquet"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_stream_is_cached_once_complete_and_never_for_another_file_or_column_set() {
        let data = tempfile::tempdir().unwrap();
        let person = parquet(data.path(), "person", b"one");
        let cache = StreamCache::open(data.path(), [("person", person.as_path())]).unwrap();
        let entry = cache.entry("person", &person, &["person_id", "year_of_birth"]).unwrap();
        assert!(cache.cached(&entry).is_none());
        let mut store = cache.store(&entry).unwrap();
        assert!(store.write(b"stream "));
        assert!(cache.cached(&entry).is_none(), "not before the stream is complete");
        assert!(store.write(b"bytes"));
        store.finish();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut cache.cached(&entry).unwrap(), &mut text).unwrap();
        assert_eq!(text, "stream bytes");
        // The rows of the Parquet file, readable by the server's user only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&entry.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // Another order of the columns is another stream.
        assert!(
            cache.cached(&cache.entry("person", &person, &["year_of_birth", "person_id"]).unwrap()).is_none()
        );
        // A new import (another size) is another file.
        std::fs::write(&person, b"three").unwrap();
        assert!(
            cache.cached(&cache.entry("person", &person, &["person_id", "year_of_birth"]).unwrap()).is_none()
        );
    }

    #[test]
    fn a_dropped_store_leaves_nothing_and_start_removes_what_is_stale() {
        let data = tempfile::tempdir().unwrap();
        let person = parquet(data.path(), "person", b"one");
        let death = parquet(data.path(), "death", b"two");
        let cache =
            StreamCache::open(data.path(), [("person", person.as_path()), ("death", death.as_path())])
                .unwrap();
        let entry = cache.entry("person", &person, &["person_id"]).unwrap();
        let mut dropped = cache.store(&entry).unwrap();
        dropped.write(b"half a stream");
        drop(dropped);
        assert!(cache.cached(&entry).is_none());
        for table in ["person", "death"] {
            let path = data.path().join(format!("{table}.parquet"));
            let store = cache.store(&cache.entry(table, &path, &["x"]).unwrap()).unwrap();
            store.finish();
        }
        let left = |dir: &Path| std::fs::read_dir(dir.join(DIR)).unwrap().count();
        assert_eq!(left(data.path()), 2, "one stream of each table, no partial file");
        // death re-imported, and a partial file left by a crash an hour ago: both removed at the
        // next start; a partial file another server is writing is not.
        std::fs::write(&death, b"changed").unwrap();
        let crashed = data.path().join(DIR).join(".partial-crashed");
        std::fs::write(&crashed, b"x").unwrap();
        let hour_ago = SystemTime::now() - ABANDONED - Duration::from_secs(1);
        std::fs::File::options().write(true).open(&crashed).unwrap().set_modified(hour_ago).unwrap();
        let writing = cache.store(&cache.entry("person", &person, &["y"]).unwrap()).unwrap();
        let cache =
            StreamCache::open(data.path(), [("person", person.as_path()), ("death", death.as_path())])
                .unwrap();
        assert_eq!(left(data.path()), 2, "person's stream and the one being written");
        writing.finish();
        assert_eq!(left(data.path()), 2);
        assert!(cache.cached(&cache.entry("person", &person, &["x"]).unwrap()).is_some());
        // Tables no longer in the dataset: removed too.
        StreamCache::open(data.path(), [("death", death.as_path())]).unwrap();
        assert_eq!(left(data.path()), 0);
    }

    #[test]
    fn at_most_max_per_table_column_sets_and_no_odd_table_names() {
        let data = tempfile::tempdir().unwrap();
        let person = parquet(data.path(), "person", b"one");
        let cache = StreamCache::open(data.path(), [("person", person.as_path())]).unwrap();
        for i in 0..MAX_PER_TABLE {
            let column = format!("c{i}");
            cache.store(&cache.entry("person", &person, &[column.as_str()]).unwrap()).unwrap().finish();
        }
        assert!(cache.store(&cache.entry("person", &person, &["one_more"]).unwrap()).is_none());
        for odd in ["", "../person", "per.son", "a/b"] {
            assert!(cache.entry(odd, &person, &["x"]).is_none(), "{odd:?}");
        }
    }
}
