//! Lever — REST API under `https://api.lever.co/v1` (sandbox `api.sandbox.lever.co`).
//! Docs: https://hire.lever.co/developer/documentation#notes
//! Notes belong to opportunities: the unified `candidate_id` is the opportunity id
//! (Lever's legacy candidate id is the same UID). `createdAt` is epoch milliseconds.
//! Auth: HTTP Basic with the API key as user name (or an OAuth bearer token).
//! Sources and recorded examples: tests/fixtures/lever/README.md.

use crate::unified::record::Record;
use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Value};

use crate::provider::account::{basic, Account};
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::error::{Error, Result, Warning};
use crate::codec::http::{HttpRequest, Method};
use crate::unified::schema::{Conv, FieldMap, Lit, UnifiedMethod};

use crate::provider::{Ctx, Exchange, OpDef, ProviderDef, Single};

/// OAuth (partner apps): https://hire.lever.co/developer/oauth — authorize on
/// auth.lever.co with `audience=https://api.lever.co/v1/`; `offline_access` for a
/// refresh token. Lifetimes and the client authentication method are not stated
/// on the pages read (body parameters, the Auth0 default, are sent).
const OAUTH: OAuthDef = OAuthDef {
    authorize_url: Some("https://auth.lever.co/authorize"),
    token_url: "https://auth.lever.co/oauth/token",
    hosts: &["auth.lever.co", "sandbox-lever.auth0.com"],
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken],
    scopes: &["offline_access", "notes:write:admin", "notes:read:admin", "interviews:read:admin", "opportunities:read:admin"],
    authorize_params: &[("audience", "https://api.lever.co/v1/")],
    notes: "API keys (Basic) or OAuth for partner apps; lifetimes not documented on the pages read",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "lever",
    label: "Lever",
    docs: "https://hire.lever.co/developer/documentation",
    hosts: &["api.lever.co", "api.sandbox.lever.co"],
    origin: |account| {
        Ok(if account.context_opt("environment").as_deref() == Some("sandbox") { "https://api.sandbox.lever.co" } else { "https://api.lever.co" }.into())
    },
    auth,
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[OpDef {
        model: "ats",
        resource: "activities",
        method: UnifiedMethod::Create,
        fields: ACTIVITY_CREATE,
        returns: &["id", "activity_type", "actor", "body", "candidate", "created_at", "visibility"],
        start: start_create_note,
        check: None,
        notes: "POST /v1/opportunities/{opportunity}/notes; visibility admin_only = secret: true (Lever shows secret notes to admins and super admins, plus the author and @-mentioned users; tests/fixtures/lever/README.md); public = secret: false; private is refused (Lever has no author-only note); perform_as via remote_query",
    }],
};

const ACTIVITY_CREATE: &[FieldMap] = &[
    FieldMap::path("candidate_id", "opportunity").required(),
    FieldMap::body("body", "value").required(),
    FieldMap::body("created_at", "createdAt").conv(Conv::EpochMs),
    // Lever shows a secret note to admins and super admins (plus its author and
    // @-mentioned users): admin_only. Lever has no author-only note, so private is refused.
    FieldMap::body("visibility", "secret").conv(Conv::Map(&[("admin_only", Lit::Bool(true)), ("public", Lit::Bool(false))])),
];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    if let Some(token) = account.credential_opt("access_token") {
        return Ok(req.secret_header("authorization", format!("Bearer {token}")));
    }
    let key = account.credential("api_key")?;
    Ok(req.secret_header("authorization", basic(key, "")))
}

fn start_create_note(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let opportunity = ctx.field_str("candidate_id").unwrap_or_default();
    let (body, query) = ctx.table_body_and_query();
    let url = ctx.url().path("/v1/opportunities").seg(opportunity).path("/notes").queries(query).build();
    Single::boxed(ctx.request(Method::Post, url)?.json(body), map_note)
}

fn map_note<'a>(ctx: &Ctx, body: Json<'a>, _w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    let note = body.get("data").ok_or_else(|| Error::protocol("lever", "response has no data"))?;
    let id = note.get_str("id").or_else(|| note.get_str("noteId")).ok_or_else(|| Error::protocol("lever", "note has no id"))?;
    // The note text is the field of type "note" (Lever notes are a list of fields).
    let fields = note.get("fields").and_then(Json::items);
    let text = fields
        .and_then(|mut f| f.clone().find(|x| x.get("type").and_then(Json::as_str) == Some("note")).or_else(|| f.next()))
        .and_then(|f| f.get("value"))
        .map_or(Value::Null, Json::to_value);
    let mut r = Record::new();
    r.insert("id", json!(id));
    r.insert("activity_type", json!("note"));
    r.insert("actor", match note.get_str("user") {
        Some(user) => json!({ "id": user, "type": "user" }),
        None => Value::Null,
    });
    r.insert("body", text);
    r.insert("candidate", json!({ "id": ctx.field_str("candidate_id") }));
    r.insert("created_at", iso_or_null(note.get("createdAt")));
    r.insert("updated_at", Value::Null);
    r.insert("visibility", match note.get("secret").and_then(Json::as_bool) {
        Some(true) => json!("admin_only"),
        Some(false) => json!("public"),
        None => Value::Null,
    });
    Ok((r, note))
}

#[cfg(test)]
mod tests;
