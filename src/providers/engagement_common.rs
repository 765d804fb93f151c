//! Pieces shared by the `crm/engagements` providers: per-engagement-type field
//! rules (a field table has one row per unified field, but a call, a meeting and a
//! note often accept different fields), ids that carry the provider object a record
//! lives in (`call:123`, for APIs that store each type in its own object and so need
//! the type to fetch it), and small readers for unified refs.

use serde_json::{json, Map, Value};

use crate::error::{Error, Issue, IssueCode, Result, Warning};
use crate::http::{HttpRequest, HttpResponse};

use super::{Ctx, Exchange, Next, RawPage};

/// A rule that depends on `engagement_type`.
pub enum TypeRule {
    /// The field can be sent only for these engagement types.
    Only(&'static str, &'static [&'static str]),
    /// For these engagement types the field is required.
    Required(&'static str, &'static [&'static str]),
    /// For these engagement types the enum field accepts only these values.
    Values(&'static str, &'static [&'static str], &'static [&'static str]),
    /// For these engagement types at least one of the fields is required.
    AnyOf(&'static [&'static str], &'static [&'static str]),
    /// For these engagement types at most one of the fields may be set (they
    /// land in the same provider slot).
    AtMostOne(&'static [&'static str], &'static [&'static str]),
}

pub fn engagement_type(fields: &Map<String, Value>) -> Option<&str> {
    fields.get("engagement_type").and_then(Value::as_str)
}

fn present(fields: &Map<String, Value>, name: &str) -> bool {
    match fields.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// Every per-type problem of a validated body, with field paths.
pub fn check_types(provider: &str, fields: &Map<String, Value>, rules: &[TypeRule]) -> Vec<Issue> {
    let Some(kind) = engagement_type(fields) else { return Vec::new() };
    let meta = |extra: Value| {
        let mut m = json!({ "provider": provider, "engagement_type": kind });
        crate::convert::merge(&mut m, &extra);
        m
    };
    let mut issues = Vec::new();
    for rule in rules {
        match *rule {
            TypeRule::Only(field, types) if present(fields, field) && !types.contains(&kind) => issues.push(
                Issue::new(format!("body.{field}"), IssueCode::UnsupportedField, format!("{provider} takes {field} only for engagement_type {}; this is a {kind}", types.join(", ")))
                    .with_meta(meta(json!({ "supported_for": types }))),
            ),
            TypeRule::Required(field, types) if types.contains(&kind) && !present(fields, field) => issues.push(
                Issue::new(format!("body.{field}"), IssueCode::Required, format!("{provider} needs {field} for a {kind}")).with_meta(meta(Value::Null)),
            ),
            TypeRule::Values(field, types, allowed) if types.contains(&kind) => {
                if let Some(v) = fields.get(field).and_then(Value::as_str).filter(|v| !allowed.contains(v)) {
                    issues.push(
                        Issue::new(format!("body.{field}"), IssueCode::NotOneOf, format!("{v:?} cannot be represented by {provider} for a {kind}; it accepts {}", allowed.join(", ")))
                            .with_meta(meta(json!({ "allowed": allowed }))),
                    );
                }
            }
            TypeRule::AnyOf(names, types) if types.contains(&kind) && !names.iter().any(|n| present(fields, n)) => issues.push(
                Issue::new(format!("body.{}", names[0]), IssueCode::Required, format!("{provider} needs one of {} for a {kind}", names.join(", ")))
                    .with_meta(meta(json!({ "one_of": names }))),
            ),
            TypeRule::AtMostOne(names, types) if types.contains(&kind) => {
                let set: Vec<&str> = names.iter().copied().filter(|n| present(fields, n)).collect();
                if set.len() > 1 {
                    issues.push(
                        Issue::new(format!("body.{}", set[1]), IssueCode::Conflict, format!("{provider} links a {kind} to one record only; give one of {}, not {}", names.join(", "), set.join(" and ")))
                            .with_meta(meta(json!({ "conflicts_with": set[0] }))),
                    );
                }
            }
            _ => {}
        }
    }
    issues
}

/// A phone number's extension has nowhere to go in the providers that take a bare
/// number; it is an error rather than a silently shortened number.
pub fn no_phone_extensions(provider: &str, fields: &Map<String, Value>) -> Vec<Issue> {
    let items = fields.get("phone_numbers").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut issues: Vec<Issue> = items
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get("extension").is_some_and(|e| !e.is_null()))
        .map(|(i, _)| Issue::new(format!("body.phone_numbers[{i}].extension"), IssueCode::UnsupportedField, format!("{provider} stores a bare phone number; it has no extension field")))
        .collect();
    for (i, p) in items.iter().enumerate() {
        if p.get("number").and_then(Value::as_str).map_or(true, str::is_empty) {
            issues.push(Issue::new(format!("body.phone_numbers[{i}].number"), IssueCode::Required, "is required"));
        }
    }
    issues
}

/// `{kind}:{native id}`: the unified id of a record stored in a per-type object.
pub fn typed_id(kind: &str, native: &str) -> String {
    format!("{kind}:{native}")
}

/// Splits a unified id into (engagement type, provider id). A plain provider id is
/// accepted when the `engagement_type` query parameter names the type.
pub fn split_typed_id<'a>(ctx: &'a Ctx, kinds: &[&'static str]) -> Result<(&'static str, &'a str)> {
    let id = ctx.id()?;
    if let Some((prefix, native)) = id.split_once(':') {
        if let Some(kind) = kinds.iter().copied().find(|k| *k == prefix) {
            if !native.is_empty() {
                return Ok((kind, native));
            }
        }
    }
    if let Some(kind) = engagement_type(ctx.fields).and_then(|t| kinds.iter().copied().find(|k| *k == t)) {
        return Ok((kind, id));
    }
    Err(Error::one_issue(
        Some(ctx.provider.name),
        Issue::new("id", IssueCode::InvalidFormat, format!("{} keeps each engagement type apart; use the id as returned (e.g. {}:123) or pass engagement_type", ctx.provider.name, kinds[0]))
            .with_meta(json!({ "types": kinds })),
    ))
}

/// The id of a unified `{id}` ref field.
pub fn ref_id(fields: &Map<String, Value>, name: &str) -> Option<String> {
    crate::convert::id_string(fields.get(name)?.get("id"))
}

/// The ids of a unified `[{id}]` field.
pub fn ref_ids(fields: &Map<String, Value>, name: &str) -> Vec<String> {
    fields.get(name).and_then(Value::as_array).map(|a| a.iter().filter_map(|x| crate::convert::id_string(x.get("id"))).collect()).unwrap_or_default()
}

/// `[{id}]` from provider ids (missing ones skipped).
pub fn ref_list<'a>(ids: impl IntoIterator<Item = Option<&'a Value>>) -> Value {
    Value::Array(ids.into_iter().map(crate::convert::id_ref).filter(|v| !v.is_null()).collect())
}

/// A provider id as a JSON number when it is one (Pipedrive and Copper ids are
/// numbers); anything else stays a string for the provider to judge.
pub fn numeric_or_string(id: &str) -> Value {
    match id.parse::<u64>() {
        Ok(n) if !id.starts_with('0') || id == "0" => Value::from(n),
        _ => Value::String(id.to_string()),
    }
}

/// Adds a warning for a provider type with no unified engagement type.
pub fn unknown_type_warning(w: &mut Vec<crate::error::Warning>, raw: &str) {
    w.push(crate::error::Warning {
        field: "engagement_type".into(),
        code: "unknown_engagement_type",
        message: format!("provider type {raw:?} has no unified engagement type; engagement_type is null, the original is in remote_data"),
    });
}

/// `end_time` must be after `start_time` when both are given.
pub fn end_after_start(fields: &Map<String, Value>) -> Option<Issue> {
    let at = |k: &str| fields.get(k).and_then(Value::as_str).and_then(crate::convert::parse_datetime);
    match (at("start_time"), at("end_time")) {
        (Some(start), Some(end)) if end <= start => Some(Issue::new("body.end_time", IssueCode::InvalidOrder, "must be after start_time")),
        _ => None,
    }
}

/// Maps a provider enum value through an explicit table; an unknown value becomes
/// `null` with a warning (the original stays in `remote_data`).
pub fn map_value(table: &[(&str, &str)], raw: Option<&str>, field: &str, w: &mut Vec<Warning>) -> Value {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Value::Null };
    match table.iter().find(|(p, _)| *p == raw) {
        Some((_, u)) => json!(u),
        None => {
            w.push(Warning { field: field.into(), code: "unknown_value", message: format!("provider value {raw:?} has no unified equivalent; {field} is null, the original is in remote_data") });
            Value::Null
        }
    }
}

/// A list exchange whose parser and mapper see the paging state of the page they
/// read. Providers that page through one object per engagement type need it: the
/// records do not say which object they came from, the state does.
pub struct TypedPaged {
    pub build: fn(&Ctx, &Value) -> Result<HttpRequest>,
    pub parse: StatePageParser,
    pub map: StateItemMapper,
    state: Value,
}

/// Reads a page response, given the paging state of the request it answers.
pub type StatePageParser = fn(&Ctx, &Value, Value) -> Result<RawPage>;
/// Maps one list item, given the paging state of its page.
pub type StateItemMapper = fn(&Ctx, &Value, &Value, &mut Vec<Warning>) -> Result<Map<String, Value>>;

impl TypedPaged {
    pub fn boxed(build: fn(&Ctx, &Value) -> Result<HttpRequest>, parse: StatePageParser, map: StateItemMapper) -> Result<Box<dyn Exchange>> {
        Ok(Box::new(TypedPaged { build, parse, map, state: Value::Null }))
    }
}

impl Exchange for TypedPaged {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.page(ctx, &Value::Null)
    }
    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        self.state = state.clone();
        (self.build)(ctx, state).map(Next::Send)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let body = resp.json(ctx.provider.name)?;
        let page = (self.parse)(ctx, &self.state, body)?;
        page_of(ctx, page, |raw, w| (self.map)(ctx, &self.state, raw, w))
    }
}

