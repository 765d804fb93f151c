//! LinkedIn Talent — Middleware Platform / Recruiter System Connect: ATS
//! **application notes**: the legacy v2 API (Rest.li protocol 1.0 on
//! `https://api.linkedin.com/v2`, the default while LinkedIn serves it) or the
//! versioned `rest/applicationNotes` (`context.notes_api: "rest"`, Rest.li 2.0,
//! `LinkedIn-Version: context.linkedin_version`, default [`DEFAULT_VERSION`]).
//! Docs: https://learn.microsoft.com/en-us/linkedin/talent/middleware-platform/sync-application-notes
//! (the same text as seed 004). Sources, encoding rules and examples:
//! tests/fixtures/linkedin/README.md.
//!
//! Account: `credentials.access_token` (2-legged OAuth token of the customer's
//! application, sent as `Authorization: Bearer …`); `context.organization_urn`
//! (`urn:li:organization:{id}`), which is part of every note's URL key.
//!
//! LinkedIn does not mint note ids: the caller's ATS ids are the keys. A unified
//! activity for LinkedIn therefore carries `application_id` (your ATS application
//! id, `atsJobApplicationId`), `id` (your ATS note id), `body` (→ `note`),
//! `created_at` (ISO 8601 → `atsCreatedAt`, UTC epoch ms) and `author`
//! `{first_name, last_name}` (→ `{firstName, lastName}`, both required when sent).
//!
//! - `create` = BATCH_UPDATE with one entity:
//!   `PUT /v2/atsApplications/atsJobApplicationId={app}&dataProvider=ATS&integrationContext={urn}/notes?ids={note}`,
//!   `x-restli-method: batch_update`, body `{entities: {note: {...}}}`. It is an
//!   upsert: sending the same note id again updates it.
//! - `delete` (record id = note id, `query.application_id`) = BATCH_DELETE on the
//!   same key with `?ids={note}`. LinkedIn documents only "HTTP DELETE on
//!   `/atsApplications/{JobApplicationIdentifier}/notes`"; the `ids` form is the
//!   Rest.li batch-delete the research derives — UNCONFIRMED against a LinkedIn example.
//! - Versioned: `PUT /rest/applicationNotes?ids=List((externalJobApplicationId:{app},externalNoteId:{note},integrationContext:{urn}))`
//!   with the same key in `entities`, `x-restli-method: batch_update` (delete: DELETE,
//!   `batch_delete`), `X-RestLi-Protocol-Version: 2.0.0`; LinkedIn's release notes name
//!   the resource, the methods and the renamed keys; the key syntax follows LinkedIn's
//!   Rest.li 2.0 page (UNCONFIRMED against a versioned example; the talent pages show none).
//! - Bulk: [`NOTES_SYNC`] (`client.sync('ats', 'activities', records)`, see `crate::engine::sync`).
//!
//! LinkedIn answers a batch with HTTP 200 even when entities fail; every entity's
//! status is read, and a failed entity is an error, never a success.
//! `body` is required although LinkedIn marks `note` optional: a batch update
//! replaces the note, so a record without text would blank it on LinkedIn.

pub mod restli;

use crate::provider::auth::{Grant, OAuthDef};
use serde_json::{json, Map, Value};

use crate::unified::record::Record;
use crate::provider::account::Account;
use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};
use crate::unified::schema::{Conv, FieldMap, UnifiedMethod};
use crate::provider::sync::{EntityOutcome, Limits, SyncDef};

use crate::provider::{Ctx, Exchange, Next, OpDef, ProviderDef};

/// The 2-legged token: https://learn.microsoft.com/linkedin/shared/authentication/client-credentials-flow
/// — `grant_type=client_credentials` with the client in the form body, a 30-minute
/// token (`expires_in` may be a string) and no refresh token: a new token is
/// requested when it expires.
const OAUTH: OAuthDef = OAuthDef {
    token_url: "https://www.linkedin.com/oauth/v2/accessToken",
    hosts: &["www.linkedin.com"],
    grants: &[Grant::ClientCredentials],
    notes: "client credentials (2-legged); tokens expire after 30 minutes and are requested again",
    ..OAuthDef::DEFAULTS
};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "linkedin",
    label: "LinkedIn Talent (Recruiter System Connect)",
    docs: "https://learn.microsoft.com/en-us/linkedin/talent/middleware-platform/sync-application-notes",
    hosts: &["api.linkedin.com"],
    origin: |_| Ok("https://api.linkedin.com".into()),
    auth,
    idempotency_header: None,
    oauth: Some(&OAUTH),
    ops: &[CREATE_NOTE, DELETE_NOTE],
};

