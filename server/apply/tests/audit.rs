//! The audit chain: appends from two writers (the server and `provisio approve`) interleave
//! without breaking it; edits, removals and reordering are detected; secrets are redacted.
use provisio_apply::audit::{redact, verify, Audit};
use serde_json::json;

#[test]
fn chain_survives_two_writers_and_detects_tampering() {
    let d = tempfile::tempdir().unwrap();
    let a = Audit::new(d.path());
    let b = Audit::new(d.path());
    for i in 0..5 {
        a.append("server", "step", json!({"i": i})).unwrap();
        b.append("operator", "approved.cli", json!({"i": i}))
            .unwrap();
    }
    assert_eq!(verify(a.path()).unwrap(), 10);
    let text = std::fs::read_to_string(a.path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Edit one record.
    let edited = text.replacen("\"operator\"", "\"mallory\"", 1);
    std::fs::write(a.path(), &edited).unwrap();
    let e = verify(a.path()).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("edited"), "{e}");
    // Remove one.
    let removed: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 4)
        .map(|(_, l)| *l)
        .collect();
    std::fs::write(a.path(), removed.join("\n") + "\n").unwrap();
    assert!(verify(a.path()).unwrap_err().to_string().contains("line 5"));
    // Swap two.
    let mut swapped = lines.clone();
    swapped.swap(6, 7);
    std::fs::write(a.path(), swapped.join("\n") + "\n").unwrap();
    assert!(verify(a.path()).is_err());
}

#[test]
fn secrets_are_redacted() {
    let p = vec![
        ("cipassword".to_string(), "hunter2".to_string()),
        ("memory".to_string(), "2048".to_string()),
    ];
    let r = redact(&p);
    assert_eq!(r[0].1, "<redacted>");
    assert_eq!(r[1].1, "2048");
}
