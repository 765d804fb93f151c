//! A JSON document read in place. One pass over the text builds a flat tape of
//! entries — no allocation per value, strings borrowed from the text — and
//! [`Json`] views read it the way mappers read a `serde_json::Value`.
//!
//! Provider responses are read this way because a list page of 10,000 records
//! parsed into a `Value` tree is about half a million allocations, built and
//! dropped to read a dozen fields of each record (bench/, issue 17). What a
//! mapper hands on as a value (`to_value`, a number, an escaped string) is made
//! by serde_json itself, and the tape accepts exactly the texts serde_json
//! accepts (property tests below), so nothing reads differently.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

/// serde_json's nesting limit: its 128th nested array or object is an error.
const MAX_DEPTH: usize = 127;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tag {
    Null,
    False,
    True,
    /// A number: `a..b` in the text.
    Num,
    /// A string without escapes: `a..b` in the text (between the quotes).
    Str,
    /// A string with escapes: `a` indexes [`Tape::escaped`] (decoded by serde_json).
    Esc,
    /// `a` indexes [`Tape::containers`]; `b` is the entry after the last
    /// descendant.
    Arr,
    /// As `Arr`; its members are each a key entry then the value.
    Obj,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    tag: Tag,
    a: u32,
    b: u32,
}

/// The parsed structure of a text (offsets into it), apart from the text.
#[derive(Debug, Default)]
struct Tape {
    entries: Vec<Entry>,
    escaped: Vec<String>,
    containers: Vec<Container>,
}

/// An array's or object's child count and its text (`start..end`, brackets
/// included): a record's raw text is copied out whole rather than rebuilt.
#[derive(Debug, Clone, Copy, Default)]
struct Container {
    count: u32,
    start: u32,
    end: u32,
}

/// A parsed JSON text: the text (borrowed, or owned by a reader that keeps a page
/// across steps) and its tape.
#[derive(Debug)]
pub struct Doc<'t> {
    text: Cow<'t, str>,
    tape: Tape,
}

/// The text is not JSON (serde_json's own parse says why: see [`Doc::parse_or_why`]).
#[derive(Debug, PartialEq)]
pub struct NotJson;

impl<'t> Doc<'t> {
    /// Parses `text`; `Err` exactly when serde_json would refuse it.
    pub fn parse(text: &'t str) -> Result<Doc<'t>, NotJson> {
        let tape = Parser::new(text).run()?;
        Ok(Doc { text: Cow::Borrowed(text), tape })
    }

    /// As [`Doc::parse`], with serde_json's error message when the text is not JSON.
    pub fn parse_or_why(text: &'t str) -> Result<Doc<'t>, serde_json::Error> {
        match Doc::parse(text) {
            Ok(doc) => Ok(doc),
            Err(NotJson) => match serde_json::from_str::<Value>(text) {
                Err(e) => Err(e),
                // Unreachable while the property tests hold; if serde_json ever
                // accepts more, read its value rather than fail the caller.
                Ok(v) => Ok(Doc::from_value(&v)),
            },
        }
    }

    /// A document of a value (its canonical JSON text).
    pub fn from_value(v: &Value) -> Doc<'static> {
        let text = v.to_string();
        let tape = Parser::new(&text).run().unwrap_or_default();
        Doc { text: Cow::Owned(text), tape }
    }

    /// The document owning its text, to keep past the borrowed text's life.
    pub fn into_owned(self) -> Doc<'static> {
        Doc { text: Cow::Owned(self.text.into_owned()), tape: self.tape }
    }

    /// The top-level value (`null` for an empty tape).
    pub fn root(&self) -> Json<'_> {
        Json { text: &self.text, tape: &self.tape, ix: 0 }
    }
}

/// A value in a [`Doc`]: a cheap copyable view with `serde_json::Value`'s reading
/// methods.
#[derive(Clone, Copy)]
pub struct Json<'a> {
    text: &'a str,
    tape: &'a Tape,
    ix: u32,
}

impl std::fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// As the value's JSON text (what a warning quoting a provider value shows).
impl std::fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

