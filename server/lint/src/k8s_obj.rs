//! The Kubernetes objects of the linted files, as the rule modules (`k8s`, `k8s_metallb`,
//! `k8s_values`, ...) share them: their own module, so the rule modules do not import each
//! other for them.
use crate::yaml::N;

pub(crate) struct Obj<'a> {
    pub file: &'a str,
    pub doc: &'a N,
    pub kind: String,
    pub namespace: String,
}

impl Obj<'_> {
    /// `metadata.name`, or `?` when it is missing.
    pub fn name(&self) -> &str {
        self.doc
            .path(&["metadata", "name"])
            .and_then(N::str)
            .unwrap_or("?")
    }
}

/// Pod template spec path of a workload kind.
pub(crate) fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            &["spec", "template", "spec"]
        }
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Pod" => &["spec"],
        _ => return None,
    })
}
