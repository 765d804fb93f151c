//! The provider contract: what a provider module declares ([`ProviderDef`] with its
//! auth and [`OpDef`] rows, each row a field table plus a function that starts an
//! [`Exchange`]), and the reusable exchange kits providers build from
//! ([`kits`]: one request, paged lists, link headers; [`chain`]: multi-step
//! writes; [`sync`]: bulk endpoints). The engine drives exchanges; providers only
//! fill this contract, so neither layer imports the other's internals.

pub mod account;
pub mod auth;
#[cfg(feature = "_chain")]
pub mod chain;
mod kits;
pub mod sync;

pub use kits::*;

use serde_json::{Map, Value};

use crate::error::{Error, Result, Warning};
use crate::unified::query::{ResponseFormat, UnifiedQuery};
use crate::unified::record::Record;
use crate::unified::schema::{FieldMap, UnifiedMethod};
use account::Account;
use crate::codec::doc::Json;
use crate::codec::http::{HttpRequest, HttpResponse, Method, Origin, UrlBuilder};

/// One provider: identity, where it lives, how it authenticates, what it can do.
pub struct ProviderDef {
    pub name: &'static str,
    pub label: &'static str,
    /// Link to the provider's API reference.
    pub docs: &'static str,
    /// Hosts requests may go to (for a Worker's allow-list). `*.` = any subdomain.
    pub hosts: &'static [&'static str],
    /// The default origin for an account (may read account context).
    pub origin: fn(&Account) -> Result<String>,
    /// Adds credentials to a request.
    pub auth: fn(&Account, HttpRequest) -> Result<HttpRequest>,
    /// The header in which the provider accepts a caller's idempotency key and
    /// de-duplicates writes that carry it (as documented by the provider). Only
    /// then is a write that may have been applied (5xx, timeout, reset) sent
    /// again; `None` (most providers): never, key or not.
    pub idempotency_header: Option<&'static str>,
    /// How accounts get and renew OAuth tokens (`None`: static credentials only).
    pub oauth: Option<&'static auth::OAuthDef>,
    pub ops: &'static [OpDef],
}

impl ProviderDef {
    pub fn op(&self, model: &str, resource: &str, method: UnifiedMethod) -> Option<&'static OpDef> {
        self.ops
            .iter().find(|o| o.model == model && o.resource == resource && o.method == method)
    }
}

/// One operation a provider supports.
pub struct OpDef {
    pub model: &'static str,
    pub resource: &'static str,
    pub method: UnifiedMethod,
    /// Request-side table: body fields for create/update, filters for list/get.
    pub fields: &'static [FieldMap],
    /// Unified record fields this operation fills in its result.
    pub returns: &'static [&'static str],
    /// Starts the provider exchange.
    pub start: fn(&Ctx) -> Result<Box<dyn Exchange>>,
    /// Cross-field rules the table cannot express (e.g. end after start).
    pub check: Option<fn(&Map<String, Value>) -> Vec<crate::error::Issue>>,
    /// Why a field or behaviour is the way it is, for coverage/meta.
    pub notes: &'static str,
}

/// Everything a provider function may read about the request being planned.
pub struct Ctx<'a> {
    pub provider: &'static ProviderDef,
    pub op: &'static OpDef,
    pub account: &'a Account,
    pub origin: &'a Origin,
    /// Validated body fields (create/update) or filters (list/get).
    pub fields: &'a Map<String, Value>,
    pub remote_data: Option<&'a Value>,
    pub query: &'a UnifiedQuery,
    pub id: Option<&'a str>,
    /// Raw format with no local filter: list items need no unified mapping.
    pub skip_mapping: bool,
    pub now_ms: u64,
    /// Which response of this operation is being handled (0 = the first the driver
    /// handed over, token and retried ones included): a page names the response its
    /// items came from (see [`ItemsSource`]).
    pub response_index: u32,
    /// List items from this index of a provider page on need their raw record as
    /// a value (inline `remote_data`); the driver attaches the ones before it from
    /// the response body it keeps. 0: every item (no attaching by reference).
    pub inline_raw_from: usize,
    /// Raw records kept inline may stay the provider's JSON text (copied out of the
    /// body, never rebuilt as a `Value`): nothing will edit them (no
    /// `truto_exclude_fields` inside `remote_data`, no raw format).
    pub raw_as_text: bool,
}

impl Ctx<'_> {
    pub fn url(&self) -> UrlBuilder {
        UrlBuilder::new(self.origin)
    }
    /// A request with the provider's auth applied.
    pub fn request(&self, method: Method, url: String) -> Result<HttpRequest> {
        (self.provider.auth)(self.account, HttpRequest::new(method, url))
    }
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
    pub fn raw(&self) -> bool {
        self.query.format == ResponseFormat::Raw
    }
    pub fn skip_mapping(&self) -> bool {
        self.skip_mapping
    }
    /// The `i`-th item of a provider page as the raw record the operation keeps:
    /// a copy out of the body, or nothing when the driver attaches it by reference.
    pub fn raw_item(&self, i: usize, item: Json<'_>) -> RawRecord {
        if i >= self.inline_raw_from {
            self.raw_record(item)
        } else {
            RawRecord::Absent
        }
    }
    /// A record's raw form, kept inline: its text when it may stay text
    /// (whitespace between tokens dropped, as a pretty-printed answer would
    /// otherwise carry it into every record).
    pub fn raw_record(&self, item: Json<'_>) -> RawRecord {
        match item.raw_text().filter(|_| self.raw_as_text) {
            Some(text) => RawRecord::Text(crate::codec::json_out::compact(text)),
            None => RawRecord::Value(item.to_value()),
        }
    }
    /// The body produced from the op's table, with `remote_data` merged on top.
    pub fn table_body(&self) -> Value {
        self.table_body_and_query().0
    }
    /// [`Ctx::table_body`] and [`Ctx::table_query`] from one pass over the table.
    pub fn table_body_and_query(&self) -> (Value, Vec<(String, String)>) {
        let applied = crate::unified::mapping::apply(self.op.fields, self.fields);
        let mut body = Value::Object(applied.body);
        if let Some(extra) = self.remote_data {
            crate::codec::json::merge(&mut body, extra);
        }
        let mut query = applied.query;
        query.extend(self.query.remote_query.iter().cloned());
        (body, query)
    }
    /// Query pairs produced from the op's table plus `remote_query`.
    pub fn table_query(&self) -> Vec<(String, String)> {
        self.table_body_and_query().1
    }
    pub fn id(&self) -> Result<&str> {
        self.id.filter(|s| !s.is_empty()).ok_or_else(|| {
            Error::one_issue(Some(self.provider.name), crate::error::Issue::new("id", crate::error::IssueCode::Required, "this operation needs an id"))
        })
    }
    /// The standard remote error for a non-2xx response.
    pub fn remote_error(&self, resp: &HttpResponse) -> Error {
        remote_error(self.provider.name, resp)
    }
}