const CREATE_NOTE: OpDef = OpDef {
    model: "ats",
    resource: "activities",
    method: UnifiedMethod::Create,
    fields: NOTE_FIELDS,
    returns: &["id", "activity_type", "actor", "body", "created_at"],
    start: start_create,
    check: Some(check_author),
    notes: "Application notes (BATCH_UPDATE with one entity; an upsert keyed by your note id) on v2 atsApplications/{key}/notes, or rest/applicationNotes with context.notes_api=rest (LinkedIn-Version from context.linkedin_version, default 202603; key form UNCONFIRMED). LinkedIn returns only a status, so the record is what LinkedIn confirmed storing. Many notes: use sync.",
};

const DELETE_NOTE: OpDef = OpDef {
    model: "ats",
    resource: "activities",
    method: UnifiedMethod::Delete,
    fields: &[FieldMap::custom("application_id", "atsJobApplicationId in the notes URL key").required()],
    returns: &["id"],
    start: start_delete,
    check: None,
    notes: "id = your ATS note id. Rest.li BATCH_DELETE (?ids=) on the application's notes; LinkedIn documents only 'HTTP DELETE on /atsApplications/{key}/notes' (exact form UNCONFIRMED).",
};

const NOTE_FIELDS: &[FieldMap] = &[
    FieldMap::custom("application_id", "atsJobApplicationId in the notes URL key").required(),
    FieldMap::custom("id", "ids= and the entities key (your ATS note id)").required(),
    FieldMap::body("body", "note").required(),
    FieldMap::body("created_at", "atsCreatedAt").conv(Conv::EpochMs),
    FieldMap::custom("author", "author {firstName, lastName}"),
];

/// The bulk path for the same notes: batches of at most 100 per application, and
/// the documented application maximum of 100,000 requests per UTC day and 10,000
/// records per minute ("Application" in LinkedIn's throttle table is your API
/// application, so one budget state should be shared by every sync it runs).
pub const NOTES_SYNC: SyncDef = SyncDef {
    provider: &PROVIDER,
    op: &CREATE_NOTE,
    group_field: "application_id",
    key_field: "id",
    max_batch: 100,
    limits: Limits { requests_per_day: 100_000, records_per_minute: 10_000 },
    check_account: |account| organization_urn(account).map(drop),
    entity,
    build: batch_update,
    read: read_sync_batch,
};

/// A sync batch's answer: `keys` are the note ids; the versioned API answers under
/// the compound keys, which carry the application the batch was for.
fn read_sync_batch(ctx: &Ctx, resp: &HttpResponse, keys: &[&str]) -> Result<Vec<EntityOutcome>> {
    let mut body = resp.json(ctx.provider.name)?;
    rekey_by_note(ctx, &mut body)?;
    restli::read_batch(ctx.provider.name, &body, keys)
}

/// A versioned answer re-keyed by note id (each compound key names its note, in
/// whatever encoding LinkedIn echoes it); a v2 answer is keyed so already.
fn rekey_by_note(ctx: &Ctx, body: &mut Value) -> Result<()> {
    if let NotesApi::Rest { .. } = notes_api(ctx.account)? {
        for part in ["results", "errors"] {
            if let Some(Value::Object(m)) = body.get_mut(part) {
                let by_note = std::mem::take(m).into_iter().map(|(k, v)| (note_id_of(&k).unwrap_or(k), v)).collect();
                *m = by_note;
            }
        }
    }
    Ok(())
}

/// The decoded `externalNoteId` of a 2.0 compound key.
fn note_id_of(key: &str) -> Option<String> {
    let value = key.strip_prefix('(')?.strip_suffix(')')?.split(',').find_map(|p| p.strip_prefix("externalNoteId:"))?;
    percent_encoding::percent_decode_str(value).decode_utf8().ok().map(|s| s.to_string())
}

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    let token = account.credential("access_token")?;
    Ok(req.secret_header("authorization", format!("Bearer {token}")))
}

