//! PV017's enumerations and slot ranges against Proxmox VE's API schema (the `/nodes/{node}/qemu`
//! POST parameters), read in place from ../shared when present: every value provisio accepts is
//! one PVE accepts, and provisio accepts all of PVE's (qcow/qed/cloop excepted: neither provider
//! offers them).
use std::path::PathBuf;

use provisio_lint::terraform::values;
use serde_json::Value;

fn create_vm_params(n: &Value) -> Option<Value> {
    if n["path"] == "/nodes/{node}/qemu" {
        for m in n["info"].as_object()?.values() {
            if m["method"] == "POST" {
                return Some(m["parameters"]["properties"].clone());
            }
        }
    }
    n["children"].as_array()?.iter().find_map(create_vm_params)
}

fn set(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_array()
        .expect("an enum array")
        .iter()
        .map(|x| x.as_str().expect("a string enum value").to_string())
        .collect();
    s.sort();
    s
}

fn ours(v: &[&str]) -> Vec<String> {
    let mut s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    s.sort();
    s
}

#[test]
fn enumerations_match_the_pve_api_schema() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/pve-api-schema/pve-api-schema.tree.json");
    let Ok(text) = std::fs::read_to_string(&p) else {
        eprintln!("SKIPPED: {} not present", p.display());
        return;
    };
    let tree: Value = serde_json::from_str(&text).expect("the schema tree is JSON");
    let roots = tree
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![tree.clone()]);
    let params = roots
        .iter()
        .find_map(create_vm_params)
        .expect("qemu create");
    assert_eq!(ours(values::SCSIHW), set(&params["scsihw"]["enum"]));
    assert_eq!(ours(values::BIOS), set(&params["bios"]["enum"]));
    assert_eq!(ours(values::OSTYPE), set(&params["ostype"]["enum"]));
    assert_eq!(
        ours(values::VGA),
        set(&params["vga"]["format"]["type"]["enum"])
    );
    let scsi = &params["scsi[n]"]["format"];
    assert_eq!(ours(values::CACHE), set(&scsi["cache"]["enum"]));
    assert_eq!(ours(values::DISCARD), set(&scsi["discard"]["enum"]));
    assert_eq!(ours(values::AIO), set(&scsi["aio"]["enum"]));
    let formats = set(&scsi["format"]["enum"]);
    assert!(values::DISK_FORMAT
        .iter()
        .all(|f| formats.contains(&f.to_string())));
    let mut models: Vec<String> = params["net[n]"]["format"]
        .as_object()
        .expect("net[n] has a format object")
        .iter()
        .filter(|(_, v)| v["keyAlias"] == "model")
        .map(|(k, _)| k.clone())
        .collect();
    models.sort();
    assert_eq!(ours(values::NIC_MODEL), models);
    // Slot ranges: "(n is 0 to 30)" in each bus's description.
    for (bus, max) in values::BUSES {
        let d = params[format!("{bus}[n]")]["description"]
            .as_str()
            .expect("a description");
        assert!(d.contains(&format!("n is 0 to {max})")), "{bus}: {d}");
    }
    assert_eq!(
        ours(values::EFI_TYPE),
        set(&params["efidisk0"]["format"]["efitype"]["enum"])
    );
    assert_eq!(
        ours(values::TPM_VERSION),
        set(&params["tpmstate0"]["format"]["version"]["enum"])
    );
    assert_eq!(ours(values::ARCH), set(&params["arch"]["enum"]));
    assert_eq!(
        ours(values::AGENT_TYPE),
        set(&params["agent"]["format"]["type"]["enum"])
    );
    assert_eq!(ours(values::KEYBOARD), set(&params["keyboard"]["enum"]));
    assert_eq!(params["vga"]["format"]["memory"]["minimum"], 4);
    assert_eq!(params["vga"]["format"]["memory"]["maximum"], 512);
    // The machine-type reader follows the schema's pattern; its alternatives, spelt out:
    let pattern = params["machine"]["format"]["type"]["pattern"]
        .as_str()
        .expect("a machine type pattern");
    assert_eq!(
        pattern,
        r"(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)"
    );
    for ok in [
        "pc",
        "q35",
        "virt",
        "pc-9.2",
        "pc-i440fx-9.2+pve1",
        "pc-q35-8.1",
        "pc-q35-9.2+pve1.pxe",
        "virt-9.2+pve1",
        "virt+pve1",
        "q35,viommu=intel",
    ] {
        assert!(values::machine(ok), "{ok}");
    }
    for bad in [
        "i440fx",
        "Q35",
        "pc-q35",
        "pc-q35-9",
        "q35-9.2",
        "virt-9.2.pxe",
        "pc-i440fx",
    ] {
        assert!(!values::machine(bad), "{bad}");
    }
    assert_eq!(params["vmid"]["minimum"], 100);
    assert_eq!(params["vmid"]["maximum"], 999_999_999);
    assert_eq!(params["name"]["format"], "dns-name");
    // Hotplug features: the schema lists them in the description ('network', 'disk', ...).
    let d = params["hotplug"]["description"].as_str().expect("hotplug");
    let listed: Vec<String> = d
        .split('\'')
        .skip(1)
        .step_by(2)
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
        .map(String::from)
        .collect();
    assert_eq!(ours(values::HOTPLUG), {
        let mut l = listed;
        l.sort();
        l.dedup();
        l
    });
}

/// The CPU models are PVE's `reported-model` list (the API schema leaves `cputype` a free
/// string, so the admin guide's generated option table is the source), plus the x86-64 levels
/// the admin guide describes.
#[test]
fn cpu_models_match_the_admin_guide() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pve-docs");
    let Ok(opts) = std::fs::read_to_string(docs.join("generated/qm.conf.5-opts.adoc")) else {
        eprintln!("SKIPPED: {} not present", docs.display());
        return;
    };
    let start = opts
        .find("`reported-model`=`<")
        .expect("reported-model in qm.conf options")
        + "`reported-model`=`<".len();
    let end = start + opts[start..].find(">`").expect("end of the enumeration");
    let mut theirs: Vec<String> = opts[start..end]
        .split(" | ")
        .map(|s| s.trim().to_string())
        .collect();
    theirs.sort();
    assert_eq!(ours(values::CPU_MODELS), theirs);
    let guide = std::fs::read_to_string(docs.join("qm.adoc")).expect("qm.adoc");
    for level in values::CPU_LEVELS {
        assert!(
            guide.contains(&format!("'{level}'")),
            "{level} not in qm.adoc"
        );
    }
}
