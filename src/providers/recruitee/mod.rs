//! Recruitee — REST API under `https://api.recruitee.com/c/{company_id}`; the company
//! id comes from the account (`context.company_id`).
//! Docs: https://docs.recruitee.com/reference/candidatesidnotes
//! Auth: `Authorization: Bearer <personal API token>`.
//! Notes are wrapped: `{"note": {"body", "visibility": {"level"}}}`, answered as
//! `{"note": {...}}`. Only `public` and `private` levels are known, so `admin_only`
//! is rejected rather than guessed. Sources: tests/fixtures/recruitee/README.md.

use crate::unified::record::Record;
use serde_json::{json, Value};

use crate::provider::account::Account;
use crate::codec::datetime::iso_or_null;
use crate::codec::doc::Json;
use crate::codec::json::id_string;
use crate::error::{Error, Result, Warning};
use crate::codec::http::{HttpRequest, Method};
use crate::unified::schema::{s, Conv, FieldMap, UnifiedMethod};

use crate::provider::{Ctx, Exchange, OpDef, ProviderDef, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "recruitee",
    label: "Recruitee",
    docs: "https://docs.recruitee.com/reference/candidatesidnotes",
    hosts: &["api.recruitee.com"],
    origin: |_| Ok("https://api.recruitee.com".into()),
    auth,
    idempotency_header: None,
    oauth: None,
    ops: &[OpDef {
        model: "ats",
        resource: "activities",
        method: UnifiedMethod::Create,
        fields: ACTIVITY_CREATE,
        returns: &["id", "activity_type", "body", "candidate", "visibility"],
        start: start_create_note,
        check: None,
        notes: "POST /c/{company_id}/candidates/{candidate_id}/notes; company_id from account context",
    }],
};

const ACTIVITY_CREATE: &[FieldMap] = &[
    FieldMap::path("candidate_id", "candidate_id").required(),
    FieldMap::body("body", "note.body").required(),
    FieldMap::body("visibility", "note.visibility.level").conv(Conv::Map(&[("public", s("public")), ("private", s("private"))])),
];

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.any_credential(&["api_key", "access_token"])?.1;
    Ok(req.secret_header("authorization", format!("Bearer {token}")))
}

fn start_create_note(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let company = ctx.account.context_str("company_id")?;
    let candidate = ctx.field_str("candidate_id").unwrap_or_default();
    let url = ctx.url().path("/c").seg(&company).path("/candidates").seg(candidate).path("/notes").queries(ctx.table_query()).build();
    Single::boxed(ctx.request(Method::Post, url)?.json(ctx.table_body()), map_note)
}

fn map_note<'a>(ctx: &Ctx, body: Json<'a>, _w: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
    let note = body.get("note").ok_or_else(|| Error::protocol("recruitee", "response has no note"))?;
    let id = id_string(note.get("id")).ok_or_else(|| Error::protocol("recruitee", "note has no id"))?;
    let mut r = Record::new();
    r.insert("id", json!(id));
    r.insert("activity_type", json!("note"));
    r.insert("actor", match id_string(note.get("admin_id")) {
        Some(admin) => json!({ "id": admin, "type": "user" }),
        None => Value::Null,
    });
    // What Recruitee stored, falling back to what was sent when it does not echo.
    let sent_body = ctx.fields.get("body").cloned().unwrap_or(Value::Null);
    r.insert("body", note.get("body").filter(|b| b.is_string()).map_or(sent_body, Json::to_value));
    r.insert("candidate", json!({ "id": ctx.field_str("candidate_id") }));
    r.insert("created_at", iso_or_null(note.get("created_at")));
    r.insert("updated_at", iso_or_null(note.get("updated_at")));
    let level = note.get_str("visibility.level").or_else(|| ctx.field_str("visibility"));
    r.insert("visibility", match level {
        Some(l @ ("public" | "private")) => json!(l),
        _ => Value::Null,
    });
    Ok((r, note))
}

#[cfg(test)]
mod tests;
