//! Bearer tokens: `cohortlens token create|list|revoke` and the server's check of a presented
//! token. A token is 32 random bytes from the operating system's generator, printed once as
//! `clt_` + 64 hex digits; the tokens file (JSON, written atomically, mode 0600) keeps only its
//! SHA-256 hash, its name, its scope and when it was made. A presented token is hashed and its
//! hash compared with every stored hash in constant time, so neither timing nor order tells
//! how close a guess was.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use cohortlens::cdm::Tier;
use rand::TryRngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this, so a leaked one is easy to recognise (and to grep for).
pub const TOKEN_PREFIX: &str = "clt_";

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// Version of the tokens file layout.
const FILE_VERSION: u32 = 1;

/// What a token may read: registered or controlled tables (public ones need no token).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Row-level, de-identified tables.
    Registered,
    /// Registered plus the tables marked controlled.
    Controlled,
}

impl Scope {
    /// The highest tier this scope may read.
    pub fn tier(self) -> Tier {
        match self {
            Scope::Registered => Tier::Registered,
            Scope::Controlled => Tier::Controlled,
        }
    }

    /// The scope's name as the file and the logs write it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Registered => "registered",
            Scope::Controlled => "controlled",
        }
    }
}

/// One stored token: never the token itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TokenEntry {
    /// Who or what holds it; unique in the file.
    pub name: String,
    /// What it may read.
    pub scope: Scope,
    /// SHA-256 of the token, hex.
    pub sha256: String,
    /// When it was made, RFC 3339 UTC.
    pub created: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenFile {
    version: u32,
    tokens: Vec<TokenEntry>,
}

/// Why a tokens command or the tokens file failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not a tokens file.
    #[error("{path}: not a cohortlens tokens file ({why}); create tokens with `cohortlens token create`")]
    Invalid { path: PathBuf, why: String },
    /// The file does not exist (list, revoke, serve).
    #[error("{0}: no such tokens file; create one with `cohortlens token create --tokens {0} …`")]
    Missing(PathBuf),
    /// `create` with a name already in the file.
    #[error("a token named {0:?} already exists; choose another --name, or revoke it first")]
    Duplicate(String),
    /// `revoke` of a name not in the file.
    #[error("no token named {name:?} in {path}; `cohortlens token list --tokens {path}` shows the names")]
    Unknown { name: String, path: PathBuf },
    /// An empty or unprintable name.
    #[error("--name {0:?} is not a usable name: use 1–64 letters, digits, '.', '_', '-' or '@'")]
    BadName(String),
    /// The operating system's random generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// The SHA-256 of a token, as stored.
fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn invalid(path: &Path, why: impl Into<String>) -> TokenError {
    TokenError::Invalid { path: path.to_owned(), why: why.into() }
}

/// Reads the tokens file; every entry must have a well-formed hash and a unique name.
pub fn read(path: &Path) -> Result<Vec<TokenEntry>, TokenError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TokenError::Missing(path.to_owned()));
        }
        Err(source) => return Err(TokenError::Io { path: path.to_owned(), source }),
    };
    let file: TokenFile = serde_json::from_str(&text).map_err(|e| invalid(path, e.to_string()))?;
    if file.version != FILE_VERSION {
        return Err(invalid(
            path,
            format!("version {} (this cohortlens reads {FILE_VERSION})", file.version),
        ));
    }
    for (i, entry) in file.tokens.iter().enumerate() {
        if !hex::decode(&entry.sha256).is_ok_and(|h| h.len() == 32) {
            return Err(invalid(path, format!("token {:?}: sha256 is not 64 hex digits", entry.name)));
        }
        if file.tokens[..i].iter().any(|e| e.name == entry.name) {
            return Err(invalid(path, format!("the name {:?} appears twice", entry.name)));
        }
    }
    Ok(file.tokens)
}

