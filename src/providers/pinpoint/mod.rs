//! Pinpoint — JSON:API at `https://{subdomain}.pinpointhq.com/api/v1` (Graphiti-style
//! `filter[field][gt|lt]`, `include`, `page[number]`/`page[size]`).
//! Docs: https://developers.pinpointhq.com/reference/get-interviews and
//! .../get-interview (OpenAPI v1.0.27, read through a reconstruction of those pages;
//! see tests/fixtures/pinpoint/README.md).
//! Auth: `X-API-KEY: <key>` (the key needs Interview: Read); `Accept: application/vnd.api+json`.
//! The collection document has `data`, `included` and a free-form `meta`, no `links`:
//! paging is by page number, and a page shorter than `page[size]` is the last one.
//! Because a server that ignored `page[number]` would return the same full page
//! forever, each page's first id travels in the paging state and a repeat is an error.
//! Pinpoint documents `status` only as a string (no values), so `status` is unsupported
//! (always null, not in `returns`; the original is in `remote_data.attributes.status`).


use serde_json::{json, Map, Value};
use time::Duration;

use crate::provider::account::Account;
use crate::codec::convert::{get, get_str, id_ref, id_string, iso_or_null, iso_utc};
use crate::error::{Error, Result, Warning};
use crate::unified::filters::window;
use crate::codec::http::{host_label, HttpRequest, HttpResponse, Method};
use crate::unified::schema::{FieldMap, UnifiedMethod};

use crate::provider::{Ctx, Exchange, Next, OpDef, ProviderDef, Single};

pub const PROVIDER: ProviderDef = ProviderDef {
    name: "pinpoint",
    label: "Pinpoint",
    docs: "https://developers.pinpointhq.com/reference",
    hosts: &["*.pinpointhq.com"],
    origin: |account| Ok(format!("https://{}.pinpointhq.com", host_label(&account.context_str("subdomain")?, "account.context.subdomain")?)),
    auth,
    idempotency_header: None,
    ops: &[
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::List,
            fields: FILTERS,
            returns: RETURNS,
            start: |ctx| {
                // `filter[interviewable_id]` also matches job seekers with that id.
                let local = if ctx.fields.contains_key("application_id") { vec!["application_id"] } else { Vec::new() };
                Ok(Box::new(Pages { local, ..Pages::default() }))
            },
            check: None,
            notes: "GET /api/v1/interviews?include=stage; page[number]/page[size] ≤ 1000; status is unsupported: Pinpoint documents no status values (always null; the original is in remote_data.attributes.status); application_id is re-checked because interviewable_id may name a job seeker",
        },
        OpDef {
            model: "ats",
            resource: "interviews",
            method: UnifiedMethod::Get,
            fields: &[],
            returns: RETURNS,
            start: start_get,
            check: None,
            notes: "GET /api/v1/interviews/{id}?include=stage",
        },
    ],
};

const FILTERS: &[FieldMap] = &[
    FieldMap::custom("application_id", "filter[interviewable_id] (re-checked by crosswalk)"),
    FieldMap::custom("created_at", "filter[created_at][gt] / [lt]"),
    FieldMap::custom("updated_at", "filter[updated_at][gt] / [lt]"),
    FieldMap::custom("start_at", "filter[start_at][gt] / [lt]"),
    FieldMap::local("end_at"),
];

const RETURNS: &[&str] = &["id", "application", "created_at", "end_at", "job_interview_stage", "start_at", "updated_at"];


const PAGE_MAX: u32 = 1000;

fn auth(account: &Account, req: HttpRequest) -> Result<HttpRequest> {
    Ok(req.secret_header("x-api-key", account.credential("api_key")?).header("accept", "application/vnd.api+json"))
}

fn page_size(ctx: &Ctx) -> u32 {
    ctx.query.limit.unwrap_or(100).clamp(1, PAGE_MAX)
}

