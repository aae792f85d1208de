//! The Terraform examples shipped in OpenTofu's documentation (read in place from ../shared
//! when present), each directory linted as one module: real-world modules using `check`
//! blocks with scoped data sources, provider `for_each` with aliased configurations, test
//! harness modules, mocks and overrides. None of them may raise an error.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provisio_lint::{lint, Input, Severity};

fn tf_files(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<Input>>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            tf_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "tf") {
            out.entry(dir.to_path_buf()).or_default().push(Input {
                path: p.display().to_string(),
                content: std::fs::read_to_string(&p).unwrap(),
            });
        }
    }
}

#[test]
fn opentofu_doc_examples_lint_without_errors() {
    let corpus =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/opentofu-docs");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: {} not present", corpus.display());
        return;
    }
    let mut modules = BTreeMap::new();
    tf_files(&corpus.join("cli/commands/test/examples"), &mut modules);
    tf_files(
        &corpus.join("language/meta-arguments/examples"),
        &mut modules,
    );
    assert!(modules.len() >= 15, "{} example modules", modules.len());
    let mut errors = Vec::new();
    for (dir, files) in &modules {
        for f in lint(files, None) {
            if f.severity == Severity::Error {
                errors.push(format!(
                    "{}: {}:{} {} {}",
                    dir.display(),
                    f.file,
                    f.line,
                    f.code,
                    f.message
                ));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