/// Maps the items of a parsed page, prefixing item warnings with `result[i]`.
pub fn page_of(ctx: &Ctx, page: RawPage, map: impl Fn(&Value, &mut Vec<Warning>) -> Result<Map<String, Value>>) -> Result<Next> {
    let mut warnings = Vec::new();
    let mut items = Vec::with_capacity(page.items.len());
    for (i, raw) in page.items.into_iter().enumerate() {
        let record = if ctx.skip_mapping() {
            Map::new()
        } else {
            let mut w = Vec::new();
            let r = map(&raw, &mut w)?;
            warnings.extend(w.into_iter().map(|x| Warning { field: format!("result[{i}].{}", x.field), ..x }));
            r
        };
        items.push((record, raw));
    }
    Ok(Next::Page { items, next: page.next, warnings })
}

/// Page size: the caller's `limit`, else the provider default, at most its maximum.
pub fn page_size(ctx: &Ctx, default: u32, max: u32) -> u32 {
    ctx.query.limit.unwrap_or(default).clamp(1, max)
}

#[cfg(test)]
pub mod walk {
    //! Walks the coverage data of one provider and proves that every request field
    //! it calls supported changes the provider request: the field is set (or set to
    //! another value), the request is planned, and the plans must differ.

    use serde_json::{json, Value};