/// `urn:li:organization:{digits}` from the account.
fn organization_urn(account: &Account) -> Result<String> {
    let urn = account.context_str("organization_urn")?;
    let ok = urn.strip_prefix("urn:li:organization:").is_some_and(|id| !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(Error::one_issue(
            Some("linkedin"),
            Issue::new("account.context.organization_urn", IssueCode::InvalidFormat, "must be the customer's organization URN, e.g. urn:li:organization:2414183"),
        ));
    }
    Ok(urn)
}

/// The latest `LinkedIn-Version` seen in LinkedIn's versioning page (202603, supported
/// until March 2028); `context.linkedin_version` picks another.
pub const DEFAULT_VERSION: &str = "202603";

/// Which notes API an account uses: the versioned `rest/applicationNotes`
/// (`context.notes_api: "rest"`, with `context.linkedin_version`), or the legacy v2
/// `atsApplications/{key}/notes` (the default while LinkedIn serves it: its request
/// is the one LinkedIn's notes page still shows; the versioned request form is
/// derived from the Rest.li 2.0 rules, UNCONFIRMED against a LinkedIn example).
enum NotesApi {
    V2,
    Rest { version: String },
}

fn notes_api(account: &Account) -> Result<NotesApi> {
    match account.context_opt("notes_api").as_deref() {
        None | Some("v2") => Ok(NotesApi::V2),
        Some("rest") => {
            let version = account.context_opt("linkedin_version").unwrap_or_else(|| DEFAULT_VERSION.to_string());
            let ok = version.len() >= 6 && version.len() <= 9 && version.bytes().all(|b| b.is_ascii_digit() || b == b'.') && version.as_bytes()[..6].iter().all(u8::is_ascii_digit);
            if !ok {
                return Err(Error::one_issue(Some("linkedin"), Issue::new("account.context.linkedin_version", IssueCode::InvalidFormat, "must be a LinkedIn API version such as 202603")));
            }
            Ok(NotesApi::Rest { version })
        }
        Some(_) => Err(Error::one_issue(Some("linkedin"), Issue::new("account.context.notes_api", IssueCode::NotOneOf, "must be v2 or rest"))),
    }
}

/// The notes request for one application's `ids` (your note ids), and the entity
/// key each id has in the body and the answer.
struct NotesTarget {
    url: String,
    keys: Vec<String>,
    versioned: Option<String>,
}

fn notes_target(ctx: &Ctx, application_id: &str, ids: &[&str]) -> Result<NotesTarget> {
    let urn = organization_urn(ctx.account)?;
    match notes_api(ctx.account)? {
        NotesApi::V2 => {
            let key = restli::compound_key(&[("atsJobApplicationId", application_id), ("dataProvider", "ATS"), ("integrationContext", &urn)]);
            let url = ctx.url().path("/v2/atsApplications/").raw_path(&key).path("/notes?").raw_path(&restli::ids_query(ids.iter().copied())).build();
            Ok(NotesTarget { url, keys: ids.iter().map(|s| s.to_string()).collect(), versioned: None })
        }
        NotesApi::Rest { version } => {
            // rest/applicationNotes: the note is keyed by application, note and context (no dataProvider).
            let keys: Vec<String> = ids.iter().map(|id| restli::compound_key_v2(&[("externalJobApplicationId", application_id), ("externalNoteId", id), ("integrationContext", &urn)])).collect();
            let url = ctx.url().path("/rest/applicationNotes?").raw_path(&restli::ids_list_v2(keys.iter().map(String::as_str))).build();
            Ok(NotesTarget { url, keys, versioned: Some(version) })
        }
    }
}

/// The request with the headers its API version needs.
fn notes_request(ctx: &Ctx, method: Method, target: &NotesTarget, restli_method: &str) -> Result<HttpRequest> {
    let req = ctx.request(method, target.url.clone())?.header("x-restli-method", restli_method);
    Ok(match &target.versioned {
        Some(version) => req.header("linkedin-version", version.clone()).header("x-restli-protocol-version", "2.0.0"),
        None => req,
    })
}

/// One note entity from validated unified fields (`remote_data` merged on top).
pub fn entity(fields: &Map<String, Value>, remote_data: Option<&Value>) -> Value {
    let mut e = Value::Object(crate::unified::mapping::apply(NOTE_FIELDS, fields).body);
    if let Some(author) = fields.get("author") {
        e["author"] = json!({ "firstName": author.get("first_name"), "lastName": author.get("last_name") });
    }
    if let Some(extra) = remote_data {
        crate::codec::json::merge(&mut e, extra);
    }
    e
}