/// A JSON scalar read the same way from a `Value` (a caller's input, a paging
/// state) or a [`Json`] view (a provider's response), for helpers both use.
pub trait Scalar<'a>: Copy {
    fn text(self) -> Option<&'a str>;
    fn number(self) -> Option<Number>;
    /// A number written as plain digits that fit a u64: its text is already
    /// what serde_json would print for it (JSON has no leading zeros).
    fn plain_digits(self) -> Option<&'a str> {
        None
    }
}

impl<'a> Scalar<'a> for &'a Value {
    fn text(self) -> Option<&'a str> {
        self.as_str()
    }
    fn number(self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(n.clone()),
            _ => None,
        }
    }
}

impl<'a> Scalar<'a> for Json<'a> {
    fn text(self) -> Option<&'a str> {
        self.as_str()
    }
    fn number(self) -> Option<Number> {
        self.as_number()
    }
    fn plain_digits(self) -> Option<&'a str> {
        self.plain_digits_text()
    }
}

impl PartialEq for Json<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

/// What [`Json::get`] takes: an object key or an array index.
pub trait Key {
    fn lookup<'a>(&self, v: Json<'a>) -> Option<Json<'a>>;
}

impl Key for &str {
    fn lookup<'a>(&self, v: Json<'a>) -> Option<Json<'a>> {
        v.member(self)
    }
}

impl Key for String {
    fn lookup<'a>(&self, v: Json<'a>) -> Option<Json<'a>> {
        v.member(self)
    }
}

impl Key for usize {
    fn lookup<'a>(&self, v: Json<'a>) -> Option<Json<'a>> {
        v.at(*self)
    }
}

/// The tape of [`Json::NULL`]: no entries read as `null`.
static EMPTY: Tape = Tape { entries: Vec::new(), escaped: Vec::new(), containers: Vec::new() };

impl Json<'static> {
    /// `null`, for a value that is missing altogether.
    pub const NULL: Json<'static> = Json { text: "", tape: &EMPTY, ix: 0 };
}

impl<'a> Json<'a> {
    fn entry(&self) -> Entry {
        self.tape.entries.get(self.ix as usize).copied().unwrap_or(Entry { tag: Tag::Null, a: 0, b: 0 })
    }