    use crate::error::Error;
    use crate::http::HttpRequest;
    use crate::schema::Kind;
    use crate::testing::{drive, drive_pages, input, Script};

    /// Drives one `crm/engagements` operation over scripted responses.
    pub fn run(account: &Value, method: &str, id: Option<&str>, body: Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Value, Error>) {
        drive(input(account.clone(), "crm", "engagements", method, id, body, query), script)
    }

    /// Drives a list through every page.
    pub fn list_pages(account: &Value, query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>, Error>) {
        drive_pages(input(account.clone(), "crm", "engagements", "list", None, Value::Null, query), script)
    }

    /// The unified error JSON of a create that fails before anything is sent.
    pub fn create_error(account: &Value, body: Value) -> Value {
        let (sent, out) = run(account, "create", None, body, json!({}), Script::default());
        assert!(sent.is_empty(), "nothing may be sent: {sent:?}");
        out.expect_err("expected an error").to_json()
    }

    /// `(field, code)` of each validation issue.
    pub fn issue_codes(err: &Value) -> Vec<(String, String)> {
        err["details"].as_array().into_iter().flatten().map(|d| (d["field"].as_str().unwrap_or("").to_string(), d["code"].as_str().unwrap_or("").to_string())).collect()
    }

    fn samples(kind: &Kind, allowed: Option<&Vec<Value>>) -> Vec<Value> {
        if let Some(a) = allowed {
            return a.clone();
        }
        match kind {
            Kind::Enum(values) => values.iter().map(|v| json!(v)).collect(),
            Kind::Ref => vec![json!({"id": "4242"}), json!({"id": "4343"})],
            Kind::RefList => vec![json!([{"id": "4242"}]), json!([{"id": "4343"}])],
            Kind::DateTime => vec![json!("2024-06-15T11:30:00Z"), json!("2024-06-16T12:00:00Z")],
            Kind::Integer | Kind::Number => vec![json!(1800), json!(3600)],
            Kind::StructList(_) => vec![json!([{"number": "+15551234567"}]), json!([{"number": "+15557654321"}])],
            Kind::Record => vec![json!({"walk_custom_field": "walk"}), json!({"walk_custom_field": "other"})],
            _ => vec![json!("walk sample"), json!("another walk sample")],
        }
    }