/// The BATCH_UPDATE request for `(note id, entity)` pairs of one application.
pub fn batch_update(ctx: &Ctx, application_id: &str, entries: &[(&str, &Value)]) -> Result<HttpRequest> {
    let ids: Vec<&str> = entries.iter().map(|(id, _)| *id).collect();
    let target = notes_target(ctx, application_id, &ids)?;
    let entities: Map<String, Value> = target.keys.iter().zip(entries).map(|(key, (_, e))| (key.clone(), (*e).clone())).collect();
    Ok(notes_request(ctx, Method::Put, &target, "batch_update")?.json(json!({ "entities": entities })))
}

/// LinkedIn's Actor needs both names; an author with one is rejected before sending.
fn check_author(fields: &Map<String, Value>) -> Vec<Issue> {
    let Some(author) = fields.get("author") else { return Vec::new() };
    ["first_name", "last_name"]
        .into_iter()
        .filter(|k| author.get(*k).and_then(Value::as_str).map_or(true, |s| s.trim().is_empty()))
        .map(|k| Issue::new(format!("body.author.{k}"), IssueCode::Required, "LinkedIn needs both first_name and last_name when an author is sent").with_meta(json!({ "provider": "linkedin" })))
        .collect()
}

fn start_create(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let app = ctx.field_str("application_id").unwrap_or_default();
    let id = ctx.field_str("id").unwrap_or_default().to_string();
    let e = entity(ctx.fields, ctx.remote_data);
    Ok(Box::new(NoteWrite { request: Some(batch_update(ctx, app, &[(&id, &e)])?), id, empty_ok: false, map: map_created }))
}

fn start_delete(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let id = ctx.id()?.to_string();
    let app = ctx.field_str("application_id").unwrap_or_default();
    let target = notes_target(ctx, app, &[&id])?;
    let req = notes_request(ctx, Method::Delete, &target, "batch_delete")?;
    // S4 only promises "200 OK" for deletes, so an empty 2xx body is a success here.
    Ok(Box::new(NoteWrite { request: Some(req), id, empty_ok: true, map: |_, id| json!({ "id": id }) }))
}

/// One-entity batch write. Unlike `Single`, the entity's own status is checked
/// even for `truto_response_format: raw`, so a 200 batch with a failed entity is
/// an error in every format.
struct NoteWrite {
    request: Option<HttpRequest>,
    id: String,
    /// Whether a 2xx with no body counts as done (it confirms no entity).
    empty_ok: bool,
    map: fn(&Ctx, &str) -> Value,
}

impl Exchange for NoteWrite {
    fn start(&mut self, _ctx: &Ctx) -> Result<Next> {
        self.request.take().map(Next::Send).ok_or_else(|| Error::Misuse { reason: "started twice".into() })
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let body = resp.json(ctx.provider.name)?;
        if !(body.is_null() && (self.empty_ok || resp.status == 204)) {
            let mut keyed = body.clone();
            rekey_by_note(ctx, &mut keyed)?;
            if let Some(EntityOutcome::Failed(f)) = restli::read_batch(ctx.provider.name, &keyed, &[&self.id])?.pop() {
                let status = f.status.unwrap_or(502);
                let body = if f.remote.is_null() { json!({ "message": f.message }) } else { f.remote };
                return Err(Error::Remote { provider: ctx.provider.name.into(), status, message: f.message, body });
            }
        }
        let record = match (self.map)(ctx, &self.id) {
            Value::Object(m) if !ctx.raw() => Record::from_map(m),
            _ => Record::new(),
        };
        Ok(Next::Record { record, raw: body.into(), warnings: Vec::<Warning>::new() })
    }
}

fn map_created(ctx: &Ctx, id: &str) -> Value {
    // Both names are required by check_author, so an author always has a full name.
    let actor = ctx.fields.get("author").map_or(Value::Null, |a| {
        let part = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        json!({ "name": format!("{} {}", part("first_name"), part("last_name")) })
    });
    json!({
        "id": id,
        "activity_type": "note",
        "actor": actor,
        "body": ctx.fields.get("body"),
        "created_at": ctx.field_str("created_at").and_then(crate::codec::datetime::iso_from_str),
    })
}

#[cfg(test)]
mod tests;
