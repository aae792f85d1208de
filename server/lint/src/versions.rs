//! Provider releases and version constraints: which release of a provider a module gets.
//!
//! Release order is SemVer precedence, except that prerelease identifiers compare naturally
//! (`3.0.1-rc9 < 3.0.1-rc10`). Constraints follow Terraform and OpenTofu: every condition must
//! hold, and a prerelease is selected only when a condition names it exactly (`= 3.0.1-rc4` or a
//! bare `3.0.1-rc4`); `~> 3.0.1-rc4` and `>= 3.0.1-rc4` select no prerelease at all (checked with
//! `terraform init` against a filesystem mirror holding 2.9.14 and several 3.x prereleases).
use std::cmp::Ordering;

/// A release number with an optional prerelease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub nums: [u64; 3],
    pub pre: Option<String>,
    /// How many numbers were written (`~> 0.66` has 2).
    pub parts: usize,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let s = s.split('+').next()?;
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, Some(p.to_string())),
            Some(_) => return None,
            None => (s, None),
        };
        let mut nums = [0u64; 3];
        let mut parts = 0;
        for (i, p) in core.split('.').enumerate() {
            if i >= 3 || p.is_empty() {
                return None;
            }
            nums[i] = p.parse().ok()?;
            parts = i + 1;
        }
        Some(Version { nums, pre, parts })
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }
}

/// Natural order of prerelease identifiers: runs of digits compare as numbers.
fn pre_cmp(a: &str, b: &str) -> Ordering {
    let toks = |s: &str| -> Vec<(bool, u64, String)> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut digit = None;
        for c in s.chars() {
            let d = c.is_ascii_digit();
            if digit.is_some_and(|x| x != d) {
                out.push(std::mem::take(&mut cur));
            }
            digit = Some(d);
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out.into_iter()
            .map(|t| match t.parse::<u64>() {
                Ok(n) => (false, n, String::new()),
                Err(_) => (true, 0, t),
            })
            .collect()
    };
    toks(a).cmp(&toks(b))
}