    /// Every request the operation sends while `canned` answers last; `None` when
    /// the input is refused.
    fn plan(account: &Value, method: &str, body: &Value, query: &Value, canned: &[Value]) -> Option<Value> {
        use crate::operation::{Operation, Step};
        let (mut op, mut step) = Operation::start(input(account.clone(), "crm", "engagements", method, None, body.clone(), query.clone()), crate::testing::T0).ok()?;
        let mut sent = Vec::new();
        for answer in canned.iter().map(Some).chain([None]) {
            let Step::Send(req) = step else { break };
            sent.push(serde_json::to_value(&req).ok()?);
            let Some(answer) = answer else { break };
            step = op.handle_response(crate::http::HttpResponse::new(200, answer.to_string()), crate::testing::T0).ok()?;
        }
        Some(Value::Array(sent))
    }

    /// Every supported field of `method` (create: body, list: query filters the
    /// provider applies) must change the planned request for at least one of the
    /// `bases` (complete, valid inputs, one per engagement type worth trying).
    pub fn supported_fields_reach_request(provider: &str, account: Value, method: &str, bases: &[Value]) {
        supported_fields_reach_request_after(provider, account, method, bases, &[]);
    }

    /// The same, for operations that look something up first: `canned` answers the
    /// look-ups, and every request sent is compared.
    pub fn supported_fields_reach_request_after(provider: &str, account: Value, method: &str, bases: &[Value], canned: &[Value]) {
        let cov = crate::coverage::coverage();
        let side = &cov["crm"]["engagements"][method]["request"];
        let res = &crate::models::CRM_ENGAGEMENTS;
        let schema = if method == "create" { res.body } else { res.filters };
        let mut unproven = Vec::new();
        let mut checked = 0;
        for f in schema {
            let cell = &side[f.name][provider];
            if cell["supported"] != true || cell["applied_by"] == "crosswalk" {
                continue;
            }
            checked += 1;
            let allowed = cell["allowed"].as_array();
            let proven = bases.iter().any(|base| {
                let mut variants = vec![None];
                variants.extend(samples(&f.kind, allowed).into_iter().map(Some));
                let plans: Vec<Value> = variants
                    .into_iter()
                    .filter_map(|v| {
                        let mut input = base.clone();
                        match v {
                            Some(v) => input[f.name] = v,
                            None => {
                                input.as_object_mut().map(|m| m.remove(f.name));
                            }
                        }
                        if method == "create" { plan(&account, method, &input, &json!({}), canned) } else { plan(&account, method, &Value::Null, &input, canned) }
                    })
                    .collect();
                plans.iter().any(|p| plans.iter().any(|q| p != q))
            });
            if !proven {
                unproven.push(f.name);
            }
        }
        assert!(checked > 0, "{provider}: no supported {method} fields in coverage");
        assert!(unproven.is_empty(), "{provider} {method}: supported fields that never change the request: {unproven:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[TypeRule] = &[
        TypeRule::Only("direction", &["call"]),
        TypeRule::Required("start_time", &["meeting"]),
        TypeRule::Values("status", &["meeting"], &["scheduled"]),
        TypeRule::AnyOf(&["contacts", "account"], &["note"]),
        TypeRule::AtMostOne(&["account", "opportunity"], &["call", "note"]),
    ];

    fn issues(v: Value) -> Vec<(String, IssueCode)> {
        check_types("acme", v.as_object().unwrap(), RULES).into_iter().map(|i| (i.field, i.code)).collect()
    }

    #[test]
    fn per_type_rules() {
        assert!(issues(json!({"engagement_type": "call", "direction": "inbound"})).is_empty());
        assert_eq!(
            issues(json!({"engagement_type": "meeting", "direction": "inbound", "status": "sent"})),
            vec![("body.direction".into(), IssueCode::UnsupportedField), ("body.start_time".into(), IssueCode::Required), ("body.status".into(), IssueCode::NotOneOf)]
        );
        assert_eq!(issues(json!({"engagement_type": "note", "contacts": []})), vec![("body.contacts".into(), IssueCode::Required)]);
        assert_eq!(issues(json!({"engagement_type": "note", "account": {"id": "1"}, "opportunity": {"id": "2"}})), vec![("body.opportunity".into(), IssueCode::Conflict)]);
        let detail = &check_types("acme", json!({"engagement_type": "note", "direction": "inbound", "account": {"id": "1"}}).as_object().unwrap(), RULES)[0];
        assert_eq!(detail.meta["supported_for"], json!(["call"]));
        assert_eq!(detail.meta["engagement_type"], "note");
    }

    #[test]
    fn phone_extensions_are_refused() {
        let f = json!({"phone_numbers": [{"number": "+1555", "extension": "12"}, {"type": "work"}]});
        let got: Vec<String> = no_phone_extensions("acme", f.as_object().unwrap()).into_iter().map(|i| i.field).collect();
        assert_eq!(got, vec!["body.phone_numbers[0].extension", "body.phone_numbers[1].number"]);
    }

    #[test]
    fn ids_and_numbers() {
        assert_eq!(typed_id("call", "123"), "call:123");
        assert_eq!(numeric_or_string("123"), json!(123));
        assert_eq!(numeric_or_string("0123"), json!("0123"));
        assert_eq!(numeric_or_string("abc-1"), json!("abc-1"));
        let f = json!({"contacts": [{"id": "1"}, {"id": 2}], "owner": {"id": 7}});
        assert_eq!(ref_ids(f.as_object().unwrap(), "contacts"), vec!["1", "2"]);
        assert_eq!(ref_id(f.as_object().unwrap(), "owner").unwrap(), "7");
        assert_eq!(ref_list([Some(&json!(5)), None, Some(&json!("x"))]), json!([{"id": "5"}, {"id": "x"}]));
    }
}
