//! Starts the thesis lab on fakepve (`tests/pve/fakelab.py`) for one test.
//!
//! Needs a Python with `fakepve[crypto]`: `PROVISIO_TEST_PYTHON` (set by scripts/test.sh). When it
//! is unset the tests say they were skipped, unless `PROVISIO_REQUIRE_FAKEPVE=1`, which makes
//! them fail instead (the test command sets it, so CI cannot skip them silently).
#![allow(dead_code)]
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use provisio_pve::{Auth, ClusterConfig, Secret, Tls};

pub struct Lab {
    child: Child,
    _dir: tempfile::TempDir,
    pub info: serde_json::Value,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Lab {
    /// Start the lab with these scenarios (`offline:pmox03`, `noquorum`, `latency:2`), or None
    /// when fakepve is not available (and not required).
    pub fn start(scenarios: &[&str], extra_guests: usize) -> Option<Lab> {
        let python = match std::env::var("PROVISIO_TEST_PYTHON") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                if std::env::var("PROVISIO_REQUIRE_FAKEPVE").as_deref() == Ok("1") {
                    panic!("PROVISIO_REQUIRE_FAKEPVE=1 but PROVISIO_TEST_PYTHON (a Python with fakepve) is not set");
                }
                eprintln!("SKIPPED: PROVISIO_TEST_PYTHON is not set (a Python with fakepve[crypto]); run scripts/test.sh");
                return None;
            }
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let info_path = dir.path().join("lab.json");
        let mut cmd = Command::new(python);
        cmd.arg(repo_root().join("tests/pve/fakelab.py"))
            .arg("--info")
            .arg(&info_path)
            .arg("--extra-guests")
            .arg(extra_guests.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for s in scenarios {
            cmd.arg("--scenario").arg(s);
        }
        let mut child = cmd.spawn().expect("start fakelab.py");
        let t = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&info_path) {
                let info: serde_json::Value = serde_json::from_str(&text).expect("lab info JSON");
                return Some(Lab {
                    child,
                    _dir: dir,
                    info,
                });
            }
            if let Ok(Some(st)) = child.try_wait() {
                panic!("fakelab.py exited early: {st}");
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "fakelab did not start within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn s(&self, k: &str) -> String {
        self.info[k]
            .as_str()
            .unwrap_or_else(|| panic!("lab info has no {k}"))
            .to_string()
    }

    pub fn token(&self) -> Auth {
        Auth::Token {
            id: self.s("token_id"),
            secret: Secret::new(self.s("token_secret")),
        }
    }

    pub fn limited_token(&self) -> Auth {
        Auth::Token {
            id: self.s("limited_token_id"),
            secret: Secret::new(self.s("limited_token_secret")),
        }
    }

    pub fn ticket(&self) -> Auth {
        Auth::Ticket {
            username: self.s("user"),
            password: Secret::new(self.s("password")),
        }
    }

    pub fn pinned(&self) -> Tls {
        Tls::Pinned {
            fingerprint: self.s("fingerprint"),
        }
    }

    pub fn cluster(&self, auth: Auth, tls: Tls) -> ClusterConfig {
        ClusterConfig {
            name: "lab".into(),
            url: self.s("url"),
            auth,
            tls,
            timeout: Duration::from_secs(10),
            retries: 1,
            facts: Default::default(),
            kube: None,
        }
    }
}
