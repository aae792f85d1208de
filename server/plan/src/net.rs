//! IPv4 networks and ranges, the one implementation plan validation, lint, draft and apply
//! share. Prefix arithmetic goes through `ipnet`.
use std::net::{IpAddr, Ipv4Addr};

pub use ipnet::{IpNet, Ipv4Net};

/// An IPv4 address with its prefix length, as written in a guest's config: `192.168.0.10/24`
/// (host bits allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Net {
    /// `ADDRESS/PREFIX`; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Net> {
        let n: Ipv4Net = s.trim().parse().ok()?;
        Some(Net {
            addr: n.addr(),
            prefix: n.prefix_len(),
        })
    }

    /// The network as `ipnet` sees it.
    pub fn ipnet(&self) -> Ipv4Net {
        // The prefix was checked when parsed (or built by hand within 0..=32).
        Ipv4Net::new(self.addr, self.prefix.min(32)).unwrap_or_default()
    }

    /// The network address, as a number.
    pub fn network(&self) -> u32 {
        u32::from(self.ipnet().network())
    }

    /// The broadcast address, as a number.
    pub fn broadcast(&self) -> u32 {
        u32::from(self.ipnet().broadcast())
    }

    /// All addresses of the network, network and broadcast included.
    pub fn range(&self) -> Ipv4Range {
        let n = self.ipnet();
        Ipv4Range {
            first: n.network(),
            last: n.broadcast(),
        }
    }

    /// Usable host address (not the network or broadcast address for prefixes < 31).
    pub fn contains_host(&self, ip: Ipv4Addr) -> bool {
        let n = self.ipnet();
        n.contains(&ip) && (self.prefix >= 31 || (ip != n.network() && ip != n.broadcast()))
    }
}

/// An inclusive IPv4 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ipv4Range {
    pub first: Ipv4Addr,
    pub last: Ipv4Addr,
}

impl Ipv4Range {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.first <= ip && ip <= self.last
    }

    /// `FIRST-LAST` only.
    pub fn parse_dash(s: &str) -> Option<Ipv4Range> {
        let (a, b) = s.split_once('-')?;
        let (first, last): (Ipv4Addr, Ipv4Addr) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        (first <= last).then_some(Ipv4Range { first, last })
    }

    /// `10.0.0.1`, `10.0.0.10-10.0.0.20` or `10.0.0.0/24`.
    pub fn parse(s: &str) -> Option<Ipv4Range> {
        let s = s.trim();
        if s.contains('-') {
            return Self::parse_dash(s);
        }
        if let Some(n) = Net::parse(s) {
            return Some(n.range());
        }
        let ip: Ipv4Addr = s.parse().ok()?;
        Some(Ipv4Range {
            first: ip,
            last: ip,
        })
    }

    /// The addresses in order.
    pub fn iter(&self) -> impl Iterator<Item = Ipv4Addr> {
        (u32::from(self.first)..=u32::from(self.last)).map(Ipv4Addr::from)
    }
}

impl std::fmt::Display for Ipv4Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// Whether `a` and `b` are in the same network of `prefix` bits (both IPv4 or both IPv6).
pub fn same_network(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (IpNet::new(a, prefix), IpNet::new(b, prefix)) {
        (Ok(x), Ok(y)) => x.network() == y.network(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_ranges_and_hosts() {
        let n = Net::parse("192.168.0.10/24").unwrap();
        assert_eq!((n.addr, n.prefix), (ip("192.168.0.10"), 24));
        assert_eq!(n.network(), u32::from(ip("192.168.0.0")));
        assert_eq!(n.broadcast(), u32::from(ip("192.168.0.255")));
        assert!(n.contains_host(ip("192.168.0.1")));
        assert!(!n.contains_host(ip("192.168.0.0")) && !n.contains_host(ip("192.168.0.255")));
        assert!(!n.contains_host(ip("192.168.1.1")));
        let p2p = Net::parse("10.0.0.0/31").unwrap();
        assert!(p2p.contains_host(ip("10.0.0.0")) && p2p.contains_host(ip("10.0.0.1")));
        assert!(Net::parse("10.0.0.1/33").is_none() && Net::parse("10.0.0.1").is_none());
        let all = Net::parse("0.0.0.0/0").unwrap();
        assert_eq!(all.broadcast(), u32::MAX);

        assert_eq!(
            Ipv4Range::parse("10.0.0.0/30").unwrap().to_string(),
            "10.0.0.0-10.0.0.3"
        );
        assert_eq!(
            Ipv4Range::parse(" 10.0.0.5 ").unwrap().to_string(),
            "10.0.0.5"
        );
        let r = Ipv4Range::parse("10.0.0.250-10.0.1.2").unwrap();
        assert_eq!(r.iter().count(), 9);
        assert!(r.contains(ip("10.0.1.0")) && !r.contains(ip("10.0.1.3")));
        assert!(Ipv4Range::parse("10.0.0.9-10.0.0.1").is_none());
        assert!(Ipv4Range::parse_dash("10.0.0.0/24").is_none());

        assert!(same_network(
            "192.168.0.10".parse().unwrap(),
            "192.168.0.1".parse().unwrap(),
            24
        ));
        assert!(!same_network(
            "192.168.0.10".parse().unwrap(),
            "192.168.1.1".parse().unwrap(),
            24
        ));
        assert!(same_network(
            "2001:db8::10".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
            64
        ));
        assert!(!same_network(
            "192.168.0.10".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
            24
        ));
    }
}
