//! Files generated from the tables and committed (docs/coverage.json,
//! docs/COVERAGE.md, pkg/models.d.ts): each test fails when its file is stale
//! (regenerate with `CROSSWALK_UPDATE_SNAPSHOTS=1 cargo test`).

mod typescript;

use serde_json::Value;

/// A Markdown matrix of the request side, for the README/docs.
pub fn coverage_markdown() -> String {
    let cov = crate::facade::coverage::coverage();
    let mut out = String::from("# Coverage (generated from the provider field tables; do not edit)\n");
    for (model, resources) in cov.as_object().into_iter().flatten() {
        for (resource, methods) in resources.as_object().into_iter().flatten() {
            for (method, m) in methods.as_object().into_iter().flatten() {
                let providers: Vec<&str> = m["providers"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                out.push_str(&format!("\n## {model}/{resource} {method}\n\n| field | {} |\n|---|{}\n", providers.join(" | "), "---|".repeat(providers.len())));
                for side in ["request", "response"] {
                    for (field, per) in m[side].as_object().into_iter().flatten() {
                        let cells: Vec<String> = providers
                            .iter()
                            .map(|p| {
                                let c = &per[*p];
                                match (c["supported"].as_bool(), c["required"].as_bool()) {
                                    (Some(true), Some(true)) => "required".to_string(),
                                    (Some(true), _) if c["applied_by"] == "crosswalk" => "crosswalk".to_string(),
                                    (Some(true), _) => "yes".to_string(),
                                    _ => "—".to_string(),
                                }
                            })
                            .collect();
                        let label = if side == "request" { field.clone() } else { format!("→ {field}") };
                        out.push_str(&format!("| {label} | {} |\n", cells.join(" | ")));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed snapshots must match what the tables say (regenerate with
    /// `CROSSWALK_UPDATE_SNAPSHOTS=1 cargo test`).
    #[cfg(feature = "all-providers")]
    #[test]
    fn committed_coverage_snapshot_is_current() {
        let dir = format!("{}/docs", env!("CARGO_MANIFEST_DIR"));
        let json_now = serde_json::to_string_pretty(&crate::facade::coverage::coverage()).unwrap() + "\n";
        let md_now = coverage_markdown();
        if std::env::var("CROSSWALK_UPDATE_SNAPSHOTS").is_ok() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(format!("{dir}/coverage.json"), &json_now).unwrap();
            std::fs::write(format!("{dir}/COVERAGE.md"), &md_now).unwrap();
        }
        let json_then = std::fs::read_to_string(format!("{dir}/coverage.json")).unwrap_or_default();
        let md_then = std::fs::read_to_string(format!("{dir}/COVERAGE.md")).unwrap_or_default();
        assert!(json_then == json_now && md_then == md_now, "docs/coverage.json or docs/COVERAGE.md is stale: run CROSSWALK_UPDATE_SNAPSHOTS=1 cargo test");
    }
}
