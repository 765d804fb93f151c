//! Pieces shared by the CRM engagement providers that keep each engagement type in
//! its own resource and link a record to one parent (Zendesk Sell, Capsule,
//! OnePageCRM) or take integer ids (Affinity too):
//! - which unified fields a given engagement type can carry on a provider;
//! - the one-parent rule (several links where the provider stores one is an error,
//!   never a silently dropped link);
//! - integer ids, checked before anything is sent;
//! - [`TypedPages`], a list that walks one endpoint per engagement type in turn.

use serde_json::{json, Map, Value};

use crate::error::{Issue, IssueCode, Result, Warning};
use crate::http::{HttpRequest, HttpResponse};

use super::{Ctx, Exchange, Next};

/// `(unified field, engagement types that can carry it)`. Fields not listed apply to
/// every type the provider accepts.
pub(crate) type Applies = &'static [(&'static str, &'static [&'static str])];

pub(crate) fn engagement_type(fields: &Map<String, Value>) -> Option<&str> {
    fields.get("engagement_type").and_then(Value::as_str)
}

/// A field is set when it is not null and, for lists, not empty.
pub(crate) fn present(fields: &Map<String, Value>, name: &str) -> bool {
    match fields.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

/// Issues for fields the chosen engagement type cannot carry on this provider.
pub(crate) fn type_issues(provider: &str, fields: &Map<String, Value>, applies: Applies, default_type: &str) -> Vec<Issue> {
    let ty = engagement_type(fields).unwrap_or(default_type);
    applies
        .iter()
        .filter(|(field, types)| present(fields, field) && !types.contains(&ty))
        .map(|(field, types)| {
            Issue::new(
                format!("body.{field}"),
                IssueCode::UnsupportedField,
                format!("{provider} keeps {field} only on {} engagements, not on a {ty}", types.join("/")),
            )
            .with_meta(json!({ "provider": provider, "engagement_type": ty, "applies_to": types }))
        })
        .collect()
}

/// The one-parent rule: at most one of `parents` may be set (the provider stores a
/// single link), and with `required` at least one.
pub(crate) fn one_parent(provider: &str, fields: &Map<String, Value>, parents: &[&str], required: bool) -> Vec<Issue> {
    let set: Vec<&str> = parents.iter().copied().filter(|p| present(fields, p)).collect();
    if set.len() > 1 {
        return set
            .iter()
            .skip(1)
            .map(|f| {
                Issue::new(
                    format!("body.{f}"),
                    IssueCode::Conflict,
                    format!("{provider} links an engagement to one record; {} were given, so one link would be lost — send only one", set.join(" and ")),
                )
                .with_meta(json!({ "provider": provider, "conflicting": set, "one_of": parents }))
            })
            .collect();
    }
    if required && set.is_empty() {
        return vec![Issue::new(
            format!("body.{}", parents.join("|")),
            IssueCode::Required,
            format!("{provider} needs the record this engagement belongs to: one of {}", parents.join(", ")),
        )
        .with_meta(json!({ "provider": provider, "one_of": parents }))];
    }
    Vec::new()
}

/// An id as an integer: a JSON integer or a string of digits.
pub(crate) fn int_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    }
}

/// Issues for ids in `names` (refs or ref lists) that are not integers.
pub(crate) fn int_id_issues(provider: &str, fields: &Map<String, Value>, names: &[&str]) -> Vec<Issue> {
    let mut out = Vec::new();
    for name in names {
        let ids: Vec<(String, &Value)> = match fields.get(*name) {
            Some(Value::Array(items)) => items.iter().enumerate().filter_map(|(i, x)| x.get("id").map(|id| (format!("body.{name}[{i}].id"), id))).collect(),
            Some(Value::Object(m)) => m.get("id").map(|id| (format!("body.{name}.id"), id)).into_iter().collect(),
            _ => Vec::new(),
        };
        for (path, id) in ids {
            if int_id(id).is_none() {
                out.push(Issue::new(path, IssueCode::InvalidFormat, format!("{provider} ids are integers")).with_meta(json!({ "provider": provider })));
            }
        }
    }
    out
}

/// The id of a ref field, or of the first item of a ref list.
pub(crate) fn ref_id<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    match fields.get(name)? {
        Value::Array(items) => items.first()?.get("id"),
        other => other.get("id"),
    }
}

/// The id of a ref field as JSON: an integer when the provider uses integers.
pub(crate) fn ref_json(fields: &Map<String, Value>, name: &str, integers: bool) -> Option<Value> {
    let id = ref_id(fields, name)?;
    Some(match (integers, int_id(id)) {
        (true, Some(n)) => json!(n),
        _ => Value::String(crate::convert::id_string(Some(id))?),
    })
}

