//! Small text helpers shared by the full-text side and snippets: identifier extraction and
//! query term splitting.

/// Identifier-like tokens: words with `_`, `-`, `.`, `/` or `=` inside, or a leading `--`
/// (`pm_tls_insecure`, `--cluster-init`, `vm_id`, `/etc/rancher/k3s/k3s.yaml`, `ipconfig0`),
/// lower-cased. These are matched exactly (no stemming, no splitting).
pub fn identifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '`' | '"'
                    | '\''
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | ','
                    | ';'
                    | '<'
                    | '>'
                    | '|'
                    | '*'
            )
    }) {
        let t = raw.trim_end_matches(['.', ':', '?', '!']);
        let t = t.trim_start_matches(|c: char| {
            !(c.is_alphanumeric() || c == '-' || c == '/' || c == '_')
        });
        if t.len() < 3 || t.len() > 80 {
            continue;
        }
        let dashes =
            t.starts_with("--") && t[2..].chars().next().is_some_and(|c| c.is_alphanumeric());
        let inner = t.trim_start_matches('-');
        let has_sep = inner.contains(['_', '-', '.', '/', '=']);
        let mixed_digit =
            inner.chars().any(|c| c.is_ascii_digit()) && inner.chars().any(|c| c.is_alphabetic());
        if !(dashes || has_sep || mixed_digit) {
            continue;
        }
        if !inner.chars().any(|c| c.is_alphabetic()) || inner.contains("://") {
            continue;
        }
        let lower = t.to_lowercase();
        out.push(lower.clone());
        // `key=value` also yields `key`.
        if let Some((k, _)) = lower.split_once('=') {
            if k.len() >= 3 {
                out.push(k.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_identifiers() {
        let ids = identifiers("Set `pm_tls_insecure = true` and run k3s server --cluster-init, see /etc/rancher/k3s/k3s.yaml. Plain words no.");
        assert_eq!(
            ids,
            vec![
                "pm_tls_insecure",
                "k3s",
                "--cluster-init",
                "/etc/rancher/k3s/k3s.yaml"
            ]
        );
    }
}