impl Ord for Version {
    fn cmp(&self, o: &Self) -> Ordering {
        self.nums
            .cmp(&o.nums)
            .then_with(|| match (&self.pre, &o.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => pre_cmp(a, b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

/// A parsed constraint: conditions that must all hold.
#[derive(Debug, Clone)]
pub struct Constraint {
    conds: Vec<(Op, Version)>,
}

impl Constraint {
    /// None when a condition is not a version condition (PV004 reports those).
    pub fn parse(s: &str) -> Option<Constraint> {
        let mut conds = Vec::new();
        for part in s.split(',') {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(t, o)| p.strip_prefix(t).map(|r| (*o, r)))
            .unwrap_or((Op::Eq, p));
            conds.push((op, Version::parse(rest)?));
        }
        Some(Constraint { conds })
    }

    fn holds(op: Op, c: &Version, v: &Version) -> bool {
        match op {
            Op::Eq => v == c || (v.nums == c.nums && v.pre == c.pre),
            Op::Ne => v != c,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                let upper = match c.parts {
                    0 | 1 => [u64::MAX, 0, 0],
                    2 => [c.nums[0] + 1, 0, 0],
                    _ => [c.nums[0], c.nums[1] + 1, 0],
                };
                v >= c && v.nums < upper
            }
        }
    }

    /// Whether Terraform would select `v`: all conditions hold, and a prerelease must be named
    /// exactly by an `=` condition.
    pub fn selects(&self, v: &Version) -> bool {
        if v.is_prerelease() && !self.conds.iter().any(|(op, c)| *op == Op::Eq && c == v) {
            return false;
        }
        self.conds.iter().all(|(op, c)| Self::holds(*op, c, v))
    }

    /// Whether all conditions hold by number and prerelease order, ignoring Terraform's
    /// exact-prerelease rule.
    pub fn admits(&self, v: &Version) -> bool {
        self.conds.iter().all(|(op, c)| Self::holds(*op, c, v))
    }

    /// The prerelease a condition names with a range operator (`~> 3.0.1-rc4`), if any.
    pub fn ranged_prerelease(&self) -> Option<&Version> {
        self.conds
            .iter()
            .find(|(op, c)| *op != Op::Eq && c.is_prerelease())
            .map(|(_, c)| c)
    }

    /// The version named by the first `=` condition.
    pub fn exact(&self) -> Option<&Version> {
        self.conds
            .iter()
            .find(|(op, _)| *op == Op::Eq)
            .map(|(_, c)| c)
    }
}

/// Which release a module is judged against, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub version: String,
    /// "from `~> 2.9`", "from .terraform.lock.hcl", "no version constraint: the newest stable
    /// release".
    pub why: String,
    /// False when the release could not be determined from what the module says (outside the
    /// covered releases, or a constraint Terraform cannot satisfy): schema findings are then
    /// warnings.
    pub certain: bool,
}

/// Pick the release: the lock file's version wins; else the newest covered release the
/// constraint selects; with no constraint, the newest stable release. `covered` is in release
/// order.
pub fn resolve(covered: &[String], constraint: Option<&str>, lock: Option<&str>) -> Resolution {
    let parsed: Vec<(Version, &String)> = covered
        .iter()
        .filter_map(|c| Version::parse(c).map(|v| (v, c)))
        .collect();
    resolve_parsed(&parsed, covered, constraint, lock)
}

/// [`resolve`] over versions parsed already (in release order).
pub fn resolve_parsed(
    parsed: &[(Version, &String)],
    covered: &[String],
    constraint: Option<&str>,
    lock: Option<&str>,
) -> Resolution {
    let newest_stable = parsed
        .iter()
        .rev()
        .find(|(v, _)| !v.is_prerelease())
        .or(parsed.last())
        .map(|(_, c)| (*c).clone())
        .unwrap_or_default();
    let newest_at_or_below = |want: &Version| {
        parsed
            .iter()
            .rev()
            .find(|(v, _)| v <= want)
            .map(|(_, c)| (*c).clone())
    };
    if let Some(lock) = lock {
        let Some(want) = Version::parse(lock) else {
            return Resolution {
                version: newest_stable,
                why: format!(".terraform.lock.hcl names \"{lock}\", which is not a version"),
                certain: false,
            };
        };
        if let Some((_, c)) = parsed.iter().find(|(v, _)| *v == want) {
            return Resolution {
                version: (*c).clone(),
                why: "from .terraform.lock.hcl".into(),
                certain: true,
            };
        }
        let version = newest_at_or_below(&want).unwrap_or_else(|| newest_stable.clone());
        return Resolution {
            why: format!(
                ".terraform.lock.hcl pins {lock}, a release provisio does not cover (covered: {} to {}); judged against {version}",
                covered.first().map_or("", String::as_str),
                covered.last().map_or("", String::as_str)
            ),
            version,
            certain: false,
        };
    }
    let Some(text) = constraint.map(str::trim).filter(|s| !s.is_empty()) else {
        return Resolution {
            version: newest_stable,
            why: "no version constraint: the newest stable release".into(),
            certain: true,
        };
    };
    let Some(c) = Constraint::parse(text) else {
        return Resolution {
            version: newest_stable,
            why: format!("the constraint `{text}` cannot be read"),
            certain: false,
        };
    };
    if let Some((_, v)) = parsed.iter().rev().find(|(v, _)| c.selects(v)) {
        return Resolution {
            version: (*v).clone(),
            why: format!("from `{text}`"),
            certain: true,
        };
    }
    // Nothing covered is selectable. Judge against what the author evidently wrote for, but
    // only with warnings.
    let guess = c
        .ranged_prerelease()
        .or(c.exact())
        .and_then(|want| {
            parsed
                .iter()
                .find(|(v, _)| v == want)
                .map(|(_, s)| (*s).clone())
                .or_else(|| newest_at_or_below(want))
        })
        .or_else(|| {
            parsed
                .iter()
                .rev()
                .find(|(v, _)| c.admits(v))
                .map(|(_, s)| (*s).clone())
        })
        .unwrap_or_else(|| newest_stable.clone());
    let why = if c.ranged_prerelease().is_some() {
        format!("`{text}` selects no release (Terraform installs a prerelease only when the constraint names it exactly, with `=`); judged against {guess}")
    } else {
        format!(
            "no release provisio covers ({} to {}) satisfies `{text}`; judged against {guess}",
            covered.first().map_or("", String::as_str),
            covered.last().map_or("", String::as_str)
        )
    };
    Resolution {
        version: guess,
        why,
        certain: false,
    }
}

/// The version a `.terraform.lock.hcl` records for a provider address
/// (`registry.terraform.io/telmate/proxmox`), matched case-insensitively on `NAMESPACE/TYPE`.
pub fn lock_version(lock_text: &str, source: &str) -> Option<String> {
    let want = source
        .trim()
        .rsplit('/')
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("/")
        .to_ascii_lowercase();
    let body = hcl_edit::parser::parse_body(lock_text).ok()?;
    for b in body.blocks() {
        if b.ident.as_str() != "provider" {
            continue;
        }
        let Some(addr) = b.labels.first().map(|l| l.as_str().to_ascii_lowercase()) else {
            continue;
        };
        if !addr.ends_with(&format!("/{want}")) && addr != want {
            continue;
        }
        let v = b.body.get_attribute("version")?;
        if let hcl_edit::expr::Expression::String(s) = &v.value {
            return Some(s.value().to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cov() -> Vec<String> {
        [
            "2.9.0",
            "2.9.13",
            "2.9.14",
            "3.0.1-rc4",
            "3.0.1-rc9",
            "3.0.1-rc10",
            "3.0.2-rc01",
            "3.0.2-rc09",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn order_is_natural_for_prereleases() {
        let v = |s| Version::parse(s).expect("a version");
        assert!(v("3.0.1-rc9") < v("3.0.1-rc10"));
        assert!(v("3.0.1-rc10") < v("3.0.1"));
        assert!(v("3.0.1") < v("3.0.2-rc01"));
        assert!(v("0.9.0") < v("0.10.0"));
    }

    #[test]
    fn resolution_follows_terraform() {
        let r = |c: Option<&str>, l: Option<&str>| resolve(&cov(), c, l);
        assert_eq!(r(None, None).version, "2.9.14");
        assert!(r(None, None).certain);
        assert_eq!(r(Some("~> 2.9"), None).version, "2.9.14");
        assert_eq!(r(Some(">= 2.9.0, < 2.9.14"), None).version, "2.9.13");
        assert_eq!(r(Some("3.0.1-rc4"), None).version, "3.0.1-rc4");
        assert_eq!(r(Some("= 3.0.2-rc09"), None).version, "3.0.2-rc09");
        assert_eq!(r(Some(">= 2.9"), None).version, "2.9.14");
        // a prerelease named with a range operator selects nothing: judged against it, uncertain
        let x = r(Some("~> 3.0.1-rc4"), None);
        assert_eq!((x.version.as_str(), x.certain), ("3.0.1-rc4", false));
        let x = r(Some("~> 3.0"), None);
        assert!(!x.certain, "{x:?}");
        // the lock file wins
        let x = r(Some("~> 2.9"), Some("3.0.1-rc9"));
        assert_eq!((x.version.as_str(), x.certain), ("3.0.1-rc9", true));
        // outside coverage: uncertain, judged against the newest below
        let x = r(None, Some("2.9.20"));
        assert_eq!((x.version.as_str(), x.certain), ("2.9.14", false));
        let x = r(Some("~> 1.0"), None);
        assert!(!x.certain);
        let x = r(Some("not a version"), None);
        assert!(!x.certain);
    }

    #[test]
    fn lock_file_versions() {
        let lock = r#"
# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/telmate/proxmox" {
  version     = "3.0.1-rc4"
  constraints = "3.0.1-rc4"
  hashes = ["h1:abc="]
}
provider "registry.opentofu.org/bpg/proxmox" {
  version = "0.66.3"
}
"#;
        assert_eq!(
            lock_version(lock, "Telmate/proxmox").as_deref(),
            Some("3.0.1-rc4")
        );
        assert_eq!(
            lock_version(lock, "registry.terraform.io/bpg/proxmox").as_deref(),
            Some("0.66.3")
        );
        assert_eq!(lock_version(lock, "hashicorp/null"), None);
    }
}
