//! A set of VMIDs, typed. On the wire (tool results, saved states) it is the compact range text
//! `100-101,103,111-113`; in code it is a set, so lint, draft and apply never parse it again.
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most VMIDs one range may hold (PVE's VMIDs run from 100 to 999,999,999; a typo like
/// `100-999999999` must not allocate a billion entries).
const MAX_RANGE: u32 = 1_000_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VmidSet(BTreeSet<u32>);

impl VmidSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, id: &u32) -> bool {
        self.0.contains(id)
    }

    pub fn insert(&mut self, id: u32) -> bool {
        self.0.insert(id)
    }

    pub fn remove(&mut self, id: u32) -> bool {
        self.0.remove(&id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().copied()
    }

    /// The range text (`100-101,103`); malformed parts are an error naming them.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = BTreeSet::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("`{part}` is not a VMID or a range of VMIDs (like `100-105`)");
            match part.split_once('-') {
                Some((a, b)) => {
                    let a: u32 = a.trim().parse().map_err(|_| bad())?;
                    let b: u32 = b.trim().parse().map_err(|_| bad())?;
                    if b < a || b - a >= MAX_RANGE {
                        return Err(bad());
                    }
                    out.extend(a..=b);
                }
                None => {
                    out.insert(part.parse().map_err(|_| bad())?);
                }
            }
        }
        Ok(VmidSet(out))
    }
}

impl FromIterator<u32> for VmidSet {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        VmidSet(iter.into_iter().collect())
    }
}

impl Extend<u32> for VmidSet {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, iter: I) {
        self.0.extend(iter)
    }
}

impl<const N: usize> From<[u32; N]> for VmidSet {
    fn from(ids: [u32; N]) -> Self {
        ids.into_iter().collect()
    }
}

/// `100,101,103,104` → `100-101,103-104`.
impl fmt::Display for VmidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut it = self.0.iter().copied().peekable();
        let mut first = true;
        while let Some(start) = it.next() {
            let mut end = start;
            while it.peek() == Some(&(end + 1)) {
                end += 1;
                it.next();
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for VmidSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VmidSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        VmidSet::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for VmidSet {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "VmidSet".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_range_text() {
        let s: VmidSet = [104, 100, 101, 103, 111].into();
        assert_eq!(s.to_string(), "100-101,103-104,111");
        assert_eq!(VmidSet::parse("100-101, 103-104,111"), Ok(s.clone()));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"100-101,103-104,111\"");
        assert_eq!(serde_json::from_str::<VmidSet>(&json).unwrap(), s);
        assert_eq!(VmidSet::new().to_string(), "");
        assert!(VmidSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn malformed_text_is_an_error_naming_the_part() {
        for bad in ["100-x", "abc", "105-100", "100-9999999"] {
            let e = VmidSet::parse(&format!("101,{bad}")).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
        let e = serde_json::from_str::<VmidSet>("\"1,2-a\"").unwrap_err();
        assert!(e.to_string().contains("2-a"), "{e}");
    }
}