    fn with(&self, ix: u32) -> Json<'a> {
        Json { text: self.text, tape: self.tape, ix }
    }

    /// The entry after this value and everything in it.
    fn next_ix(&self) -> u32 {
        let e = self.entry();
        match e.tag {
            Tag::Arr | Tag::Obj => e.b,
            _ => self.ix.saturating_add(1),
        }
    }

    fn container(&self, e: Entry) -> Container {
        self.tape.containers.get(e.a as usize).copied().unwrap_or_default()
    }

    /// An array's or object's JSON text exactly as the document has it (`None`
    /// for anything else).
    pub fn raw_text(self) -> Option<&'a str> {
        let e = self.entry();
        let c = matches!(e.tag, Tag::Arr | Tag::Obj).then(|| self.container(e))?;
        self.text.get(c.start as usize..c.end as usize)
    }

    fn span(&self, e: Entry) -> &'a str {
        self.text.get(e.a as usize..e.b as usize).unwrap_or_default()
    }

    /// An object member (the last, when a key repeats, as serde_json keeps it) or
    /// an array element.
    pub fn get(self, key: impl Key) -> Option<Json<'a>> {
        key.lookup(self)
    }

    /// The hot path of every mapper (a dozen lookups per record): one walk over
    /// the object's entries, key lengths compared before bytes.
    fn member(self, key: &str) -> Option<Json<'a>> {
        let e = self.entry();
        if e.tag != Tag::Obj {
            return None;
        }
        let entries = self.tape.entries.get(self.ix as usize..e.b as usize)?;
        let text = self.text.as_bytes();
        let wanted = key.as_bytes();
        let (len, last) = (wanted.len(), wanted.last().copied());
        let mut found = None;
        // Offsets within this object's own entries.
        let mut i = 1usize;
        while let (Some(k), Some(v)) = (entries.get(i), entries.get(i.saturating_add(1))) {
            let (a, b) = (k.a as usize, k.b as usize);
            // Length and last byte first: keys of one object often share a prefix.
            let hit = match k.tag {
                Tag::Str => b.wrapping_sub(a) == len && (len == 0 || text.get(b.wrapping_sub(1)).copied() == last) && text.get(a..b) == Some(wanted),
                Tag::Esc => self.tape.escaped.get(a).is_some_and(|s| s == key),
                _ => false,
            };
            if hit {
                found = Some(i.saturating_add(1));
            }
            i = match v.tag {
                Tag::Arr | Tag::Obj => v.b.wrapping_sub(self.ix) as usize,
                _ => i.saturating_add(2),
            };
        }
        found.map(|at| self.with(self.ix.saturating_add(at as u32)))
    }

    fn at(self, i: usize) -> Option<Json<'a>> {
        self.items()?.nth(i)
    }

    /// The value at a dotted path (`paging.next.after`, `data.0.id`), not `null`
    /// (like [`crate::codec::json::get`]).
    pub fn path(self, dotted: &str) -> Option<Json<'a>> {
        let mut cur = self;
        for key in dotted.split('.') {
            cur = match cur.entry().tag {
                Tag::Obj => cur.member(key)?,
                Tag::Arr => cur.at(key.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        (!cur.is_null()).then_some(cur)
    }

    /// The string at a dotted path (see [`Json::path`]).
    pub fn get_str(self, dotted: &str) -> Option<&'a str> {
        self.path(dotted).and_then(Json::as_str)
    }

    /// A member as a value: a copy, or `null` when it is missing.
    pub fn field(self, key: &str) -> Value {
        self.member(key).map_or(Value::Null, Json::to_value)
    }

    /// The value at a JSON Pointer (RFC 6901: `/author/id`), `null` included, as
    /// `serde_json::Value::pointer` finds it.
    pub fn pointer(self, pointer: &str) -> Option<Json<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut cur = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            cur = match cur.entry().tag {
                Tag::Obj => cur.member(&token)?,
                Tag::Arr if !token.starts_with('+') && (token == "0" || !token.starts_with('0')) => cur.at(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// An array's elements.
    pub fn items(self) -> Option<Items<'a>> {
        let e = self.entry();
        (e.tag == Tag::Arr).then(|| Items { at: self.with(self.ix.saturating_add(1)), left: self.container(e).count })
    }

    /// An object's members in document order (a repeated key appears each time).
    pub fn members(self) -> Option<Members<'a>> {
        let e = self.entry();
        (e.tag == Tag::Obj).then(|| Members { at: self.with(self.ix.saturating_add(1)), left: self.container(e).count })
    }

    /// The number of elements or members (0 for anything else).
    pub fn len(self) -> usize {
        let e = self.entry();
        match e.tag {
            Tag::Arr | Tag::Obj => self.container(e).count as usize,
            _ => 0,
        }
    }

    pub fn is_null(self) -> bool {
        self.entry().tag == Tag::Null
    }
    pub fn is_string(self) -> bool {
        matches!(self.entry().tag, Tag::Str | Tag::Esc)
    }
    pub fn is_number(self) -> bool {
        self.entry().tag == Tag::Num
    }
    pub fn is_array(self) -> bool {
        self.entry().tag == Tag::Arr
    }
    pub fn is_object(self) -> bool {
        self.entry().tag == Tag::Obj
    }

    pub fn as_str(self) -> Option<&'a str> {
        let e = self.entry();
        match e.tag {
            Tag::Str => Some(self.span(e)),
            Tag::Esc => self.tape.escaped.get(e.a as usize).map(String::as_str),
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.entry().tag {
            Tag::True => Some(true),
            Tag::False => Some(false),
            _ => None,
        }
    }

    /// A number written as up to 19 plain digits (no sign, fraction or
    /// exponent): its text, which always fits a u64.
    fn plain_digits_text(self) -> Option<&'a str> {
        let e = self.entry();
        let digits = self.span(e);
        (e.tag == Tag::Num && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
    }

    /// The number, as serde_json reads it (u64, i64 or f64).
    pub fn as_number(self) -> Option<Number> {
        // Plain digits, the common case, read here; anything else (sign,
        // fraction, exponent, wider) by serde_json.
        if let Some(digits) = self.plain_digits_text() {
            let mut n: u64 = 0;
            for b in digits.bytes() {
                n = n.checked_mul(10)?.checked_add(u64::from(b.wrapping_sub(b'0')))?;
            }
            return Some(Number::from(n));
        }
        let e = self.entry();
        if e.tag != Tag::Num {
            return None;
        }
        self.span(e).parse::<Number>().ok()
    }

    pub fn as_i64(self) -> Option<i64> {
        self.as_number()?.as_i64()
    }
    pub fn as_u64(self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    /// The value as a `serde_json::Value` (a copy: for what is handed on whole).
    pub fn to_value(self) -> Value {
        let e = self.entry();
        match e.tag {
            Tag::Null => Value::Null,
            Tag::False => Value::Bool(false),
            Tag::True => Value::Bool(true),
            Tag::Num => self.as_number().map_or(Value::Null, Value::Number),
            Tag::Str | Tag::Esc => Value::String(self.as_str().unwrap_or_default().to_string()),
            Tag::Arr => Value::Array(self.items().into_iter().flatten().map(Json::to_value).collect()),
            Tag::Obj => {
                let mut m = Map::new();
                for (k, v) in self.members().into_iter().flatten() {
                    m.insert(k.to_string(), v.to_value());
                }
                Value::Object(m)
            }
        }
    }
}

/// Written as the value's JSON (so `json!` can embed a view).
impl serde::Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let e = self.entry();
        match e.tag {
            Tag::Null => ser.serialize_unit(),
            Tag::False => ser.serialize_bool(false),
            Tag::True => ser.serialize_bool(true),
            Tag::Num => match self.as_number() {
                Some(n) => n.serialize(ser),
                None => ser.serialize_unit(),
            },
            Tag::Str | Tag::Esc => ser.serialize_str(self.as_str().unwrap_or_default()),
            Tag::Arr => {
                let mut seq = ser.serialize_seq(Some(self.len()))?;
                for item in self.items().into_iter().flatten() {
                    seq.serialize_element(&item)?;
                }
                seq.end()
            }
            // Through a value: a repeated key is written once, the last, as a
            // `Value` holds it.
            Tag::Obj => self.to_value().serialize(ser),
        }
    }
}