/// Builds `Error::Remote` from a response, reading a message from the common
/// provider error shapes.
pub fn remote_error(provider: &str, resp: &HttpResponse) -> Error {
    let body = serde_json::from_str::<Value>(&resp.body).unwrap_or_else(|_| {
        let text: String = resp.body.chars().take(2000).collect();
        if text.is_empty() { Value::Null } else { Value::String(text) }
    });
    Error::Remote { provider: provider.to_string(), status: resp.status, message: error_message(&body), body }
}

/// Pulls a human message out of common error bodies.
pub fn error_message(body: &Value) -> Option<String> {
    // Some providers answer errors in plain text ("Unauthorized").
    if let Value::String(text) = body {
        return Some(text.chars().take(500).collect()).filter(|t: &String| !t.trim().is_empty());
    }
    let candidates = [
        "message", "error.message", "error_description", "errorInfo.message", "errors.0.message", "errors.0.error.message", "errors.0", "error", "detail", "title",
        // Salesforce answers with a bare array; Zoho wraps per-record errors in `data`.
        "0.message", "data.0.message",
    ];
    candidates.iter().find_map(|p| crate::codec::json::get(body, p).and_then(Value::as_str).map(|s| s.chars().take(500).collect()))
}

/// What a provider exchange wants next.
pub enum Next {
    Send(HttpRequest),
    /// One unified record (without `remote_data`) and the provider's raw record.
    Record { record: Record, raw: RawRecord, warnings: Vec<Warning> },
    /// A page: unified records with their raw records, and the provider's state
    /// for the next page (`None` on the last page). `source` says where the raw
    /// records sit verbatim in a response body, when they do.
    Page { items: Vec<(Record, RawRecord)>, next: Option<Value>, warnings: Vec<Warning>, source: Option<ItemsSource> },
}

/// A provider's raw record as an operation keeps it for `remote_data`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawRecord {
    /// Not kept: the driver attaches it from the response body it holds.
    Absent,
    Value(Value),
    /// The record's JSON text as the provider sent it, copied out whole (see
    /// [`Ctx::raw_as_text`]).
    Text(String),
}

impl From<Value> for RawRecord {
    fn from(v: Value) -> Self {
        RawRecord::Value(v)
    }
}

impl RawRecord {
    pub fn into_value(self) -> Value {
        match self {
            RawRecord::Absent => Value::Null,
            RawRecord::Value(v) => v,
            RawRecord::Text(t) => crate::unified::record::raw_text_value(&t),
        }
    }
}

/// Where a page's raw items are, unchanged, in a response body: the response
/// ([`Ctx::response_index`]) and the keys leading to the items array (empty: the
/// body is the array). A driver that still holds that body can attach
/// `remote_data` from it instead of receiving every raw record again as JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemsSource {
    pub response: u32,
    pub path: &'static [&'static str],
}

/// A provider operation in flight. The generic [`Operation`](crate::Operation)
/// handles retries, errors, shaping and paging; an exchange only knows its
/// provider's requests and responses.
pub trait Exchange {
    fn start(&mut self, ctx: &Ctx) -> Result<Next>;
    /// A 2xx response to the last request.
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next>;
    /// A non-2xx response that was not retried. Multi-step exchanges override
    /// this to report what was already done.
    fn on_failure(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Err(ctx.remote_error(resp))
    }
    /// For list exchanges: the request for the page at `state`.
    fn page(&mut self, _ctx: &Ctx, _state: &Value) -> Result<Next> {
        Err(Error::Misuse { reason: "this operation has no pages".into() })
    }
    /// Filters this particular request could not send although the table row says
    /// the provider applies them (an upper bound with no `*_before` parameter, an
    /// endpoint variant without that parameter). Crosswalk applies and reports them
    /// like `Local` rows.
    fn locally_applied(&self) -> &[&'static str] {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_messages_from_array_and_wrapped_bodies() {
        assert_eq!(error_message(&json!([{"message": "Required fields are missing: [Subject]", "errorCode": "REQUIRED_FIELD_MISSING"}])).unwrap(), "Required fields are missing: [Subject]");
        assert_eq!(error_message(&json!({"data": [{"code": "MANDATORY_NOT_FOUND", "message": "required field not found", "status": "error"}]})).unwrap(), "required field not found");
        assert_eq!(error_message(&json!({"message": "top", "data": [{"message": "inner"}]})).unwrap(), "top");
    }
}
