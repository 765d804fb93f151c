//! A list over several endpoints — calls, then notes, then tasks… — each paged on
//! its own. Providers that keep each engagement type in its own object list them
//! one after the other; records often do not say which object they came from, so
//! the builder, parser and mapper are told the kind of the page they work on.

use serde_json::{json, Value};

use crate::error::{Error, Result, Warning};
use crate::codec::doc::Json;
use crate::unified::record::Record;
use crate::codec::http::{HttpRequest, HttpResponse};

use crate::provider::{mapped_page, Ctx, Exchange, Next, RawPage};

/// Builds the request for one page of one kind (`state` is this kind's own paging
/// state, `Value::Null` for its first page).
pub type KindRequest = fn(&Ctx, &'static str, &Value) -> Result<HttpRequest>;
/// Reads one page of one kind, given the state that asked for it: raw items and
/// this kind's next state (`None` on its last page).
pub type KindParser = for<'a> fn(&Ctx, &'static str, &Value, &HttpResponse, Json<'a>) -> Result<RawPage<'a>>;
/// Maps one raw item of one kind.
pub type KindMapper = fn(&Ctx, &'static str, Json<'_>, &mut Vec<Warning>) -> Result<Record>;

/// The walk. The unified state is `{ "kind": …, "state": … }`, so a cursor resumes
/// inside the right endpoint; after a kind's last page the next kind starts, after
/// the last kind's the list ends. One kind is a plain list whose parser sees its
/// own paging state (an offset it asked for).
pub struct TypedPages {
    kinds: Vec<&'static str>,
    build: KindRequest,
    parse: KindParser,
    map: KindMapper,
    current: Option<(&'static str, Value)>,
    notice: Option<Warning>,
}

impl TypedPages {
    pub fn boxed(kinds: Vec<&'static str>, build: KindRequest, parse: KindParser, map: KindMapper) -> Result<Box<dyn Exchange>> {
        Self::with_notice(kinds, build, parse, map, None)
    }
    /// As [`TypedPages::boxed`], with a warning reported on the first page (e.g. a
    /// kind this filter cannot reach).
    pub fn with_notice(kinds: Vec<&'static str>, build: KindRequest, parse: KindParser, map: KindMapper, notice: Option<Warning>) -> Result<Box<dyn Exchange>> {
        if kinds.is_empty() {
            return Err(Error::Misuse { reason: "a typed list needs at least one kind".into() });
        }
        Ok(Box::new(TypedPages { kinds, build, parse, map, current: None, notice }))
    }
}

impl Exchange for TypedPages {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        let first = self.kinds[0];
        self.page(ctx, &json!({ "kind": first, "state": null }))
    }

    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        let wanted = state.get("kind").and_then(Value::as_str).unwrap_or_default();
        // A cursor can only name a kind this request walks (a cursor from another
        // filter is not valid here).
        let kind = self.kinds.iter().copied().find(|k| *k == wanted).ok_or_else(|| Error::InvalidCursor {
            reason: format!("the cursor is for {wanted:?}, which this list does not walk"),
        })?;
        let inner = state.get("state").cloned().unwrap_or(Value::Null);
        let req = (self.build)(ctx, kind, &inner)?;
        self.current = Some((kind, inner));
        Ok(Next::Send(req))
    }

    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let Some((kind, state)) = self.current.clone() else {
            return Err(Error::Misuse { reason: "a page arrived before it was asked for".into() });
        };
        let doc = resp.doc(ctx.provider.name)?;
        let page = (self.parse)(ctx, kind, &state, resp, doc.root())?;
        let next = match page.next {
            Some(s) => Some(json!({ "kind": kind, "state": s })),
            None => self.kinds.iter().position(|k| *k == kind).and_then(|i| self.kinds.get(i.saturating_add(1))).map(|k| json!({ "kind": k, "state": null })),
        };
        let map = self.map;
        let mut out = mapped_page(ctx, RawPage { items: page.items, next, at: page.at }, |raw, w| map(ctx, kind, raw, w))?;
        if let (Some(notice), Next::Page { warnings, .. }) = (self.notice.take(), &mut out) {
            warnings.insert(0, notice);
        }
        Ok(out)
    }
}
