//! The layering rule, checked on the source (`LAYERS`, bottom first): outside test code, a module under
//! `src/<layer>/` names only its own layer and the layers below it, and a
//! provider folder names no other provider (only the shared kits). With every
//! reference pointing downward, no import cycle between layers is possible.
//!
//! Test code is exempt (it may drive the whole crate): `src/tests/`, files named
//! `tests.rs`/`test_support.rs`/`round_trip.rs`, and a file's trailing
//! `#[cfg(test)] mod tests { … }`.

use std::path::Path;

/// Bottom first: each layer may name the ones before it.
const LAYERS: &[&str] = &["error", "codec", "unified", "provider", "providers", "engine", "facade"];

/// Names the crate root re-exports, and the layer each comes from.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("HttpRequest", "codec"),
    ("HttpResponse", "codec"),
    ("Method", "codec"),
    ("Error", "error"),
    ("Issue", "error"),
    ("IssueCode", "error"),
    ("Result", "error"),
    ("Warning", "error"),
    ("UnifiedQuery", "unified"),
    ("parse_query_string", "unified"),
    ("Account", "provider"),
    ("Operation", "engine"),
    ("StartInput", "engine"),
    ("Machine", "engine"),
    ("Step", "engine"),
    ("RetryPolicy", "engine"),
    ("SyncInput", "engine"),
    ("SyncOperation", "engine"),
    ("api", "facade"),
    ("coverage", "facade"),
];

/// Provider folders that are shared kits, not providers.
const KITS: &[&str] = &["crm_engagements"];

fn rank(layer: &str) -> usize {
    LAYERS.iter().position(|l| *l == layer).unwrap_or_else(|| panic!("{layer} is not a layer"))
}

/// The code of a file without comments and without its trailing test module.
fn non_test_code(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod tests {").unwrap_or(text.len());
    text[..cut].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `crate::a::b` path in the code, as its first two segments
/// (`crate::{A, B}` counts as `crate::A` and `crate::B`).
fn crate_paths(code: &str) -> Vec<(String, String)> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    for (i, m) in code.match_indices("crate::") {
        let rest = &code[i + m.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(inner.split(',').map(|name| (ident(name.trim()), String::new())).filter(|(n, _)| !n.is_empty()));
            continue;
        }
        let first = ident(rest);
        let second = rest[first.len()..].strip_prefix("::").map(ident).unwrap_or_default();
        out.push((first, second));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(file, what it names, why that is not allowed)` for every violation.
fn violations() -> Vec<(String, String, &'static str)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        let name = file.file_name().unwrap().to_string_lossy();
        if rel.starts_with("tests/") || ["tests.rs", "test_support.rs", "round_trip.rs"].contains(&name.as_ref()) {
            continue;
        }
        let layer = match rel.split_once('/') {
            Some((dir, _)) => dir.to_string(),
            None if rel == "error.rs" => "error".to_string(),
            None => continue, // lib.rs: the root wires the layers together
        };
        let own_provider = rel.strip_prefix("providers/").and_then(|r| r.split_once('/')).map(|(p, _)| p.to_string());
        let code = non_test_code(&std::fs::read_to_string(&file).unwrap());
        for (first, second) in crate_paths(&code) {
            let target = if LAYERS.contains(&first.as_str()) {
                first.clone()
            } else if let Some((_, l)) = ROOT_NAMES.iter().find(|(n, _)| *n == first) {
                l.to_string()
            } else {
                found.push((rel.clone(), format!("crate::{first}"), "not a layer nor a root re-export this check knows"));
                continue;
            };
            if rank(&target) > rank(&layer) {
                found.push((rel.clone(), format!("crate::{first}::{second}"), "names a layer above its own"));
            }
            if first == "providers" && layer == "providers" && !second.is_empty() {
                let is_other = own_provider.as_deref() != Some(second.as_str()) && !KITS.contains(&second.as_str());
                let registry = matches!(second.as_str(), "PROVIDERS" | "SYNCS" | "find");
                if is_other && !registry {
                    found.push((rel.clone(), format!("crate::providers::{second}"), "a provider names another provider"));
                }
            }
        }
    }
    found
}

#[test]
fn every_module_names_only_its_own_and_lower_layers() {
    let found = violations();
    assert!(found.is_empty(), "layering violations:\n{}", found.iter().map(|(f, p, why)| format!("  src/{f}: {p} — {why}")).collect::<Vec<_>>().join("\n"));
}

#[test]
fn the_check_sees_an_upward_reference() {
    let paths = crate_paths("use crate::engine::operation::Operation;\nfn f() { crate::codec::json::get(); }");
    assert_eq!(paths, [("engine".to_string(), "operation".to_string()), ("codec".to_string(), "json".to_string())]);
    assert_eq!(crate_paths("use crate::{Machine, Step};"), [("Machine".to_string(), String::new()), ("Step".to_string(), String::new())]);
    assert!(rank("engine") > rank("provider"));
    assert_eq!(non_test_code("a\n// crate::facade\n#[cfg(test)]\nmod tests {\n crate::facade }"), "a");
}
