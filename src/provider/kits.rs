//! Exchange kits most providers are built from: one request mapped to one record
//! ([`Single`]), one request per page ([`Paged`], [`mapped_page`]), filters a
//! request could not send ([`PartlyLocal`]), paging state read from cursors
//! ([`state_count`]), and `Link` headers kept on the account's origin.

use serde_json::{json, Value};

use crate::codec::doc::Json;
use crate::unified::record::Record;
use crate::codec::http::{HttpRequest, HttpResponse, Origin};
use super::{Ctx, Exchange, Next};
use crate::error::{Error, Result, Warning};

/// An exchange plus the filters it could not send in this request (see
/// [`Exchange::locally_applied`]); everything else is delegated.
pub struct PartlyLocal {
    inner: Box<dyn Exchange>,
    local: Vec<&'static str>,
}

impl PartlyLocal {
    pub fn boxed(inner: Box<dyn Exchange>, local: Vec<&'static str>) -> Box<dyn Exchange> {
        if local.is_empty() {
            return inner;
        }
        Box::new(PartlyLocal { inner, local })
    }
}

impl Exchange for PartlyLocal {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.inner.start(ctx)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        self.inner.on_success(ctx, resp)
    }
    fn on_failure(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        self.inner.on_failure(ctx, resp)
    }
    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        self.inner.page(ctx, state)
    }
    fn locally_applied(&self) -> &[&'static str] {
        &self.local
    }
}

/// Maps a provider's single-record response body to `(unified, raw record)`.
/// (The raw record is the view of the part of the body that is the record.)
pub type RecordMapper = for<'a> fn(&Ctx, Json<'a>, &mut Vec<Warning>) -> Result<(Record, Json<'a>)>;

/// The common one-request operation: build a request, map the response.
pub struct Single {
    pub request: Option<HttpRequest>,
    pub map: RecordMapper,
}

impl Single {
    pub fn boxed(request: HttpRequest, map: RecordMapper) -> Result<Box<dyn Exchange>> {
        Ok(Box::new(Single { request: Some(request), map }))
    }
}

impl Exchange for Single {
    fn start(&mut self, _ctx: &Ctx) -> Result<Next> {
        self.request.take().map(Next::Send).ok_or_else(|| Error::Misuse { reason: "started twice".into() })
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let doc = resp.doc(ctx.provider.name)?;
        if ctx.raw() {
            return Ok(Next::Record { record: Record::default(), raw: doc.root().to_value().into(), warnings: Vec::new() });
        }
        let mut warnings = Vec::new();
        let (record, raw) = (self.map)(ctx, doc.root(), &mut warnings)?;
        Ok(Next::Record { record, raw: ctx.raw_record(raw), warnings })
    }
}

/// A provider page parsed: raw items (views into the response body) and the
/// provider's next-page state.
pub struct RawPage<'a> {
    pub items: Vec<Json<'a>>,
    pub next: Option<Value>,
    /// The keys leading to `items` in the response body, when the items were taken
    /// from there unchanged (see [`ItemsSource`](super::ItemsSource)); `None` when
    /// they were built or altered.
    pub at: Option<&'static [&'static str]>,
}

/// Builds the request for a page (`state` is `Value::Null` for the first page).
pub type PageRequest = fn(&Ctx, &Value) -> Result<HttpRequest>;
/// Reads a page response.
pub type PageParser = for<'a> fn(&Ctx, &HttpResponse, Json<'a>) -> Result<RawPage<'a>>;
/// Maps one raw list item to a unified record.
pub type ItemMapper = fn(&Ctx, Json<'_>, &mut Vec<Warning>) -> Result<Record>;

/// The common list operation: one request per page, provider paging state
/// carried by the generic operation (and in the unified cursor).
pub struct Paged {
    pub build: PageRequest,
    pub parse: PageParser,
    pub map: ItemMapper,
}

impl Paged {
    pub fn boxed(build: PageRequest, parse: PageParser, map: ItemMapper) -> Result<Box<dyn Exchange>> {
        Ok(Box::new(Paged { build, parse, map }))
    }
}

impl Exchange for Paged {
    fn start(&mut self, ctx: &Ctx) -> Result<Next> {
        self.page(ctx, &Value::Null)
    }
    fn page(&mut self, ctx: &Ctx, state: &Value) -> Result<Next> {
        (self.build)(ctx, state).map(Next::Send)
    }
    fn on_success(&mut self, ctx: &Ctx, resp: &HttpResponse) -> Result<Next> {
        let doc = resp.doc(ctx.provider.name)?;
        let page = (self.parse)(ctx, resp, doc.root())?;
        mapped_page(ctx, page, |raw, w| (self.map)(ctx, raw, w))
    }
}

/// A parsed page as [`Next::Page`]: each item mapped (unless the caller wants raw
/// items only), item warnings prefixed with `result[i]`. An item's raw record is
/// copied out of the body only when the driver cannot attach it by reference
/// ([`Ctx::inline_raw_from`]).
pub fn mapped_page(ctx: &Ctx, page: RawPage<'_>, map: impl Fn(Json<'_>, &mut Vec<Warning>) -> Result<Record>) -> Result<Next> {
    let mut warnings = Vec::new();
    let mut items = Vec::with_capacity(page.items.len());
    for (i, raw) in page.items.into_iter().enumerate() {
        let record = if ctx.skip_mapping() {
            Record::default()
        } else {
            let mut w = Vec::new();
            let r = map(raw, &mut w)?;
            warnings.extend(w.into_iter().map(|x| Warning { field: format!("result[{i}].{}", x.field), ..x }));
            r
        };
        items.push((record, ctx.raw_item(i, raw)));
    }
    let source = page.at.map(|path| super::ItemsSource { response: ctx.response_index, path });
    Ok(Next::Page { items, next: page.next, warnings, source })
}

