//! Where `serve` finds the web pages (`www/`) and the wasm build (`pkg/`) when `--www`/`--pkg`
//! are not given: next to the binary or in a directory above it (a repository's
//! `target/release/cohortlens` finds the repository's own), else in the current directory or a
//! directory above it. So the server works wherever it is started from.

use std::path::{Path, PathBuf};

/// A directory `serve` needs, found by a file it must hold.
#[derive(Clone, Copy, Debug)]
pub struct Wanted {
    /// The directory's name (`www`, `pkg`).
    pub name: &'static str,
    /// A file it holds when it is the right one (`index.html`, `cohortlens.js`).
    pub marker: &'static str,
    /// The option that overrides the search (`--www`, `--pkg`).
    pub option: &'static str,
}

/// The web pages.
pub const WWW: Wanted = Wanted { name: "www", marker: "index.html", option: "--www" };
/// The wasm-pack build.
pub const PKG: Wanted = Wanted { name: "pkg", marker: "cohortlens.js", option: "--pkg" };

/// `given` if set; else the first `wanted.name` directory holding `wanted.marker` in the binary's
/// directory or above, then in `cwd` or above. `Err` names where it looked.
pub fn locate(
    given: Option<PathBuf>,
    wanted: Wanted,
    exe: Option<&Path>,
    cwd: &Path,
) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let starts: Vec<&Path> = exe.and_then(Path::parent).into_iter().chain([cwd]).collect();
    starts
        .iter()
        .flat_map(|start| start.ancestors())
        .map(|dir| dir.join(wanted.name))
        .find(|dir| dir.join(wanted.marker).is_file())
        .ok_or_else(|| {
            let looked: Vec<String> = starts.iter().map(|s| s.display().to_string()).collect();
            format!(
                "no {}/ directory with {} found in or above {}; pass {} DIR",
                wanted.name,
                wanted.marker,
                looked.join(" or "),
                wanted.option
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_to_the_binary_first_then_above_the_current_directory() {
        let root = std::env::temp_dir().join(format!("cl-pages-{}", std::process::id()));
        let repo = root.join("repo");
        let elsewhere = root.join("elsewhere/deep");
        std::fs::create_dir_all(repo.join("target/release")).unwrap();
        std::fs::create_dir_all(repo.join("www")).unwrap();
        std::fs::create_dir_all(elsewhere.join("www")).unwrap();
        std::fs::write(repo.join("www/index.html"), "").unwrap();
        let exe = repo.join("target/release/cohortlens");

        assert_eq!(locate(None, WWW, Some(&exe), &elsewhere), Ok(repo.join("www")));
        // An empty www/ in the current directory is not the pages.
        assert!(locate(None, WWW, None, &elsewhere).is_err());
        assert_eq!(locate(None, WWW, None, &repo.join("target")), Ok(repo.join("www")));
        let err = locate(None, PKG, Some(&exe), &elsewhere).unwrap_err();
        assert!(err.contains("no pkg/ directory with cohortlens.js") && err.contains("--pkg DIR"), "{err}");
        assert_eq!(locate(Some("mine".into()), WWW, Some(&exe), &elsewhere), Ok(PathBuf::from("mine")));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