/// A test's view of a value (the document is leaked: tests only).
#[cfg(test)]
pub fn of(v: &Value) -> Json<'static> {
    Box::leak(Box::new(Doc::from_value(v))).root()
}

/// An array's elements (see [`Json::items`]).
#[derive(Clone)]
pub struct Items<'a> {
    at: Json<'a>,
    left: u32,
}

impl<'a> Iterator for Items<'a> {
    type Item = Json<'a>;
    fn next(&mut self) -> Option<Json<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left = self.left.saturating_sub(1);
        let here = self.at;
        self.at = here.with(here.next_ix());
        Some(here)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Items<'_> {}

/// An object's members (see [`Json::members`]).
#[derive(Clone)]
pub struct Members<'a> {
    at: Json<'a>,
    left: u32,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Json<'a>);
    fn next(&mut self) -> Option<(&'a str, Json<'a>)> {
        if self.left == 0 {
            return None;
        }
        self.left = self.left.saturating_sub(1);
        let key = self.at;
        let value = key.with(key.ix.saturating_add(1));
        self.at = value.with(value.next_ix());
        Some((key.as_str().unwrap_or_default(), value))
    }
}

/// One pass over the text. Containers open on a stack; a container's entry gets
/// its count and end when it closes.
struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    tape: Tape,
    /// Open containers: (entry index, children so far).
    open: Vec<(u32, u32)>,
}

