//! Multi-step writes as a fixed chain of steps (create, then associate, then fetch
//! the stored record…). Each step builds its request from the results before it;
//! a step may be skipped (its builder returns `None`). If a step after the first
//! fails, the error is a `PartialFailure` naming the failed step and listing every
//! step that succeeded with what it created, so the caller knows exactly what
//! exists now. A `GET` step (a look-up before the write, a fetch after it) creates
//! nothing, so it is never listed; a failure after look-ups only is a plain error.

use serde_json::Value;

use crate::codec::doc::{Doc, Json};
use crate::unified::record::Record;
use crate::error::{Error, Result, Warning};
use crate::codec::http::{HttpRequest, HttpResponse, Method};

use super::{Ctx, Exchange, Next};

/// One step: a name (reported on failure), a request builder reading earlier
/// results, and a reader turning the response (read in place, like every
/// response mapper reads) into this step's result.
pub struct ChainStep {
    pub name: &'static str,
    pub build: fn(&Ctx, &[Value]) -> Result<Option<HttpRequest>>,
    pub read: for<'a> fn(&Ctx, &HttpResponse, Json<'a>) -> Result<Value>,
}

/// Maps all step results (read as [`Json`] views, like every response mapper
/// reads) to `(unified record, raw record)`.
pub type ChainMapper = for<'a> fn(&Ctx, &[Json<'a>], &mut Vec<Warning>) -> Result<(Record, Json<'a>)>;

pub struct Chain {
    steps: &'static [ChainStep],
    map: ChainMapper,
    at: usize,
    results: Vec<Value>,
    /// Per finished step: whether its request could have created something.
    wrote: Vec<bool>,
    /// Whether the request in flight could create something.
    writing: bool,
}

impl Chain {
    pub fn boxed(steps: &'static [ChainStep], map: ChainMapper) -> Result<Box<dyn Exchange>> {
        Ok(Box::new(Chain::new(steps, map)))
    }

    fn new(steps: &'static [ChainStep], map: ChainMapper) -> Chain {
        Chain { steps, map, at: 0, results: Vec::new(), wrote: Vec::new(), writing: false }
    }

    /// Sends the next non-skipped step, or finishes.
    fn advance(&mut self, ctx: &Ctx) -> Result<Next> {
        while self.at < self.steps.len() {
            match (self.steps[self.at].build)(ctx, &self.results) {
                Ok(Some(req)) => {
                    self.writing = req.method != Method::Get;
                    return Ok(Next::Send(req));
                }
                Ok(None) => {
                    self.results.push(Value::Null);
                    self.wrote.push(false);
                    self.at = self.at.saturating_add(1);
                }
                Err(e) => return Err(self.partial(e)),
            }
        }
        let mut warnings = Vec::new();
        let (record, raw) = if ctx.raw() {
            (Record::default(), Value::Array(self.results.clone()).into())
        } else {
            // Step results are small (a created id, one fetched record).
            let docs: Vec<Doc<'static>> = self.results.iter().map(Doc::from_value).collect();
            let views: Vec<Json<'_>> = docs.iter().map(Doc::root).collect();
            let (record, raw) = (self.map)(ctx, &views, &mut warnings)?;
            (record, ctx.raw_record(raw))
        };
        Ok(Next::Record { record, raw, warnings })
    }

    fn partial(&self, cause: Error) -> Error {
        let done: Vec<Value> = self
            .steps
            .iter()
            .zip(self.results.iter().zip(&self.wrote))
            .filter(|(_, (r, wrote))| **wrote && !r.is_null())
            .map(|(s, (r, _))| crate::codec::json::obj(vec![("step", s.name.into()), ("result", r.clone())]))
            .collect();
        if done.is_empty() {
            return cause;
        }
        Error::PartialFailure {
            provider: String::new(),
            failed_step: self.steps.get(self.at).map(|s| s.name).unwrap_or("").to_string(),
            completed: done,
            cause: Box::new(cause),
        }
    }
}

impl Exchange for Chain {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.advance(ctx)
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let body = resp.doc(ctx.provider.name).map_err(|e| self.with_provider(ctx, self.partial(e)))?;
        let result = (self.steps[self.at].read)(ctx, resp, body.root()).map_err(|e| self.with_provider(ctx, self.partial(e)))?;
        self.results.push(result);
        self.wrote.push(self.writing);
        self.at = self.at.saturating_add(1);
        self.advance(ctx).map_err(|e| self.with_provider(ctx, e))
    }

    fn on_failure(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        Err(self.with_provider(ctx, self.partial(ctx.remote_error(resp))))
    }
}