fn list_request(ctx: &Ctx, page: u64) -> Result<HttpRequest> {
    let mut url = ctx.url().path("/api/v1/interviews").query("include", "stage").query("page[number]", page.to_string()).query("page[size]", page_size(ctx).to_string());
    url = url.query_opt("filter[interviewable_id]", ctx.field_str("application_id"));
    for field in ["created_at", "updated_at", "start_at"] {
        let Some(v) = ctx.fields.get(field) else { continue };
        // Pinpoint's bounds are strict (`gt`, `lt`): one second below an inclusive lower
        // bound keeps a record exactly on it; crosswalk's re-check trims the rest.
        let w = window(field, v);
        url = url
            .query_opt(&format!("filter[{field}][gt]"), w.after.map(|a| a.checked_sub(Duration::SECOND).map(iso_utc).filter(|s| !s.is_empty()).unwrap_or_else(|| iso_utc(a))))
            .query_opt(&format!("filter[{field}][lt]"), w.before.map(iso_utc));
    }
    ctx.request(Method::Get, url.queries(ctx.query.remote_query.iter().cloned()).build())
}

/// Page-number paging with a repeat check (see the module doc).
#[derive(Default)]
struct Pages {
    page: u64,
    prev_first: Option<String>,
    local: Vec<&'static str>,
}

impl Exchange for Pages {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.page = 1;
        list_request(ctx, 1).map(Next::Send)
    }
    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        self.page = crate::provider::state_count(state, "page", 0)?;
        if self.page < 2 {
            return Err(Error::InvalidCursor { reason: "no Pinpoint page number in it".into() });
        }
        self.prev_first = get_str(state, "prev_first").map(str::to_string);
        list_request(ctx, self.page).map(Next::Send)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let mut body = resp.json("pinpoint")?;
        let stages = stage_names(&body);
        let Some(Value::Array(data)) = body.get_mut("data").map(Value::take) else {
            return Err(Error::protocol("pinpoint", "interviews list has no data array"));
        };
        let first = data.first().and_then(|d| id_string(d.get("id")));
        if first.is_some() && first == self.prev_first {
            return Err(Error::PaginationLoop { provider: "pinpoint".into(), pages: u32::try_from(self.page).unwrap_or(u32::MAX) });
        }
        let full = data.len() >= page_size(ctx) as usize;
        let next = if full { Some(json!({ "page": crate::provider::next_count(self.page, 1)?, "prev_first": first })) } else { None };
        let mut warnings = Vec::new();
        let mut items = Vec::with_capacity(data.len());
        for (i, raw) in data.into_iter().enumerate() {
            let record = if ctx.skip_mapping() {
                Map::new()
            } else {
                let mut w = Vec::new();
                let r = map_interview(&raw, &stages, &mut w)?;
                warnings.extend(w.into_iter().map(|x| Warning { field: format!("result[{i}].{}", x.field), ..x }));
                r
            };
            items.push((record, raw));
        }
        Ok(Next::Page { items, next, warnings })
    }
    fn on_failure(&mut self, _ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Err(remote_error(resp))
    }
    fn locally_applied(&self) -> &[&'static str] {
        &self.local
    }
}

/// JSON:API error documents carry `errors[].detail` / `title`.
fn remote_error(resp: &HttpResponse) -> Error {
    match crate::provider::remote_error("pinpoint", resp) {
        Error::Remote { provider, status, message, body } => {
            let jsonapi = get_str(&body, "errors.0.detail").or_else(|| get_str(&body, "errors.0.title")).map(str::to_string);
            Error::Remote { provider, status, message: jsonapi.or(message), body }
        }
        other => other,
    }
}

fn start_get(ctx: &Ctx) -> Result<Box<dyn Exchange>> {
    let url = ctx.url().path("/api/v1/interviews").seg(ctx.id()?).query("include", "stage").queries(ctx.query.remote_query.iter().cloned()).build();
    Ok(Box::new(Get(Single { request: Some(ctx.request(Method::Get, url)?), map: |_, mut body, w| {
        let stages = stage_names(&body);
        let data = body.get_mut("data").map(Value::take).filter(Value::is_object).ok_or_else(|| Error::protocol("pinpoint", "interview response has no data object"))?;
        Ok((map_interview(&data, &stages, w)?, data))
    } })))
}