/// Writes the tokens file atomically (a temporary sibling renamed over it), readable only by
/// its owner.
fn write(path: &Path, tokens: Vec<TokenEntry>) -> Result<(), TokenError> {
    let io = |source| TokenError::Io { path: path.to_owned(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let json =
        serde_json::to_string_pretty(&TokenFile { version: FILE_VERSION, tokens }).expect("serializes");
    tmp.write_all(json.as_bytes()).and_then(|()| tmp.write_all(b"\n")).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// `token create`: adds a token named `name` and returns it (the only time it exists in clear).
pub fn create(path: &Path, name: &str, scope: Scope) -> Result<String, TokenError> {
    if !valid_name(name) {
        return Err(TokenError::BadName(name.to_owned()));
    }
    let mut tokens = match read(path) {
        Ok(tokens) => tokens,
        Err(TokenError::Missing(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    if tokens.iter().any(|t| t.name == name) {
        return Err(TokenError::Duplicate(name.to_owned()));
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    tokens.push(TokenEntry {
        name: name.to_owned(),
        scope,
        sha256: hex::encode(digest(&token)),
        created: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    write(path, tokens)?;
    Ok(token)
}

/// `token revoke`: removes the token named `name`.
pub fn revoke(path: &Path, name: &str) -> Result<(), TokenError> {
    let mut tokens = read(path)?;
    let before = tokens.len();
    tokens.retain(|t| t.name != name);
    if tokens.len() == before {
        return Err(TokenError::Unknown { name: name.to_owned(), path: path.to_owned() });
    }
    write(path, tokens)
}

/// Who a verified token belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    /// The token's name.
    pub name: String,
    /// Its scope.
    pub scope: Scope,
}

/// The server's view of the tokens file, re-read when the file changes so that `token revoke`
/// and `token create` take effect without a restart. If the file becomes unreadable, every
/// token is refused until it is fixed (fail closed).
pub struct TokenStore {
    path: PathBuf,
    state: RwLock<Loaded>,
}

struct Loaded {
    modified: Option<SystemTime>,
    /// `None` when the file could not be read: nothing verifies.
    entries: Option<Vec<([u8; 32], Holder)>>,
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn hashed(entries: Vec<TokenEntry>) -> Vec<([u8; 32], Holder)> {
    entries
        .into_iter()
        .map(|e| {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&e.sha256, &mut hash).expect("checked by read");
            (hash, Holder { name: e.name, scope: e.scope })
        })
        .collect()
}

impl TokenStore {
    /// Opens the tokens file; it must exist and be valid.
    pub fn open(path: &Path) -> Result<Self, TokenError> {
        let modified = modified(path);
        let entries = hashed(read(path)?);
        Ok(Self { path: path.to_owned(), state: RwLock::new(Loaded { modified, entries: Some(entries) }) })
    }

    /// How many tokens the file holds now.
    pub fn count(&self) -> usize {
        self.refresh();
        self.state.read().expect("not poisoned").entries.as_ref().map_or(0, Vec::len)
    }

    /// Re-reads the file if it changed since the last read.
    fn refresh(&self) {
        let now = modified(&self.path);
        if self.state.read().expect("not poisoned").modified == now {
            return;
        }
        let mut state = self.state.write().expect("not poisoned");
        if state.modified == now {
            return;
        }
        state.modified = now;
        state.entries = match read(&self.path) {
            Ok(entries) => {
                tracing::info!(tokens = entries.len(), "tokens file re-read");
                Some(hashed(entries))
            }
            Err(e) => {
                tracing::error!("{e}; refusing every token until the file is fixed");
                None
            }
        };
    }

    /// The holder of `token`, if it is a current token. Every stored hash is compared, each in
    /// constant time, whatever matches.
    pub fn verify(&self, token: &str) -> Option<Holder> {
        self.refresh();
        let presented = digest(token);
        let state = self.state.read().expect("not poisoned");
        let mut found = None;
        for (hash, holder) in state.entries.iter().flatten() {
            if bool::from(hash.ct_eq(&presented)) {
                found = Some(holder.clone());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cl-tokens-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("tokens.json")
    }

    #[test]
    fn create_stores_only_the_hash_and_verify_finds_the_holder() {
        let path = temp_file("create");
        let alice = create(&path, "alice", Scope::Registered).unwrap();
        let bob = create(&path, "bob", Scope::Controlled).unwrap();
        assert!(alice.starts_with(TOKEN_PREFIX) && alice.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(alice, bob);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&alice[TOKEN_PREFIX.len()..]) && !text.contains(&bob[TOKEN_PREFIX.len()..]));
        assert!(text.contains(&hex::encode(Sha256::digest(alice.as_bytes()))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o077,
                0,
                "file readable by others"
            );
        }
        let store = TokenStore::open(&path).unwrap();
        assert_eq!(store.verify(&alice), Some(Holder { name: "alice".into(), scope: Scope::Registered }));
        assert_eq!(store.verify(&bob).unwrap().scope, Scope::Controlled);
        assert_eq!(store.verify("clt_0000"), None);
        assert_eq!(store.verify(&alice[..alice.len() - 1]), None);
        assert!(matches!(create(&path, "alice", Scope::Controlled), Err(TokenError::Duplicate(_))));
        assert!(matches!(create(&path, "", Scope::Controlled), Err(TokenError::BadName(_))));
        assert!(matches!(create(&path, "a b", Scope::Controlled), Err(TokenError::BadName(_))));
    }

    #[test]
    fn revoke_takes_effect_in_a_running_store_and_a_broken_file_fails_closed() {
        let path = temp_file("revoke");
        let alice = create(&path, "alice", Scope::Registered).unwrap();
        let store = TokenStore::open(&path).unwrap();
        assert!(store.verify(&alice).is_some());
        // Make sure the modification time moves even on coarse file systems.
        std::thread::sleep(std::time::Duration::from_millis(20));
        revoke(&path, "alice").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(2);
        fs::File::options().write(true).open(&path).unwrap().set_modified(later).unwrap();
        assert_eq!(store.verify(&alice), None, "revoked token still accepted");
        assert!(matches!(revoke(&path, "alice"), Err(TokenError::Unknown { .. })));

        let carol = create(&path, "carol", Scope::Registered).unwrap();
        let store = TokenStore::open(&path).unwrap();
        fs::write(&path, "{not json").unwrap();
        let even_later = later + std::time::Duration::from_secs(5);
        fs::File::options().write(true).open(&path).unwrap().set_modified(even_later).unwrap();
        assert_eq!(store.verify(&carol), None, "a broken tokens file must refuse every token");
        assert!(matches!(read(&path), Err(TokenError::Invalid { .. })));
        assert!(matches!(read(&path.with_extension("nope")), Err(TokenError::Missing(_))));
    }
}
