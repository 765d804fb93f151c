//! Coverage, derived from the provider tables: which unified fields each provider
//! supports, requires and returns, per model/resource/method. The npm `coverage()`,
//! the Worker's `/meta` routes and the admin matrix all read this one function.

use serde_json::{json, Map, Value};

use crate::unified::models::RESOURCES;
use crate::provider::{OpDef, ProviderDef};
use crate::providers::PROVIDERS;
use crate::unified::schema::{Target, UnifiedMethod};

const METHODS: &[UnifiedMethod] = &[UnifiedMethod::Create, UnifiedMethod::List, UnifiedMethod::Get, UnifiedMethod::Update, UnifiedMethod::Delete];

/// model → resource → method → { providers, request: field → provider → {…}, response: field → provider → {…} }
pub fn coverage() -> Value {
    let mut models = Map::new();
    for res in RESOURCES {
        let mut methods = Map::new();
        for &m in METHODS {
            let impls: Vec<(&ProviderDef, &OpDef)> =
                PROVIDERS.iter().filter_map(|p| p.op(res.model, res.resource, m).map(|op| (*p, op))).collect();
            if impls.is_empty() {
                continue;
            }
            methods.insert(m.as_str().to_string(), method_coverage(res, m, &impls));
        }
        // Bulk syncs validate each record with the provider's create table, so their
        // fields are that table's; the notes say how records are batched.
        let syncs: Vec<&crate::provider::sync::SyncDef> =
            crate::providers::SYNCS.iter().copied().filter(|s| s.op.model == res.model && s.op.resource == res.resource).collect();
        if !syncs.is_empty() {
            let impls: Vec<(&ProviderDef, &OpDef)> = syncs.iter().map(|s| (s.provider, s.op)).collect();
            let mut cov = method_coverage(res, UnifiedMethod::Create, &impls);
            for s in &syncs {
                cov["notes"][s.provider.name] = json!(format!(
                    "records grouped by {}, keyed by {}, at most {} per request, in the caller's order; {} requests/day, {} records/minute",
                    s.group_field, s.key_field, s.max_batch, s.limits.requests_per_day, s.limits.records_per_minute
                ));
            }
            methods.insert("sync".into(), cov);
        }
        let entry = models.entry(res.model.to_string()).or_insert_with(|| json!({}));
        entry[res.resource] = Value::Object(methods);
    }
    Value::Object(models)
}

fn method_coverage(res: &crate::unified::schema::ResourceDef, m: UnifiedMethod, impls: &[(&ProviderDef, &OpDef)]) -> Value {
    let schema = if m.has_body() { res.body } else { res.filters };
    let mut request = Map::new();
    for f in schema {
        let mut per = Map::new();
        for (p, op) in impls {
            let row = op.fields.iter().find(|r| r.field == f.name);
            // remote_data is merged into every provider's request body as is.
            let passthrough = f.name == "remote_data" && m.has_body();
            let mut cell = json!({ "supported": row.is_some() || passthrough, "required": row.is_some_and(|r| r.required) });
            if passthrough {
                cell["maps_to"] = json!("(merged into the request body)");
            }
            if let Some(r) = row {
                cell["maps_to"] = json!(r.provider_field());
                if !m.has_body() {
                    cell["applied_by"] = json!(if matches!(r.target, Target::Local) { "crosswalk" } else { "provider" });
                }
                if let Some(allowed) = r.allowed_values() {
                    cell["allowed"] = json!(allowed);
                }
                let rules: Vec<Value> = r.rules.iter().filter_map(rule_json).collect();
                if !rules.is_empty() {
                    cell["rules"] = Value::Array(rules);
                }
            }
            per.insert(p.name.to_string(), cell);
        }
        request.insert(f.name.to_string(), Value::Object(per));
    }
    let mut response = Map::new();
    for f in res.record {
        let mut per = Map::new();
        for (p, op) in impls {
            let supported = f.name == "remote_data" || op.returns.contains(&f.name);
            per.insert(p.name.to_string(), json!({ "supported": supported }));
        }
        response.insert(f.name.to_string(), Value::Object(per));
    }
    let notes: Map<String, Value> = impls.iter().filter(|(_, op)| !op.notes.is_empty()).map(|(p, op)| (p.name.to_string(), json!(op.notes))).collect();
    json!({
        "providers": impls.iter().map(|(p, _)| p.name).collect::<Vec<_>>(),
        "request": request,
        "response": response,
        "notes": notes,
    })
}