/// `[{ "id": … }]` from provider ids, skipping nulls.
pub(crate) fn ref_list(ids: Option<&Value>) -> Value {
    Value::Array(ids.and_then(Value::as_array).map(|a| a.iter().map(|i| crate::convert::id_ref(Some(i))).filter(|r| !r.is_null()).collect()).unwrap_or_default())
}

/// Builds the request for one page of one kind (`state` is this kind's own paging
/// state, `Value::Null` for its first page).
pub(crate) type KindRequest = fn(&Ctx, &str, &Value) -> Result<HttpRequest>;
/// Reads one page of one kind (given the state that requested it): raw items and
/// this kind's next state (`None` on its last page).
pub(crate) type KindParser = fn(&Ctx, &str, &Value, &HttpResponse, Value) -> Result<(Vec<Value>, Option<Value>)>;
/// Maps one raw item of one kind.
pub(crate) type KindMapper = fn(&Ctx, &str, &Value, &mut Vec<Warning>) -> Result<Map<String, Value>>;

/// A list over several endpoints (calls, then notes, then tasks…), each paged on
/// its own. The unified state is `{ "kind": …, "state": … }`, so a cursor resumes
/// inside the right endpoint; after a kind's last page the next kind starts.
pub(crate) struct TypedPages {
    kinds: Vec<&'static str>,
    build: KindRequest,
    parse: KindParser,
    map: KindMapper,
    current: Option<(&'static str, Value)>,
    notice: Option<Warning>,
}

impl TypedPages {
    pub(crate) fn boxed(kinds: Vec<&'static str>, build: KindRequest, parse: KindParser, map: KindMapper) -> Result<Box<dyn Exchange>> {
        Self::with_notice(kinds, build, parse, map, None)
    }
    /// As [`TypedPages::boxed`], with a warning reported on the first page (e.g. a
    /// kind this filter cannot reach).
    pub(crate) fn with_notice(kinds: Vec<&'static str>, build: KindRequest, parse: KindParser, map: KindMapper, notice: Option<Warning>) -> Result<Box<dyn Exchange>> {
        Ok(Box::new(TypedPages { kinds, build, parse, map, current: None, notice }))
    }
}

impl Exchange for TypedPages {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        let first = self.kinds.first().copied().unwrap_or_default();
        self.page(ctx, &json!({ "kind": first, "state": null }))
    }

    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        let wanted = state.get("kind").and_then(Value::as_str).unwrap_or_default();
        // A cursor can only name a kind this request walks (a cursor from another
        // filter is not valid here).
        let kind = self.kinds.iter().copied().find(|k| *k == wanted).ok_or_else(|| crate::error::Error::InvalidCursor {
            reason: format!("the cursor is for {wanted:?}, which this list does not walk"),
        })?;
        let inner = state.get("state").cloned().unwrap_or(Value::Null);
        let req = (self.build)(ctx, kind, &inner)?;
        self.current = Some((kind, inner));
        Ok(Next::Send(req))
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let Some((kind, state)) = self.current.clone() else {
            return Err(crate::error::Error::Misuse { reason: "a page arrived before it was asked for".into() });
        };
        let body = resp.json(ctx.provider.name)?;
        let (raw_items, next_inner) = (self.parse)(ctx, kind, &state, resp, body)?;
        let next = match next_inner {
            Some(s) => Some(json!({ "kind": kind, "state": s })),
            None => self.kinds.iter().position(|k| *k == kind).and_then(|i| self.kinds.get(i + 1)).map(|k| json!({ "kind": k, "state": null })),
        };
        let mut warnings: Vec<Warning> = self.notice.take().into_iter().collect();
        let mut items = Vec::with_capacity(raw_items.len());
        for (i, raw) in raw_items.into_iter().enumerate() {
            let record = if ctx.skip_mapping() {
                Map::new()
            } else {
                let mut w = Vec::new();
                let r = (self.map)(ctx, kind, &raw, &mut w)?;
                warnings.extend(w.into_iter().map(|x| Warning { field: format!("result[{i}].{}", x.field), ..x }));
                r
            };
            items.push((record, raw));
        }
        Ok(Next::Page { items, next, warnings })
    }
}

