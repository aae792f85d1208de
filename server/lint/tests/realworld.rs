//! Precision on modules written in the styles of public repositories
//! (`corpus/fixtures/realworld/`: older provider pins, `count`/`for_each`/`dynamic`, heredocs,
//! lock files, mixed providers, Terraform 0.12-style provider versions, legacy k3s-io
//! inventories, Flux-style YAML). Seeded defects are marked on their line with
//! `seeded: CODE` (a code prefix). Each folder is linted as its own set.
//!
//! `cargo test -p provisio-lint --test realworld -- --nocapture` prints the figures.
use std::path::{Path, PathBuf};

use provisio_lint::{lint, Input};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus/fixtures/realworld")
}

fn files(dir: &Path, out: &mut Vec<Input>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            let rel = p
                .strip_prefix(root())
                .expect("under root")
                .display()
                .to_string();
            out.push(Input {
                path: rel,
                content: std::fs::read_to_string(&p).expect("read"),
            });
        }
    }
}

#[test]
fn real_world_like_precision() {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("realworld fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    let (mut errors, mut false_errors, mut seeded, mut found) = (0, 0, 0, 0);
    let mut warnings = 0;
    let mut report = Vec::new();
    for set in &sets {
        let mut inputs = Vec::new();
        files(set, &mut inputs);
        let findings = lint(&inputs, None);
        // (file, line, code prefix)
        let mut marks = Vec::new();
        for i in &inputs {
            for (n, l) in i.content.lines().enumerate() {
                if let Some((_, code)) = l.split_once("seeded: ") {
                    marks.push((i.path.clone(), n as u32 + 1, code.trim().to_string()));
                }
            }
        }
        seeded += marks.len();
        for (file, line, code) in &marks {
            if findings.iter().any(|f| {
                &f.file == file
                    && f.line == *line
                    && f.code.starts_with(code.as_str())
                    && f.severity.as_str() != "info"
            }) {
                found += 1;
            } else {
                report.push(format!("MISSED {file}:{line} {code}"));
            }
        }
        warnings += findings
            .iter()
            .filter(|f| f.severity.as_str() == "warning")
            .count();
        for f in findings.iter().filter(|f| f.severity.as_str() == "error") {
            errors += 1;
            let expected = marks.iter().any(|(file, line, code)| {
                *file == f.file && *line == f.line && f.code.starts_with(code.as_str())
            });
            if !expected {
                false_errors += 1;
                report.push(format!(
                    "FALSE {}:{} {} {}",
                    f.file, f.line, f.code, f.message
                ));
            }
        }
    }
    println!(
        "realworld: {} sets, {errors} errors reported, {false_errors} false; {found} of {seeded} seeded defects found; {warnings} warnings",
        sets.len()
    );
    for r in &report {
        println!("  {r}");
    }
    assert!(sets.len() >= 8);
    assert!(
        false_errors * 20 <= errors,
        "more than 1 in 20 errors false:\n{}",
        report.join("\n")
    );
    assert_eq!(found, seeded, "{}", report.join("\n"));
}