fn rule_json(rule: &crate::unified::schema::Rule) -> Option<Value> {
    use crate::unified::schema::Rule::*;
    Some(match *rule {
        MaxLen(n) => json!({ "max_length": n }),
        Range(a, b) => json!({ "min": a, "max": b }),
        MaxItems(n) => json!({ "max_items": n }),
        OneOf(_) => return None,
    })
}

/// The unified resource's own field descriptions (for `/meta` and the admin page).
pub fn schema(model: &str, resource: &str) -> Option<Value> {
    let res = crate::unified::models::resource(model, resource)?;
    let fields = |fs: &[crate::unified::schema::UnifiedField]| -> Value {
        Value::Array(fs.iter().map(field_json).collect())
    };
    Some(json!({ "model": res.model, "resource": res.resource, "doc": res.doc, "body": fields(res.body), "filters": fields(res.filters), "record": fields(res.record) }))
}

fn field_json(f: &crate::unified::schema::UnifiedField) -> Value {
    use crate::unified::schema::Kind;
    let mut v = json!({ "name": f.name, "type": f.kind.type_name(), "doc": f.doc });
    match f.kind {
        Kind::Enum(values) => v["enum"] = json!(values),
        Kind::Struct(fs) | Kind::StructList(fs) => v["fields"] = Value::Array(fs.iter().map(field_json).collect()),
        _ => {}
    }
    v
}

/// `[{ name, label, docs, hosts, idempotency_header, resources: [{ model, resource, methods }] }]`
pub fn providers() -> Value {
    Value::Array(
        PROVIDERS
            .iter()
            .map(|p| {
                let mut resources: Vec<Value> = Vec::new();
                for res in RESOURCES {
                    let mut methods: Vec<&str> = METHODS.iter().filter(|m| p.op(res.model, res.resource, **m).is_some()).map(|m| m.as_str()).collect();
                    // Bulk syncs are their own operation (`crate::engine::sync`), listed with the rest.
                    if crate::providers::SYNCS.iter().any(|s| s.provider.name == p.name && s.op.model == res.model && s.op.resource == res.resource) {
                        methods.push("sync");
                    }
                    if !methods.is_empty() {
                        resources.push(json!({ "model": res.model, "resource": res.resource, "methods": methods }));
                    }
                }
                json!({ "name": p.name, "label": p.label, "docs": p.docs, "hosts": p.hosts, "idempotency_header": p.idempotency_header, "oauth": p.oauth.map(oauth_json), "resources": resources })
            })
            .collect(),
    )
}

/// A provider's OAuth declaration as `providers()` publishes it (no secret is part
/// of a declaration).
fn oauth_json(o: &crate::provider::auth::OAuthDef) -> Value {
    let grants: Vec<&str> = o.grants.iter().map(|g| g.as_str()).collect();
    let client_auth = match o.client_auth {
        crate::provider::auth::ClientAuth::Basic => "basic",
        crate::provider::auth::ClientAuth::Body => "body",
    };
    let exchange: Vec<&str> = o.exchange.iter().map(|(_, credential)| *credential).collect();
    json!({
        "authorize_url": o.authorize_url, "token_url": o.token_url, "hosts": o.hosts, "grants": grants, "client_auth": client_auth, "exchange_credentials": exchange,
        "pkce": o.pkce, "scopes": o.scopes, "scope_separator": o.scope_separator, "notes": o.notes,
    })
}

#[cfg(test)]
mod tests {
    #[allow(unused_imports)] // the test needs particular providers compiled in
    use super::*;

    #[cfg(all(feature = "ashby", feature = "recruitee", feature = "lever"))]
    #[test]
    fn coverage_reflects_tables() {
        let c = coverage();
        let create = &c["ats"]["activities"]["create"];
        assert_eq!(create["request"]["candidate_id"]["ashby"], json!({"supported": true, "required": true, "maps_to": "candidateId"}));
        assert_eq!(create["request"]["created_at"]["recruitee"]["supported"], false);
        assert_eq!(create["request"]["visibility"]["lever"]["allowed"], json!(["admin_only", "public"]));
        assert_eq!(create["response"]["id"]["lever"]["supported"], true);
        assert!(create["providers"].as_array().unwrap().contains(&json!("recruitee")));
    }
}
