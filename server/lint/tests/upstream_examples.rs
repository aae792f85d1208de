//! The Terraform examples shipped in OpenTofu's documentation (read in place from ../shared
//! when present), each directory linted as one module: real-world modules using `check`
//! blocks with scoped data sources, provider `for_each` with aliased configurations, test
//! harness modules, mocks and overrides. None of them may raise an error. Also the code blocks
//! of the provider, Kubernetes, MetalLB and k3s docs against the value rules.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provisio_lint::{lint, Input, Severity};

/// The entries of a directory in name order (none when it cannot be read).
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn tf_files(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<Input>>) {
    for p in sorted_entries(dir) {
        if p.is_dir() {
            tf_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "tf") {
            out.entry(dir.to_path_buf()).or_default().push(Input {
                path: p.display().to_string(),
                content: std::fs::read_to_string(&p).unwrap(),
            });
        }
    }
}

#[test]
fn opentofu_doc_examples_lint_without_errors() {
    let corpus =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/opentofu-docs");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: {} not present", corpus.display());
        return;
    }
    let mut modules = BTreeMap::new();
    tf_files(&corpus.join("cli/commands/test/examples"), &mut modules);
    tf_files(
        &corpus.join("language/meta-arguments/examples"),
        &mut modules,
    );
    assert!(modules.len() >= 15, "{} example modules", modules.len());
    let mut errors = Vec::new();
    for (dir, files) in &modules {
        for f in lint(files, None) {
            if f.severity == Severity::Error {
                errors.push(format!(
                    "{}: {}:{} {} {}",
                    dir.display(),
                    f.file,
                    f.line,
                    f.code,
                    f.message
                ));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Fenced code blocks of one of `langs` in the Markdown files under `dir`, as (file#n, text).
fn fenced(dir: &Path, langs: &[&str], out: &mut Vec<(String, String)>) {
    for p in sorted_entries(dir) {
        if p.is_dir() {
            fenced(&p, langs, out);
            continue;
        }
        if !p.extension().is_some_and(|x| x == "md" || x == "mdx") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let mut block: Option<String> = None;
        let mut n = 0;
        for line in text.lines() {
            match &mut block {
                None => {
                    if let Some(info) = line.trim_start().strip_prefix("```") {
                        let lang = info.split_whitespace().next().unwrap_or("");
                        if langs.contains(&lang) {
                            block = Some(String::new());
                        }
                    }
                }
                Some(b) => {
                    if line.trim_start().starts_with("```") {
                        out.push((format!("{}#{n}", p.display()), std::mem::take(b)));
                        n += 1;
                        block = None;
                    } else {
                        b.push_str(line);
                        b.push('\n');
                    }
                }
            }
        }
    }
}

/// `../shared/corpus`, read in place; None (and a SKIPPED line) without it.
/// The fenced HCL blocks of some sources' docs.
fn hcl_blocks(corpus: &Path, sources: &[&str]) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    for src in sources {
        fenced(&corpus.join(src), &["hcl", "terraform", "tf"], &mut blocks);
    }
    blocks
}

fn shared_corpus() -> Option<PathBuf> {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if corpus.is_dir() {
        Some(corpus)
    } else {
        eprintln!("SKIPPED: {} not present", corpus.display());
        None
    }
}

/// Each block linted alone as `path`: the errors of the given rules, as `where: CODE message`.
fn errors_of(blocks: &[(String, String)], path: &str, codes: &[&str]) -> Vec<String> {
    let mut errors = Vec::new();
    for (at, text) in blocks {
        let input = [Input {
            path: path.into(),
            content: text.clone(),
        }];
        for f in lint(&input, None) {
            if f.severity == Severity::Error && codes.contains(&f.code.as_str()) {
                errors.push(format!("{at}: {} {}", f.code, f.message));
            }
        }
    }
    errors
}

/// The HCL examples of both providers' docs (296 blocks), each linted alone: the value,
/// provider and version rules raise no error on them. The one exception is documentation's own
/// placeholder `version = "<version tag>"`, which is indeed not a constraint.
#[test]
fn provider_doc_hcl_examples_raise_no_value_errors() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let blocks = hcl_blocks(
        &corpus,
        &[
            "bpg-terraform-provider-proxmox-docs",
            "Telmate-terraform-provider-proxmox-docs",
        ],
    );
    assert!(blocks.len() >= 250, "{} blocks", blocks.len());
    let errors = errors_of(
        &blocks,
        "main.tf",
        &[
            "PV004", "PV005", "PV016", "PV017", "PV018", "PV019", "PV055", "PV056", "PV062",
        ],
    );
    assert_eq!(errors.len(), 1, "{}", errors.join("\n"));
    assert!(errors[0].contains("\"<version tag>\""), "{}", errors[0]);
}

/// MetalLB's own examples (its IPAddressPools, L2/BGPAdvertisements) use only fields and
/// address forms MetalLB accepts: no PV100 or PV140 on them.
#[test]
fn metallb_doc_examples_pass_the_metallb_rules() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let mut blocks = Vec::new();
    fenced(&corpus.join("metallb-docs"), &["yaml", "yml"], &mut blocks);
    blocks.retain(|(_, t)| t.contains("metallb.io/v1beta1"));
    assert!(blocks.len() >= 15, "{} blocks", blocks.len());
    let errors = errors_of(&blocks, "example.yaml", &["PV100", "PV140"]);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The Kubernetes objects in the Kubernetes, MetalLB and k3s docs (160 blocks with an
/// apiVersion and a kind), each linted alone: no refused value, repeated key, misspelt kind or
/// broken ConfigMap reference, except placeholders that would indeed be refused: the two image
/// names of the Secret page (`mySshImage`, `myClientImage`) and four Secret values in prose.
#[test]
fn kubernetes_doc_examples_raise_no_value_errors() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let mut blocks = Vec::new();
    for src in ["k8s-docs", "metallb-docs", "k3s-docs"] {
        fenced(&corpus.join(src), &["yaml", "yml"], &mut blocks);
    }
    blocks.retain(|(_, t)| t.contains("apiVersion") && t.contains("kind"));
    assert!(blocks.len() >= 150, "{} blocks", blocks.len());
    let errors = errors_of(
        &blocks,
        "example.yaml",
        &[
            "PV003", "PV103", "PV104", "PV124", "PV127", "PV128", "PV140",
        ],
    );
    // Placeholders the API server or the kubelet would indeed refuse: two image names, and
    // Secret `data` values written as prose (`base64 encoded cert`, `MIIEpQ... ...`).
    let placeholders = [
        ("secret.md", "`mySshImage`"),
        ("secret.md", "`myClientImage`"),
        ("secret.md", "data..dockercfg is not base64"),
        ("secret.md", "data.ssh-privatekey is not base64"),
        ("ingress.md", "data.tls.crt is not base64"),
        ("ingress.md", "data.tls.key is not base64"),
    ];
    assert_eq!(errors.len(), placeholders.len(), "{}", errors.join("\n"));
    for (file, what) in placeholders {
        assert!(
            errors.iter().any(|e| e.contains(file) && e.contains(what)),
            "{file} {what} not found in\n{}",
            errors.join("\n")
        );
    }
}

/// The syntax-error locator (PV001) runs only when the parser fails, and then blames the first
/// string or brace that looks wrong. It must see nothing wrong in well-formed files: every HCL
/// block of the provider and OpenTofu docs that parses, and every `.tf` file there.
#[test]
fn syntax_locator_finds_nothing_in_well_formed_hcl() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let mut blocks = hcl_blocks(
        &corpus,
        &[
            "bpg-terraform-provider-proxmox-docs",
            "Telmate-terraform-provider-proxmox-docs",
            "opentofu-docs",
        ],
    );
    let mut files = BTreeMap::new();
    tf_files(&corpus.join("opentofu-docs"), &mut files);
    for inputs in files.into_values() {
        blocks.extend(inputs.into_iter().map(|i| (i.path, i.content)));
    }
    let mut checked = 0;
    let mut blamed = Vec::new();
    for (name, text) in &blocks {
        if hcl_edit::parser::parse_body(text).is_err() {
            continue;
        }
        checked += 1;
        if let Some(c) = provisio_lint::terraform::syntax::locate(text, u32::MAX) {
            blamed.push(format!("{name}:{}: {}", c.line, c.message));
        }
    }
    assert!(checked >= 500, "{checked} well-formed blocks");
    assert!(blamed.is_empty(), "{}", blamed.join("\n"));
}
