//! Deprecated alias pages. A provider that renames its resources keeps the old pages with a
//! banner such as "~> **Deprecated:** Use [`proxmox_sdn_zone_vlan`](sdn_zone_vlan.md) instead"
//! above the same text (the bpg provider has 81 of them). Both pages match a question equally,
//! so the old one often outranks the new one or takes a second slot of the top 5. Search answers
//! with the current page instead: each passage of a deprecated page maps to the passage of its
//! replacement that shares the most words, and the two count as one hit shown as the current
//! page (the old one listed in `also_in`).
use std::collections::{HashMap, HashSet};

use crate::chunk::Chunk;
use crate::passage::Passages;

/// How many lines of a file's first chunk may come before the banner.
const BANNER_LINES: usize = 8;
/// A deprecated passage maps to the replacement passage holding at least this share of its
/// distinct words (the renamed identifiers and the banner are the usual difference).
const COUNTERPART_SHARE: f32 = 0.6;

/// Deprecated file → the file that replaces it, both as corpus-relative paths, for files whose
/// first chunk opens with a deprecation banner linking to another indexed file.
pub fn replacements(chunks: &[Chunk]) -> HashMap<String, String> {
    let files: HashSet<&str> = chunks.iter().map(|c| c.path.as_str()).collect();
    let mut first: HashMap<&str, &Chunk> = HashMap::new();
    for c in chunks {
        let e = first.entry(c.path.as_str()).or_insert(c);
        if c.start_line < e.start_line {
            *e = c;
        }
    }
    let mut out = HashMap::new();
    for (path, c) in first {
        let Some(target) = banner_target(&c.text) else {
            continue;
        };
        let Some(resolved) = resolve(path, target) else {
            continue;
        };
        if resolved != path && files.contains(resolved.as_str()) {
            out.insert(path.to_string(), resolved);
        }
    }
    out
}

/// The link target of a deprecation banner among the first lines of `text`.
fn banner_target(text: &str) -> Option<&str> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(BANNER_LINES)
        .find(|l| l.to_lowercase().contains("deprecated"))
        .and_then(|l| {
            let start = l.find("](")? + 2;
            let end = start + l[start..].find(')')?;
            let target = l[start..end].split('#').next()?.trim();
            (target.ends_with(".md") || target.ends_with(".mdx")).then_some(target)
        })
        .filter(|t| !t.contains("://"))
}

/// `target` relative to the directory of `path`, normalised (`..` and `.` resolved).
fn resolve(path: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Deprecated passage → the passage of its replacement file that holds the largest share of
/// its words, when that share is at least [`COUNTERPART_SHARE`]. `words` are each passage's
/// sorted distinct word hashes.
pub fn counterparts(
    chunks: &[Chunk],
    passages: &Passages,
    words: &[Vec<u64>],
    replacements: &HashMap<String, String>,
) -> HashMap<usize, usize> {
    if replacements.is_empty() {
        return HashMap::new();
    }
    let mut by_file: HashMap<&str, Vec<usize>> = HashMap::new();
    for p in 0..passages.len() {
        let (first, _) = passages.members(p);
        by_file
            .entry(chunks[first].path.as_str())
            .or_default()
            .push(p);
    }
    let mut out = HashMap::new();
    for (old, new) in replacements {
        let (Some(olds), Some(news)) = (by_file.get(old.as_str()), by_file.get(new.as_str()))
        else {
            continue;
        };
        for &p in olds {
            let best = news
                .iter()
                .map(|&q| (q, share(&words[p], &words[q])))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some((q, s)) = best {
                if s >= COUNTERPART_SHARE {
                    out.insert(p, q);
                }
            }
        }
    }
    out
}

/// Share of `a`'s words that are also in `b` (both sorted and distinct).
pub(crate) fn share(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut n) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n as f32 / a.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_links_resolve_relative_to_the_page() {
        let t = "# Resource: proxmox_virtual_environment_vm\n\n~> **Deprecated:** Use [`proxmox_vm`](vm.md) instead.\n";
        assert_eq!(banner_target(t), Some("vm.md"));
        assert_eq!(
            resolve("bpg/resources/virtual_environment_vm.md", "vm.md").as_deref(),
            Some("bpg/resources/vm.md")
        );
        assert_eq!(
            resolve("bpg/data-sources/a.md", "../resources/b.md").as_deref(),
            Some("bpg/resources/b.md")
        );
        // A deprecated argument further down, or an external link, is not a banner.
        let late =
            "# T\n\na\n\nb\n\nc\n\nd\n\ne\n\nf\n\ng\n\nh\n\n`x` (Deprecated) use [y](y.md)\n";
        assert_eq!(banner_target(late), None);
        assert_eq!(
            banner_target("Deprecated: see [docs](https://example.com/a.md)"),
            None
        );
        assert_eq!(banner_target("This page is current. See [x](x.md)."), None);
    }

    #[test]
    fn share_counts_common_words() {
        assert_eq!(share(&[1, 2, 3, 4], &[2, 4, 9]), 0.5);
        assert_eq!(share(&[], &[1]), 0.0);
    }
}
