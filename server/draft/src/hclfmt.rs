//! Layout `terraform fmt` keeps, applied to hcl-rs output: two-space indents, the `=` of
//! consecutive one-line attributes at the same depth aligned (a line that opens a multi-line
//! value, a block, a blank line or a closing brace ends a group), one blank line between
//! top-level blocks.

fn attr_split(line: &str) -> Option<(usize, &str, &str)> {
    let indent = line.len() - line.trim_start().len();
    let t = &line[indent..];
    let key_end = if let Some(rest) = t.strip_prefix('"') {
        rest.find('"')? + 2
    } else {
        t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?
    };
    if key_end == 0 {
        return None;
    }
    let key = &t[..key_end];
    let rest = t[key_end..].trim_start();
    let value = rest.strip_prefix('=')?;
    if value.starts_with('=') {
        return None;
    }
    Some((indent, key, value.trim_start()))
}

fn opens_multiline(value: &str) -> bool {
    let v = value.trim_end();
    v.ends_with('{') || v.ends_with('[') || v.ends_with('(') || v.starts_with("<<")
}

/// Align attribute groups and normalise blank lines between top-level blocks.
pub fn terraform_fmt(src: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        // A group: consecutive one-line attributes with the same indent.
        if let Some((indent, _, v)) = attr_split(lines[i]) {
            if !opens_multiline(v) {
                let mut j = i;
                let mut width = 0;
                while j < lines.len() {
                    match attr_split(lines[j]) {
                        Some((ind, k, v)) if ind == indent && !opens_multiline(v) => {
                            width = width.max(k.len());
                            j += 1;
                        }
                        _ => break,
                    }
                }
                for l in &lines[i..j] {
                    if let Some((ind, k, v)) = attr_split(l) {
                        out.push(format!(
                            "{}{:<width$} = {}",
                            " ".repeat(ind),
                            k,
                            v,
                            width = width
                        ));
                    }
                }
                i = j;
                continue;
            }
        }
        out.push(lines[i].trim_end().to_string());
        i += 1;
    }
    // One blank line between top-level blocks, none doubled.
    let mut text = String::new();
    let mut prev_blank = true;
    for (n, l) in out.iter().enumerate() {
        let blank = l.is_empty();
        if blank && prev_blank {
            continue;
        }
        text.push_str(l);
        text.push('\n');
        if l == "}" && out.get(n + 1).is_some_and(|next| !next.is_empty()) {
            text.push('\n');
        }
        prev_blank = blank;
    }
    while text.ends_with("\n\n") {
        text.pop();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_like_terraform_fmt() {
        let src = "resource \"a\" \"b\" {\n  name = \"x\"\n  node_name = \"p\"\n  tags = [\n    \"a\",\n  ]\n  on_boot = true\n  clone {\n    vm_id = 100\n  }\n  after = 1\n  z = 2\n}\nvariable \"v\" {\n  type = string\n}\n";
        let want = "resource \"a\" \"b\" {\n  name      = \"x\"\n  node_name = \"p\"\n  tags = [\n    \"a\",\n  ]\n  on_boot = true\n  clone {\n    vm_id = 100\n  }\n  after = 1\n  z     = 2\n}\n\nvariable \"v\" {\n  type = string\n}\n";
        assert_eq!(super::terraform_fmt(src), want);
    }
}
