//! The library's modules depend on each other one way, down the data path: a module may use
//! only modules of a lower layer (docs/architecture.md). This test reads every `crate::…`
//! path in `src/` (test modules aside: tests may use any layer) and fails on an arrow that
//! points up or sideways, which is also what rules out an import circle.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first; modules of one layer may not use each other.
const LAYERS: &[&[&str]] = &[
    &["cdm", "privacy", "date"],
    &["store"],
    &["ingest", "columns"],
    &["vocab"],
    &["index"],
    &["cohort"],
    &["stats", "sql"],
    &["export", "chart"],
    &["engine"],
    &["web"],
];

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS in tests/layers.rs"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for `lib.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    (first != "lib.rs").then(|| first.trim_end_matches(".rs").to_owned())
}

/// The modules named by `crate::<module>` in the code (not comments) of `text` before its test
/// module.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in text.lines().take_while(|l| !l.trim_start().starts_with("mod tests")) {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            assert!(
                !rest.starts_with('{'),
                "`use crate::{{…}}` hides its modules; write one `use` per module: {line}"
            );
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            used.insert(name);
        }
    }
    used
}

#[test]
fn every_module_uses_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut arrows = 0;
    for file in &files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let Some(module) = module_of(&src, file) else { continue };
        for used in used_modules(&fs::read_to_string(file).unwrap()) {
            if used == module {
                continue;
            }
            arrows += 1;
            if layer(&used) >= layer(&module) {
                wrong.push(format!(
                    "{}: `{module}` uses `{used}`",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(arrows > 20, "only {arrows} arrows found: is the scan reading src/?");
    assert!(wrong.is_empty(), "arrows that do not point down the data path:\n{}", wrong.join("\n"));
}

#[test]
fn the_scan_sees_uses_and_skips_comments_and_tests() {
    let text = "use crate::privacy::Tally;\n// crate::engine in a comment\nfn f() { crate::cdm::load_order(&mut v) }\n\
                mod tests {\n use crate::engine::Engine;\n}";
    assert_eq!(used_modules(text), BTreeSet::from(["privacy".to_owned(), "cdm".to_owned()]));
    assert!(layer("engine") > layer("cohort") && layer("privacy") < layer("stats"));
}
