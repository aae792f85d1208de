//! MCP resource URIs for documentation sections: `provisio://docs/{source}/{path}#{heading}`,
//! where `path` is the chunk's corpus path and `heading` its heading path (`A > B > C`),
//! percent-encoded.
pub const DOCS_PREFIX: &str = "provisio://docs/";

fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The resource URI of a section.
pub fn doc_uri(source: &str, path: &str, heading: &str) -> String {
    let mut u = format!(
        "{DOCS_PREFIX}{}/{}",
        encode(source, false),
        encode(path, true)
    );
    if !heading.is_empty() {
        u.push('#');
        u.push_str(&encode(heading, false));
    }
    u
}

/// `(source, path, heading)` of a docs URI; heading is empty for a whole file.
pub fn parse_doc_uri(uri: &str) -> Option<(String, String, String)> {
    let rest = uri.strip_prefix(DOCS_PREFIX)?;
    let (loc, heading) = match rest.split_once('#') {
        Some((l, h)) => (l, decode(h)?),
        None => (rest, String::new()),
    };
    let (source, path) = loc.split_once('/')?;
    let (source, path) = (decode(source)?, decode(path)?);
    if source.is_empty() || path.is_empty() {
        return None;
    }
    Some((source, path, heading))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let u = doc_uri("pve-docs", "pve-docs/qm.adoc", "QEMU > Cloud-Init Support");
        assert_eq!(
            u,
            "provisio://docs/pve-docs/pve-docs/qm.adoc#QEMU%20%3E%20Cloud-Init%20Support"
        );
        assert_eq!(
            parse_doc_uri(&u),
            Some((
                "pve-docs".into(),
                "pve-docs/qm.adoc".into(),
                "QEMU > Cloud-Init Support".into()
            ))
        );
        assert_eq!(parse_doc_uri("provisio://docs/x"), None);
        assert_eq!(parse_doc_uri("provisio://clusters/a/summary"), None);
    }
}