/// `Single` with Pinpoint's error reading.
struct Get(Single);

impl Exchange for Get {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.0.start(ctx)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        self.0.on_success(ctx, resp)
    }
    fn on_failure(&mut self, _ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Err(remote_error(resp))
    }
}

/// Stage id → name from the `included` stages.
fn stage_names(body: &Value) -> Map<String, Value> {
    body.get("included")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| get_str(r, "type") == Some("stages"))
        .filter_map(|r| Some((id_string(r.get("id"))?, get(r, "attributes.name").cloned().unwrap_or(Value::Null))))
        .collect()
}

fn map_interview(item: &Value, stages: &Map<String, Value>, _: &mut Vec<Warning>) -> Result<Map<String, Value>> {
    let id = id_string(item.get("id")).ok_or_else(|| Error::protocol("pinpoint", "interview has no id"))?;
    let attr = |k: &str| get(item, &format!("attributes.{k}"));
    // `interviewable` is an application or a job seeker (talent pipeline).
    let interviewable = get(item, "relationships.interviewable.data");
    let application = match interviewable {
        Some(d) => if get_str(d, "type") == Some("applications") { id_ref(d.get("id")) } else { Value::Null },
        // Without linkage, the polymorphic attributes (Rails class names, as in
        // Pinpoint's `commentable_type` values).
        None if attr("interviewable_type").and_then(Value::as_str) == Some("Application") => id_ref(attr("interviewable_id")),
        None => Value::Null,
    };
    let stage = id_string(get(item, "relationships.stage.data.id"));
    let mut r = Map::new();
    r.insert("id".into(), json!(id));
    r.insert("application".into(), application);
    r.insert("candidate".into(), Value::Null);
    r.insert("created_at".into(), iso_or_null(attr("created_at")));
    r.insert("updated_at".into(), iso_or_null(attr("updated_at")));
    r.insert("start_at".into(), iso_or_null(attr("start_at")));
    r.insert("end_at".into(), iso_or_null(attr("end_at")));
    r.insert("job_interview_stage".into(), match stage {
        Some(s) => json!({ "name": stages.get(&s).cloned().unwrap_or(Value::Null), "id": s }),
        None => Value::Null,
    });
    // Unsupported, not unknown: with no documented values a per-record warning says nothing.
    r.insert("status".into(), Value::Null);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::support::{drive, drive_pages, fixture, input, Script};

    fn account() -> Value {
        json!({"id": "acc", "provider": "pinpoint", "credentials": {"api_key": "pp-key-123"}, "context": {"subdomain": "acme"}})
    }

    fn list(query: Value, script: Script) -> (Vec<HttpRequest>, Result<Vec<Value>>) {
        drive_pages(input(account(), "ats", "interviews", "list", None, Value::Null, query), script)
    }

    fn interview(id: &str, interviewable: (&str, &str), start: &str) -> Value {
        json!({"id": id, "type": "interviews",
               "attributes": {"created_at": "2024-06-01T09:00:00+01:00", "updated_at": "2024-06-02T09:00:00+00:00", "start_at": start, "end_at": "2024-06-15T11:00:00+00:00", "status": "scheduled"},
               "relationships": {"interviewable": {"data": {"type": interviewable.0, "id": interviewable.1}}, "stage": {"data": {"type": "stages", "id": "7"}}}})
    }

    fn page(ids: &[&str]) -> Value {
        json!({"data": ids.iter().map(|id| interview(id, ("applications", "a1"), "2024-06-15T10:00:00+00:00")).collect::<Vec<_>>(), "meta": {}})
    }

    const BASE: &str = "https://acme.pinpointhq.com/api/v1/interviews?include=stage";

    #[test]
    fn documented_collection_maps_with_the_included_stage() {
        let doc = fixture("pinpoint/doc.interviews.list.response.json");
        let (sent, pages) = list(json!({}), Script::ok(200, &doc));
        assert_eq!(sent[0].method.as_str(), "GET");
        assert_eq!(sent[0].url, format!("{BASE}&page[number]=1&page[size]=100"));
        assert_eq!(sent[0].headers["x-api-key"], "pp-key-123");
        assert_eq!(sent[0].headers["accept"], "application/vnd.api+json");
        let p = &pages.unwrap()[0];
        assert!(p["next_cursor"].is_null(), "one item on a page of 100 is the last page");
        let mut r = p["result"][0].clone();
        assert_eq!(r["remote_data"], doc["data"][0]);
        r.as_object_mut().unwrap().remove("remote_data");
        assert_eq!(
            r,
            json!({
                "id": "1", "application": {"id": "1"}, "candidate": null,
                "created_at": "2019-01-01T00:00:00Z", "updated_at": "2019-01-01T00:00:00Z",
                "start_at": "2019-01-01T00:00:00Z", "end_at": "2019-01-01T00:00:00Z",
                "job_interview_stage": {"id": "1", "name": "string"},
                "status": null
            })
        );
        assert!(p.get("warnings").is_none(), "status is unsupported, not a warning per record");
    }

    #[test]
    fn get_fetches_one_interview() {
        let doc = fixture("pinpoint/doc.interviews.get.response.json");
        let (sent, out) = drive(input(account(), "ats", "interviews", "get", Some("1"), Value::Null, json!({})), Script::ok(200, &doc));
        assert_eq!(sent[0].url, "https://acme.pinpointhq.com/api/v1/interviews/1?include=stage");
        let out = out.unwrap();
        assert_eq!(out["job_interview_stage"], json!({"id": "1", "name": "string"}));
        assert_eq!(out["application"], json!({"id": "1"}));
        assert_eq!(out["remote_data"], doc["data"]);
        let not_found = json!({"errors": [{"status": "404", "title": "Not Found", "detail": "Couldn't find Interview with id=9"}]});
        let (_, out) = drive(input(account(), "ats", "interviews", "get", Some("9"), Value::Null, json!({})), Script::ok(404, &not_found));
        let e = out.unwrap_err().to_json();
        assert_eq!((e["statusCode"].as_u64(), e["remote"]["message"].as_str()), (Some(404), Some("Couldn't find Interview with id=9")));
    }

    #[test]
    fn status_is_unsupported_until_pinpoint_documents_its_values() {
        let (_, pages) = list(json!({}), Script::ok(200, &page(&["1", "2"])));
        let p = &pages.unwrap()[0];
        assert!(p["result"][0]["status"].is_null() && p["result"][0]["remote_data"]["attributes"]["status"] == "scheduled");
        assert!(p.get("warnings").is_none());
        let c = crate::facade::coverage::coverage();
        assert_eq!(c["ats"]["interviews"]["list"]["response"]["status"]["pinpoint"]["supported"], false);
    }

    #[test]
    fn filters_become_graphiti_filters_or_are_applied_locally() {
        let q = json!({
            "created_at": {"gte": "2024-06-01T00:00:00Z", "lte": "2024-06-30T00:00:00Z"},
            "updated_at": "2024-06-01T00:00:00Z",
            "start_at": {"gt": "2024-06-10T00:00:00Z", "lt": "2024-07-01T00:00:00Z"},
            "application_id": "a1",
            "end_at": "2024-06-15T10:30:00Z",
            "limit": 50,
            "remote_query": {"filter[presence]": "attended"}
        });
        let mut body = page(&["1", "2"]);
        body["data"][1] = interview("2", ("job_seekers", "a1"), "2024-06-15T10:00:00+00:00");
        body["data"].as_array_mut().unwrap().push(json!({"id": "3", "type": "interviews", "attributes": {"start_at": "2024-06-15T10:00:00Z", "end_at": "2024-06-15T10:15:00Z", "created_at": "2024-06-02T00:00:00Z", "updated_at": "2024-06-02T00:00:00Z", "interviewable_type": "Application", "interviewable_id": 55}}));
        let (sent, pages) = list(q, Script::ok(200, &body));
        assert_eq!(
            sent[0].url,
            format!(
                "{BASE}&page[number]=1&page[size]=50&filter[interviewable_id]=a1\
                 &filter[created_at][gt]=2024-05-31T23%3A59%3A59Z&filter[created_at][lt]=2024-06-30T00%3A00%3A01Z\
                 &filter[updated_at][gt]=2024-05-31T23%3A59%3A59Z\
                 &filter[start_at][gt]=2024-06-09T23%3A59%3A59Z&filter[start_at][lt]=2024-07-01T00%3A00%3A00Z\
                 &filter[presence]=attended"
            )
        );
        let p = &pages.unwrap()[0];
        // 1 ends after the end_at bound, 2 is a job seeker's interview, 3 belongs to application 55.
        assert_eq!(p["result_count"], 0, "{p}");
        let w = p["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "filter_applied_locally").unwrap();
        assert_eq!(w["field"], "query.application_id,end_at");

        let (_, pages) = list(json!({"application_id": "55"}), Script::ok(200, &body));
        let ids: Vec<String> = pages.unwrap()[0]["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, ["3"], "linkage-less records fall back to interviewable_type/id");
    }

    #[test]
    fn page_numbers_advance_until_a_short_page() {
        let script = Script::ok(200, &page(&["1", "2"])).then(200, &page(&["3", "4"])).then(200, &page(&["5"]));
        let (sent, pages) = list(json!({"limit": 2}), script);
        let pages = pages.unwrap();
        let ids: Vec<&str> = pages.iter().flat_map(|p| p["result"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap())).collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5"]);
        assert_eq!(sent[1].url, format!("{BASE}&page[number]=2&page[size]=2"));
        assert_eq!(sent[2].url, format!("{BASE}&page[number]=3&page[size]=2"));
        assert!(pages[2]["next_cursor"].is_null());

        // A full last page costs one empty request, then paging ends.
        let (sent, pages) = list(json!({"limit": 2}), Script::ok(200, &page(&["1", "2"])).then(200, &page(&[])));
        assert_eq!(sent.len(), 2);
        assert!(pages.unwrap()[1]["next_cursor"].is_null());
    }

    #[test]
    fn a_server_repeating_the_same_page_is_an_error() {
        let script = Script::ok(200, &page(&["1", "2"])).then(200, &page(&["1", "2"]));
        let (sent, pages) = list(json!({"limit": 2}), script);
        assert_eq!(sent.len(), 2);
        assert_eq!(pages.unwrap_err().code(), "pagination_loop");
        let forged = crate::engine::cursor::encode("pinpoint", "ats", "interviews", &json!({"page": 0}), &[]);
        let (sent, out) = list(json!({"next_cursor": forged}), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().code(), "invalid_cursor");
    }

    #[test]
    fn account_and_error_handling() {
        let (sent, out) = drive_pages(input(json!({"provider": "pinpoint", "credentials": {"api_key": "k"}, "context": {"subdomain": "evil.com"}}), "ats", "interviews", "list", None, Value::Null, json!({})), Script::default());
        assert!(sent.is_empty());
        assert_eq!(out.unwrap_err().to_json()["details"][0]["field"], "account.context.subdomain");
        let unauthorized = json!({"errors": [{"status": "401", "title": "Unauthorized"}]});
        let (_, out) = list(json!({}), Script::ok(401, &unauthorized));
        assert_eq!(out.unwrap_err().to_json()["remote"]["message"], "Unauthorized");
        let (_, out) = list(json!({}), Script::ok(200, &json!({"data": {"id": "1"}})));
        assert_eq!(out.unwrap_err().code(), "protocol_error");
    }
}
