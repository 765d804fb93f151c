//! TypeScript declarations generated from the unified models and error codes, so
//! `pkg/models.d.ts` cannot drift from the Rust types (a test compares them).

use crate::error::{Error, IssueCode, WarningCode};
use crate::unified::models::RESOURCES;
use crate::providers::PROVIDERS;
use crate::unified::schema::{Kind, UnifiedField};

fn pascal(s: &str) -> String {
    s.split('_').map(|w| {
        let mut c = w.chars();
        c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
    }).collect()
}

fn ts_type(kind: &Kind, input: bool) -> String {
    match kind {
        Kind::String | Kind::Text | Kind::DateTime => "string".into(),
        Kind::Integer => "number".into(),
        Kind::Enum(v) => v.iter().map(|x| format!("'{x}'")).collect::<Vec<_>>().join(" | "),
        Kind::Ref => "{ id: string }".into(),
        Kind::RefList => "Array<{ id: string }>".into(),
        Kind::Struct(fs) => object(fs, input, "  "),
        Kind::StructList(fs) => format!("Array<{}>", object(fs, input, "  ")),
        Kind::Record => "Record<string, unknown>".into(),
    }
}

fn object(fields: &[UnifiedField], input: bool, indent: &str) -> String {
    let mut s = String::from("{\n");
    for f in fields {
        let ty = ts_type(&f.kind, input);
        let ty = if input { ty } else { format!("{ty} | null") };
        s.push_str(&format!("{indent}  /** {} */\n{indent}  {}?: {ty};\n", f.doc, f.name));
    }
    s.push_str(indent);
    s.push('}');
    s
}

pub fn declarations() -> String {
    let mut out = String::from("// Generated from the Rust unified models (src/unified/models.rs); do not edit.\n// Regenerate: CROSSWALK_UPDATE_SNAPSHOTS=1 cargo test\n\n");
    let names: Vec<String> = PROVIDERS.iter().map(|p| format!("'{}'", p.name)).collect();
    out.push_str(&format!("export type ProviderName = {};\n\n", names.join(" | ")));
    let issue: Vec<String> = IssueCode::ALL.iter().map(|c| format!("'{}'", c.as_str())).collect();
    out.push_str(&format!("export type IssueCode = {};\n\n", issue.join(" | ")));
    let codes: Vec<String> = Error::ALL_CODES.iter().chain(["unknown_account", "aborted", "no_fetch", "response_too_large"].iter()).map(|c| format!("'{c}'")).collect();
    out.push_str(&format!("export type ErrorCode = {};\n\n", codes.join(" | ")));
    let warnings: Vec<String> = WarningCode::ALL.iter().map(|c| format!("'{}'", c.as_str())).collect();
    out.push_str(&format!("export type WarningCode = {};\n\n", warnings.join(" | ")));
    let mut index = String::from("export interface UnifiedModels {\n");
    let mut models: Vec<&str> = RESOURCES.iter().map(|r| r.model).collect();
    models.dedup();
    for res in RESOURCES {
        let base = format!("{}{}", pascal(res.model), pascal(res.resource));
        out.push_str(&format!("/** {} */\nexport interface {base}Body {}\n\n", res.doc, object(res.body, true, "")));
        out.push_str(&format!("export interface {base}Filters {}\n\n", object(res.filters, true, "")));
        out.push_str(&format!("export interface {base}Record {}\n\n", object(res.record, false, "")));
    }
    for m in models {
        index.push_str(&format!("  {m}: {{\n"));
        for res in RESOURCES.iter().filter(|r| r.model == m) {
            let base = format!("{}{}", pascal(res.model), pascal(res.resource));
            index.push_str(&format!("    {}: {{ body: {base}Body; filters: {base}Filters; record: {base}Record }};\n", res.resource));
        }
        index.push_str("  };\n");
    }
    index.push_str("}\n");
    out.push_str(&index);
    out
}

#[cfg(test)]
mod tests {
    /// Only with every provider compiled in (the default): the declarations list
    /// provider names.
    #[cfg(feature = "all-providers")]
    #[test]
    fn committed_declarations_are_current() {
        let path = format!("{}/pkg/models.d.ts", env!("CARGO_MANIFEST_DIR"));
        let now = super::declarations();
        if std::env::var("CROSSWALK_UPDATE_SNAPSHOTS").is_ok() {
            std::fs::write(&path, &now).unwrap();
        }
        let then = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(then == now, "pkg/models.d.ts is stale: run CROSSWALK_UPDATE_SNAPSHOTS=1 cargo test");
    }
}