impl Chain {
    fn with_provider(&self, ctx: &Ctx, e: Error) -> Error {
        match e {
            Error::PartialFailure { provider, failed_step, completed, cause } if provider.is_empty() => {
                Error::PartialFailure { provider: ctx.provider.name.to_string(), failed_step, completed, cause }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use crate::provider::account::Account;
    use crate::codec::http::Origin;
    use crate::provider::{OpDef, ProviderDef};
    use crate::unified::query::UnifiedQuery;
    use crate::unified::schema::UnifiedMethod;

    static STEPS: &[ChainStep] = &[
        ChainStep {
            name: "create",
            build: |ctx, _| Ok(Some(ctx.request(Method::Post, ctx.url().path("/things").build())?)),
            read: |_, _, body| Ok(json!({ "id": body.field("id") })),
        },
        ChainStep { name: "skip", build: |_, _| Ok(None), read: |_, _, b| Ok(b.to_value()) },
        ChainStep {
            name: "associate",
            build: |ctx, done| Ok(Some(ctx.request(Method::Put, ctx.url().path("/things").seg(done[0]["id"].as_str().unwrap_or("")).path("/links").build())?)),
            read: |_, _, _| Ok(json!({ "linked": true })),
        },
    ];
    static OP: OpDef = OpDef { model: "crm", resource: "engagements", method: UnifiedMethod::Create, fields: &[], returns: &[], start: |_| Chain::boxed(STEPS, map), check: None, notes: "" };
    static P: ProviderDef = ProviderDef { name: "fake", label: "Fake", docs: "", hosts: &["x.test"], origin: |_| Ok("https://x.test".into()), auth: |_, r| Ok(r), idempotency_header: None, oauth: None, ops: &[] };

    fn map<'a>(_: &Ctx, results: &[Json<'a>], _: &mut Vec<Warning>) -> Result<(Record, Json<'a>)> {
        let mut m = Record::new();
        m.insert("id", results[0].field("id"));
        Ok((m, results[0]))
    }

    fn with_ctx<T>(f: impl FnOnce(&Ctx) -> T) -> T {
        let account = Account::default();
        let origin = Origin::fixed("https://x.test");
        let fields = serde_json::Map::new();
        let query = UnifiedQuery::default();
        let ctx = Ctx { provider: &P, op: &OP, account: &account, origin: &origin, fields: &fields, remote_data: None, query: &query, id: None, skip_mapping: false, now_ms: 0, response_index: 0, inline_raw_from: 0, raw_as_text: false };
        f(&ctx)
    }

    #[test]
    fn runs_steps_in_order_skipping_none() {
        with_ctx(|ctx| {
            let mut chain = Chain::new(STEPS, map);
            let Next::Send(first) = chain.start(ctx).unwrap() else { panic!() };
            assert_eq!(first.url, "https://x.test/things");
            let Next::Send(second) = chain.on_success(ctx, &HttpResponse::new(201, r#"{"id":"t1"}"#)).unwrap() else { panic!() };
            assert_eq!(second.url, "https://x.test/things/t1/links");
            let Next::Record { record, .. } = chain.on_success(ctx, &HttpResponse::new(200, "{}")).unwrap() else { panic!() };
            assert_eq!(record["id"], "t1");
        });
    }

    #[test]
    fn later_failure_reports_what_was_created() {
        with_ctx(|ctx| {
            let mut chain = Chain::new(STEPS, map);
            let _ = chain.start(ctx).unwrap();
            let _ = chain.on_success(ctx, &HttpResponse::new(201, r#"{"id":"t1"}"#)).unwrap();
            let err = chain.on_failure(ctx, &HttpResponse::new(500, r#"{"message":"boom"}"#)).err().unwrap().to_json();
            assert_eq!(err["code"], "partial_failure");
            assert_eq!(err["failed_step"], "associate");
            assert_eq!(err["completed"], json!([{ "step": "create", "result": { "id": "t1" } }]));
            assert_eq!(err["cause"]["remote"]["message"], "boom");
            assert_eq!(err["statusCode"], 500);
        });
    }

    static LOOKUP_THEN_WRITE: &[ChainStep] = &[
        ChainStep {
            name: "lookup",
            build: |ctx, _| Ok(Some(ctx.request(Method::Get, ctx.url().path("/types").build())?)),
            read: |_, _, body| Ok(body.to_value()),
        },
        ChainStep {
            name: "create",
            build: |ctx, _| Ok(Some(ctx.request(Method::Post, ctx.url().path("/things").build())?)),
            read: |_, _, body| Ok(json!({ "id": body.field("id") })),
        },
        ChainStep {
            name: "fetch",
            build: |ctx, done| Ok(Some(ctx.request(Method::Get, ctx.url().path("/things").seg(done[1]["id"].as_str().unwrap_or("")).build())?)),
            read: |_, _, body| Ok(body.to_value()),
        },
    ];

    #[test]
    fn look_ups_are_not_reported_as_created() {
        with_ctx(|ctx| {
            let mut chain = Chain::new(LOOKUP_THEN_WRITE, map);
            let _ = chain.start(ctx).unwrap();
            let _ = chain.on_success(ctx, &HttpResponse::new(200, r#"{"types":[1]}"#)).unwrap();
            let err = chain.on_failure(ctx, &HttpResponse::new(422, r#"{"message":"bad"}"#)).err().unwrap().to_json();
            assert_eq!(err["code"], "remote_error", "only a look-up had succeeded: nothing exists");
        });
        with_ctx(|ctx| {
            let mut chain = Chain::new(LOOKUP_THEN_WRITE, map);
            let _ = chain.start(ctx).unwrap();
            let _ = chain.on_success(ctx, &HttpResponse::new(200, r#"{"types":[1]}"#)).unwrap();
            let _ = chain.on_success(ctx, &HttpResponse::new(201, r#"{"id":"t9"}"#)).unwrap();
            let err = chain.on_failure(ctx, &HttpResponse::new(503, "{}")).err().unwrap().to_json();
            assert_eq!(err["code"], "partial_failure");
            assert_eq!(err["failed_step"], "fetch");
            assert_eq!(err["completed"], json!([{ "step": "create", "result": { "id": "t9" } }]));
        });
    }

    #[test]
    fn first_step_failure_is_a_plain_remote_error() {
        with_ctx(|ctx| {
            let mut chain = Chain::new(STEPS, map);
            let _ = chain.start(ctx).unwrap();
            let err = chain.on_failure(ctx, &HttpResponse::new(422, "{}")).err().unwrap();
            assert_eq!(err.code(), "remote_error");
        });
    }
}