/// Unified `visibility` from a provider's "private" boolean (Ashby `isPrivate`):
/// true → `private`, false → `public`, anything else `null`.
pub fn visibility_of_private_flag(flag: Option<Json<'_>>) -> Value {
    match flag.and_then(Json::as_bool) {
        Some(true) => json!("private"),
        Some(false) => json!("public"),
        _ => Value::Null,
    }
}

/// Maps a provider status through a status table; unknown → `null` + warning.
pub fn map_status(table: &[(&str, &str)], raw: Option<&str>, w: &mut Vec<Warning>) -> Value {
    match raw {
        None => Value::Null,
        Some(s) => match table.iter().find(|(p, _)| *p == s) {
            Some((_, u)) => json!(u),
            None => {
                w.push(Warning { field: "status".into(), code: crate::error::WarningCode::UnknownStatus, message: format!("provider status {s:?} has no unified equivalent; status is null, the original is in remote_data") });
                Value::Null
            }
        },
    }
}

/// A page number or offset from the paging state, which comes back in the
/// caller's cursor: absent → `default`; anything but a whole number within
/// 0..=2^53−1 is an invalid cursor (so a forged value can neither wrap nor lose
/// precision in JS).
pub fn state_count(state: &Value, key: &str, default: u64) -> Result<u64> {
    match state.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().filter(|n| *n <= crate::codec::numbers::MAX_SAFE_INT.unsigned_abs()).ok_or_else(|| Error::InvalidCursor { reason: format!("{key} is not a whole number from 0 to 2^53-1") }),
    }
}

/// `n + step` for the next page's state; past 2^53−1 the listing cannot go on.
pub fn next_count(n: u64, step: u64) -> Result<u64> {
    n.checked_add(step).filter(|n| *n <= crate::codec::numbers::MAX_SAFE_INT.unsigned_abs()).ok_or_else(|| Error::InvalidCursor { reason: "the next page number or offset would pass 2^53-1".into() })
}

/// Reads the `rel="next"` URL from an RFC 8288 `Link` header.
pub fn link_next(header: Option<&str>) -> Option<String> {
    let header = header?;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        if is_next {
            return url.strip_prefix('<').and_then(|u| u.strip_suffix('>')).map(str::to_string);
        }
    }
    None
}

/// Keeps a provider-supplied next-page URL on the account's origin: the path and
/// query are taken from the provider, the origin is ours, so a hostile or
/// misconfigured `Link` header cannot send credentials elsewhere.
pub fn rebase_on_origin(next_url: &str, origin: &Origin) -> Option<String> {
    let rest = next_url.strip_prefix("https://").or_else(|| next_url.strip_prefix("http://"))?;
    let path_start = rest.find('/')?;
    let path = &rest[path_start..];
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    Some(format!("{}{}", origin.as_str(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let h = r#"<https://harvest.greenhouse.io/v1/scheduled_interviews?page=2&per_page=2>; rel="next", <https://harvest.greenhouse.io/v1/scheduled_interviews?page=9>; rel="last""#;
        assert_eq!(link_next(Some(h)).unwrap(), "https://harvest.greenhouse.io/v1/scheduled_interviews?page=2&per_page=2");
        assert_eq!(link_next(Some(r#"<https://x/y?page=9>; rel="last""#)), None);
        let o = Origin::fixed("http://127.0.0.1:1234");
        assert_eq!(rebase_on_origin("https://evil.example/v1/x?page=2", &o).unwrap(), "http://127.0.0.1:1234/v1/x?page=2");
        assert_eq!(rebase_on_origin("javascript:x", &o), None);
    }
}