// Positions are bounded by the text length (≤ the 32 MiB response cap, so u32
// offsets fit; a longer text is refused up front).
#[allow(clippy::arithmetic_side_effects)]
impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        let tape = Tape { entries: Vec::with_capacity(text.len() / 12 + 4), escaped: Vec::new(), containers: Vec::new() };
        Parser { text, bytes: text.as_bytes(), pos: 0, tape, open: Vec::new() }
    }

    fn push(&mut self, tag: Tag, a: usize, b: usize) -> u32 {
        let ix = self.tape.entries.len() as u32;
        self.tape.entries.push(Entry { tag, a: a as u32, b: b as u32 });
        ix
    }

    fn ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn run(mut self) -> Result<Tape, NotJson> {
        if self.text.len() >= u32::MAX as usize {
            return Err(NotJson);
        }
        self.ws();
        self.value()?;
        loop {
            self.ws();
            let Some(&(ix, count)) = self.open.last() else { break };
            let is_obj = self.tape.entries[ix as usize].tag == Tag::Obj;
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                    if is_obj {
                        self.key()?;
                    }
                    self.value()?;
                }
                Some(b'}') if is_obj => self.close(ix, count),
                Some(b']') if !is_obj => self.close(ix, count),
                _ => return Err(NotJson),
            }
        }
        if self.pos != self.bytes.len() {
            return Err(NotJson);
        }
        Ok(self.tape)
    }

    fn close(&mut self, ix: u32, count: u32) {
        self.pos += 1;
        self.open.pop();
        let end = self.tape.entries.len() as u32;
        let e = &mut self.tape.entries[ix as usize];
        e.b = end;
        let c = &mut self.tape.containers[e.a as usize];
        c.count = count;
        c.end = self.pos as u32;
    }

    /// Counts a value into the open container (if any).
    fn counted(&mut self) {
        if let Some(top) = self.open.last_mut() {
            top.1 = top.1.saturating_add(1);
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Result<(), NotJson> {
        if self.peek() != Some(b'"') {
            return Err(NotJson);
        }
        self.string()?;
        self.ws();
        if self.peek() != Some(b':') {
            return Err(NotJson);
        }
        self.pos += 1;
        self.ws();
        Ok(())
    }

    /// One value: a scalar whole, or the opening of a container (its first
    /// member or element included, so the loop in `run` only sees `,` and closers).
    fn value(&mut self) -> Result<(), NotJson> {
        self.counted();
        match self.peek().ok_or(NotJson)? {
            b'"' => self.string(),
            b'{' | b'[' => {
                let is_obj = self.bytes[self.pos] == b'{';
                if self.open.len() >= MAX_DEPTH {
                    return Err(NotJson);
                }
                let ci = self.tape.containers.len();
                self.tape.containers.push(Container { count: 0, start: self.pos as u32, end: 0 });
                let ix = self.push(if is_obj { Tag::Obj } else { Tag::Arr }, ci, 0);
                self.pos += 1;
                self.open.push((ix, 0));
                self.ws();
                match (is_obj, self.peek()) {
                    (true, Some(b'}')) | (false, Some(b']')) => {
                        self.close(ix, 0);
                        Ok(())
                    }
                    (true, _) => {
                        self.key()?;
                        self.value()
                    }
                    (false, _) => self.value(),
                }
            }
            b't' => self.literal(b"true", Tag::True),
            b'f' => self.literal(b"false", Tag::False),
            b'n' => self.literal(b"null", Tag::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn literal(&mut self, word: &[u8], tag: Tag) -> Result<(), NotJson> {
        if !self.bytes[self.pos..].starts_with(word) {
            return Err(NotJson);
        }
        self.pos += word.len();
        self.push(tag, 0, 0);
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// JSON's number grammar. Numbers serde_json may refuse for their size (an
    /// exponent, or more than 19 integer digits: out of f64 range) are checked by
    /// serde_json here, so the tape refuses what it refuses.
    fn number(&mut self) -> Result<(), NotJson> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(NotJson),
        }
        let int_digits = self.pos - int_start;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(NotJson);
            }
        }
        let mut exponent = false;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            exponent = true;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(NotJson);
            }
        }
        if (exponent || int_digits > 19) && self.text[start..self.pos].parse::<Number>().is_err() {
            return Err(NotJson);
        }
        self.push(Tag::Num, start, self.pos);
        Ok(())
    }

    /// A string at `"`: plain runs are skipped eight bytes at a time; one with an
    /// escape is decoded by serde_json (which also refuses bad escapes).
    fn string(&mut self) -> Result<(), NotJson> {
        let start = self.pos + 1;
        let mut i = start;
        let b = self.bytes;
        loop {
            while let Some(word) = b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
                // `"`, `\\` or a control byte ends a run of plain string bytes.
                if crate::codec::json_out::needs_escape(u64::from_le_bytes(word)) {
                    break;
                }
                i += 8;
            }
            match b.get(i) {
                None => return Err(NotJson),
                Some(b'"') => {
                    self.pos = i + 1;
                    self.push(Tag::Str, start, i);
                    return Ok(());
                }
                Some(b'\\') => return self.escaped_string(start, i),
                Some(&c) if c < 0x20 => return Err(NotJson),
                Some(_) => i += 1,
            }
        }
    }

    /// The rest of a string whose first escape is at `from` (the bytes before it
    /// were read plain), decoded whole by serde_json.
    fn escaped_string(&mut self, start: usize, from: usize) -> Result<(), NotJson> {
        let b = self.bytes;
        let mut i = from;
        loop {
            match b.get(i) {
                None => return Err(NotJson),
                Some(b'"') => break,
                Some(b'\\') => i += 2,
                Some(&c) if c < 0x20 => return Err(NotJson),
                Some(_) => i += 1,
            }
        }
        let quoted = self.text.get(start - 1..i + 1).ok_or(NotJson)?;
        // Through `Value`, whose parser every build already has (a `String`
        // target would add serde's float-formatting error paths to the wasm).
        let Ok(Value::String(decoded)) = serde_json::from_str::<Value>(quoted) else { return Err(NotJson) };
        self.pos = i + 1;
        let at = self.tape.escaped.len();
        self.tape.escaped.push(decoded);
        self.push(Tag::Esc, at, 0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Every array's and object's raw text reads back as what the view reads.
    fn raw_texts_read_back(v: Json<'_>) {
        if let Some(raw) = v.raw_text() {
            assert_eq!(serde_json::from_str::<Value>(raw).unwrap(), v.to_value(), "{raw}");
        }
        for item in v.items().into_iter().flatten() {
            raw_texts_read_back(item);
        }
        for (_, member) in v.members().into_iter().flatten() {
            raw_texts_read_back(member);
        }
    }

    fn same_as_serde(text: &str) {
        if let Ok(doc) = Doc::parse(text) {
            raw_texts_read_back(doc.root());
        }
        let ours = Doc::parse(text).map(|d| d.root().to_value());
        let theirs = serde_json::from_str::<Value>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{text:?}: tape {ours:?}, serde_json {theirs:?}"),
        }
    }

    #[test]
    fn reads_like_a_value() {
        let text = r#" {"a": {"b": [1, -2, 3.5, "x\ny", true, null]}, "a2": "plain", "dup": 1, "dup": 2, "e": {}, "f": []} "#;
        let doc = Doc::parse(text).unwrap();
        let root = doc.root();
        assert_eq!(root.to_value(), serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(root.get("dup").and_then(Json::as_i64), Some(2));
        assert_eq!(root.path("a.b.3").and_then(Json::as_str), Some("x\ny"));
        assert_eq!(root.path("a.b.0").and_then(Json::as_u64), Some(1));
        assert_eq!(root.path("a.b.1").and_then(Json::as_i64), Some(-2));
        assert_eq!(root.path("a.b.2").and_then(Json::as_number).and_then(|n| n.as_f64()), Some(3.5));
        assert_eq!(root.path("a.b.5"), None, "a path to null is none, like codec::json::get");
        assert!(root.get("a").unwrap().get("b").unwrap().get(5).unwrap().is_null());
        assert_eq!(root.get("a2").and_then(Json::as_str), Some("plain"));
        assert_eq!(root.get("e").map(Json::len), Some(0));
        assert_eq!(root.get("f").and_then(Json::items).map(|i| i.count()), Some(0));
        assert_eq!(root.members().unwrap().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "a2", "dup", "dup", "e", "f"]);
        assert!(root.get("missing").is_none() && root.get(0).is_none());
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for text in [
            "", " ", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "01", "-", "1.", ".5", "1e", "1e+", "+1", "tru", "nul",
            "\"abc", "\"a\u{1}b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "[1 2]", "1 2", "{\"a\":1}}", "[]]", "1e400", "-1e400", "NaN",
            "123456789012345678901234567890", "1.5e308", "[\"\\", "{\"a\\u0041\":1}", "\u{feff}1", "[1]\u{0}",
        ] {
            same_as_serde(text);
        }
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        for n in [126, 127, 128, 129] {
            same_as_serde(&nested(n));
        }
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        for text in ["0", "-0", "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808", "-9223372036854775809", "1e2", "1E-2", "0.1", "-0.0", "1234567890123456789", "12345678901234567890", "2.5e-324", "1.7976931348623157e308"] {
            same_as_serde(text);
            let n = Doc::parse(text).unwrap().root().as_number();
            assert_eq!(n, serde_json::from_str::<Number>(text).ok(), "{text}");
            // An id read from the text is the number as serde_json prints it.
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(crate::codec::json::id_string(Some(Doc::parse(text).unwrap().root())), crate::codec::json::id_string(Some(&v)), "{text}");
        }
    }

    #[test]
    fn owned_documents_outlive_their_text() {
        let doc = {
            let text = String::from(r#"[{"id": 7}]"#);
            Doc::parse(&text).unwrap().into_owned()
        };
        assert_eq!(doc.root().path("0.id").and_then(Json::as_u64), Some(7));
        let v = json!({"k": ["a\"b", 1.25, {"z": null}]});
        assert_eq!(Doc::from_value(&v).root().to_value(), v);
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        crate::tests::properties::arb_json_wide()
    }

    proptest! {
        #![proptest_config(crate::tests::properties::config(2_000, file!()))]

        /// Any value's JSON text, compact or pretty, reads back the same value.
        #[test]
        fn documents_of_values_read_back_the_value(v in arb_value(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
            same_as_serde(&text);
        }

        /// Objects written with repeated keys (which no `Value` prints): every
        /// member lookup finds what serde_json keeps, the last.
        #[test]
        fn lookups_find_the_member_serde_json_keeps(members in prop::collection::vec(("[ab\\\\]{0,2}", arb_value()), 0..8), probe in "[ab\\\\]{0,2}") {
            let body: Vec<String> = members.iter().map(|(k, v)| format!("{}:{v}", Value::String(k.clone()))).collect();
            let text = format!("{{{}}}", body.join(","));
            let theirs: Value = serde_json::from_str(&text).unwrap();
            let doc = Doc::parse(&text).unwrap();
            for key in members.iter().map(|(k, _)| k.as_str()).chain([probe.as_str()]) {
                prop_assert_eq!(doc.root().get(key).map(Json::to_value), theirs.get(key).cloned(), "{} in {}", key, text);
            }
        }

        /// Texts near JSON (a valid text with one byte replaced, inserted or cut):
        /// the tape accepts exactly what serde_json accepts, with the same value.
        #[test]
        fn texts_near_json_are_read_as_serde_json_reads_them(v in arb_value(), at in any::<prop::sample::Index>(), edit in 0u8..3, byte in prop::sample::select(b"{}[],:\"\\ 0123456789-+.eEtrufalsn\x01\x7f".to_vec())) {
            let mut bytes = v.to_string().into_bytes();
            let i = at.index(bytes.len() + 1);
            match edit {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
            if let Ok(text) = String::from_utf8(bytes) {
                same_as_serde(&text);
            }
        }
    }
}
