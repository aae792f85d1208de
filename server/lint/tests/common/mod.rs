//! Helpers shared by the lint test files.
use provisio_lint::{lint, ClusterFacts, Finding, Input};

/// Lint `(path, content)` pairs as one call, without cluster facts.
#[allow(dead_code)] // not every test file lints without facts
pub fn run(files: &[(&str, &str)]) -> Vec<Finding> {
    run_with(files, None)
}

/// Lint `(path, content)` pairs as one call, with these cluster facts.
#[allow(dead_code)] // not every test file passes facts
pub fn run_with(files: &[(&str, &str)], facts: Option<&ClusterFacts>) -> Vec<Finding> {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(p, c)| Input {
            path: p.to_string(),
            content: c.to_string(),
        })
        .collect();
    lint(&inputs, facts)
}

/// The errors among `f`, as `line:column CODE message`.
#[allow(dead_code)] // not every test file asks for them
pub fn errors(f: &[Finding]) -> Vec<String> {
    f.iter()
        .filter(|f| f.severity.as_str() == "error")
        .map(|f| format!("{}:{} {} {}", f.line, f.column, f.code, f.message))
        .collect()
}