/// Page size: the caller's `limit`, else `default`, never above the provider's `max`.
pub(crate) fn page_size(ctx: &Ctx, default: u32, max: u32) -> u32 {
    ctx.query.limit.unwrap_or(default).clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn type_applicability() {
        const A: Applies = &[("direction", &["call"]), ("owner", &["call", "task"])];
        let f = fields(json!({"engagement_type": "note", "direction": "inbound", "owner": {"id": "1"}, "contacts": []}));
        let issues = type_issues("p", &f, A, "note");
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].field, "body.direction");
        assert_eq!(issues[0].code, IssueCode::UnsupportedField);
        assert_eq!(issues[1].meta["applies_to"], json!(["call", "task"]));
        assert!(type_issues("p", &fields(json!({"engagement_type": "call", "direction": "inbound"})), A, "note").is_empty());
    }

    #[test]
    fn one_parent_rule() {
        let both = fields(json!({"contacts": [{"id": "1"}], "opportunity": {"id": "2"}, "lead": []}));
        let issues = one_parent("p", &both, &["contacts", "lead", "opportunity"], false);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "body.opportunity");
        assert_eq!(issues[0].code, IssueCode::Conflict);
        assert_eq!(issues[0].meta["conflicting"], json!(["contacts", "opportunity"]));
        let none = one_parent("p", &fields(json!({"lead": []})), &["contacts", "lead"], true);
        assert_eq!(none[0].field, "body.contacts|lead");
        assert_eq!(none[0].code, IssueCode::Required);
        assert!(one_parent("p", &fields(json!({"lead": [{"id": "3"}]})), &["contacts", "lead"], true).is_empty());
    }

    #[test]
    fn integer_ids() {
        assert_eq!(int_id(&json!("123")), Some(123));
        assert_eq!(int_id(&json!(7)), Some(7));
        for bad in [json!("12a"), json!(""), json!("-1"), json!(1.5), json!("1234567890123456789")] {
            assert_eq!(int_id(&bad), None, "{bad}");
        }
        let f = fields(json!({"contacts": [{"id": "1"}, {"id": "x"}], "account": {"id": "y"}}));
        let issues = int_id_issues("p", &f, &["contacts", "account"]);
        let paths: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(paths, ["body.contacts[1].id", "body.account.id"]);
        assert_eq!(ref_json(&f, "contacts", true), Some(json!(1)));
        assert_eq!(ref_json(&f, "account", false), Some(json!("y")));
        assert_eq!(ref_list(Some(&json!([1, null, "b"]))), json!([{"id": "1"}, {"id": "b"}]));
    }

    /// A minimal valid create body for `provider` and `ty`, with one parent link.
    fn base(provider: &str, ty: &str) -> Value {
        match (provider, ty) {
            ("zendesk_sell", _) => json!({"engagement_type": ty, "content": "base content"}),
            ("capsule", "task") => json!({"engagement_type": ty, "subject": "base subject", "start_time": "2020-01-01T00:00:00Z", "contacts": [{"id": 1}]}),
            ("capsule", _) => json!({"engagement_type": ty, "content": "base content", "contacts": [{"id": 1}]}),
            ("affinity", _) => json!({"content": "base content", "contacts": [{"id": 1}]}),
            _ => json!({"engagement_type": ty, "content": "base content", "contacts": [{"id": "base-contact"}]}),
        }
    }

    /// The type to try a field on: the first the provider stores it on.
    fn type_for(provider: &str, field: &str) -> &'static str {
        let applies: Applies = match provider {
            "zendesk_sell" => crate::providers::zendesk_sell::APPLIES,
            "capsule" => crate::providers::capsule::APPLIES,
            "onepagecrm" => crate::providers::onepagecrm::APPLIES,
            _ => &[],
        };
        let default = if provider == "zendesk_sell" { "call" } else { "note" };
        applies.iter().find(|(f, _)| *f == field).map(|(_, types)| types[0]).unwrap_or(default)
    }

    /// A sample value and, where the value survives conversion, a marker that must
    /// appear in the provider request.
    fn sample(field: &str) -> (Value, Option<&'static str>) {
        match field {
            "content" => (json!("marker-content"), Some("marker-content")),
            "subject" => (json!("marker-subject"), Some("marker-subject")),
            "owner" => (json!({"id": "90001"}), Some("90001")),
            "contacts" => (json!([{"id": "90002"}]), Some("90002")),
            "account" => (json!({"id": "90003"}), Some("90003")),
            "opportunity" => (json!({"id": "90004"}), Some("90004")),
            "lead" => (json!([{"id": "90005"}]), Some("90005")),
            "project" => (json!({"id": "90006"}), Some("90006")),
            "duration" => (json!(90007), Some("90007")),
            "direction" => (json!("missed"), None),
            "start_time" => (json!("2021-03-04T05:06:07Z"), None),
            "created_at" => (json!("2020-02-03T04:05:06Z"), Some("2020-02-03T04:05:06")),
            "phone_numbers" => (json!([{"number": "marker-phone"}]), Some("marker-phone")),
            "remote_data" => (json!({"marker_remote": true}), Some("marker_remote")),
            other => panic!("no sample for {other}: add one so the coverage walk can test it"),
        }
    }

    /// The provider's write request (the last one sent) for a body, as text.
    fn write_request(provider: &str, body: Value) -> String {
        let account = json!({"id": "a", "provider": provider, "credentials": {"access_token": "t", "api_key": "k"}, "context": {"user_id": "u"}});
        let types = crate::testing::fixture("capsule/doc.activitytypes.list.response.json");
        let script = crate::testing::Script::ok(200, &types).then(201, &json!({"entry": {"id": 1}})).then(201, &json!({}));
        let (sent, out) = crate::testing::drive(crate::testing::input(account, "crm", "engagements", "create", None, body.clone(), json!({})), script);
        let req = sent.last().unwrap_or_else(|| panic!("{provider}: nothing sent for {body}: {:?}", out.err().map(|e| e.to_json())));
        format!("{} {} {}", req.method.as_str(), req.url, req.body_json().map(Value::to_string).unwrap_or_default())
    }

    /// Walks coverage() for these providers: every request field marked supported
    /// must change the request the provider receives (and carry its value there).
    #[test]
    fn every_supported_create_field_reaches_the_provider_request() {
        let cov = crate::coverage::coverage();
        let request = cov["crm"]["engagements"]["create"]["request"].as_object().cloned().unwrap_or_default();
        let mut checked = 0;
        for provider in ["zendesk_sell", "capsule", "affinity", "onepagecrm"] {
            // Capsule's base body carries a parent that another parent would conflict with.
            let parents: &[&str] = if provider == "capsule" { &["contacts", "account", "opportunity", "project"] } else { &[] };
            for (field, per) in &request {
                if per[provider]["supported"] != true {
                    continue;
                }
                if field == "engagement_type" {
                    let allowed: Vec<&str> = per[provider]["allowed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
                    if let [a, b, ..] = allowed.as_slice() {
                        assert_ne!(write_request(provider, base(provider, a)), write_request(provider, base(provider, b)), "{provider}: engagement_type");
                    } else {
                        // One representable type: the field only validates (others are rejected).
                        let (sent, out) = crate::testing::drive(
                            crate::testing::input(json!({"provider": provider, "credentials": {"api_key": "k"}}), "crm", "engagements", "create", None, json!({"engagement_type": "call", "content": "x", "contacts": [{"id": 1}]}), json!({})),
                            crate::testing::Script::default(),
                        );
                        assert!(sent.is_empty() && out.is_err(), "{provider}: engagement_type call must be rejected");
                    }
                    checked += 1;
                    continue;
                }
                let ty = type_for(provider, field);
                let without = base(provider, ty);
                let mut with = without.clone();
                let (value, marker) = sample(field);
                if parents.contains(&field.as_str()) {
                    for p in parents {
                        with.as_object_mut().unwrap().remove(*p);
                    }
                }
                with[field.as_str()] = value;
                let (a, b) = (write_request(provider, without), write_request(provider, with));
                assert_ne!(a, b, "{provider}: {field} did not change the request");
                if let Some(m) = marker {
                    assert!(b.contains(m) && !a.contains(m), "{provider}: {field} value missing from {b}");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 38, "fields walked");
    }

    /// Same walk for list filters: each filter the provider applies changes the first
    /// list request; the ones crosswalk applies leave it alone.
    #[test]
    fn every_provider_applied_filter_reaches_the_list_request() {
        let cov = crate::coverage::coverage();
        let request = cov["crm"]["engagements"]["list"]["request"].as_object().cloned().unwrap_or_default();
        let first_list_request = |provider: &str, query: Value| {
            let account = json!({"id": "a", "provider": provider, "credentials": {"access_token": "t", "api_key": "k"}, "context": {"user_id": "u"}});
            let (sent, out) = crate::testing::drive(crate::testing::input(account, "crm", "engagements", "list", None, Value::Null, query.clone()), crate::testing::Script::ok(404, &json!({})));
            let req = sent.first().unwrap_or_else(|| panic!("{provider}: nothing sent for {query}: {:?}", out.err().map(|e| e.to_json())));
            req.url.clone()
        };
        let mut checked = 0;
        for provider in ["zendesk_sell", "capsule", "affinity", "onepagecrm"] {
            let plain = first_list_request(provider, json!({}));
            for (field, per) in &request {
                let cell = &per[provider];
                if cell["supported"] != true {
                    continue;
                }
                let value = match field.as_str() {
                    "engagement_type" => cell["allowed"].as_array().and_then(|a| a.last()).cloned().unwrap_or(json!("note")),
                    "contact_id" => json!("90010"),
                    "account_id" => json!("90011"),
                    _ => json!({"gte": "2021-03-04T05:06:07Z"}),
                };
                let url = first_list_request(provider, json!({ field.as_str(): value }));
                if cell["applied_by"] == "provider" {
                    assert_ne!(url, plain, "{provider}: filter {field} did not change the request");
                } else {
                    assert_eq!(url, plain, "{provider}: local filter {field} changed the request");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 20, "filters walked");
    }
}
