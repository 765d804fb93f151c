//! The declarative vocabulary: unified fields (what a caller writes and reads) and
//! provider field tables (where each unified field goes for one provider and which
//! rules that provider adds). Validation, request mapping and coverage all read
//! these tables; nothing about a field is written twice.

/// Type of a unified field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    String,
    /// Free text (note bodies, descriptions).
    Text,
    /// ISO 8601 date-time with offset (`2024-06-15T10:00:00Z`).
    DateTime,
    /// A whole number 0..=2^53−1 (exact as a JS number); see `codec::numbers::MAX_SAFE_INT`.
    Integer,
    Enum(&'static [&'static str]),
    /// `{ "id": "…" }`; only `id` is read on input.
    Ref,
    /// `[{ "id": "…" }]`.
    RefList,
    /// An object with known fields.
    Struct(&'static [UnifiedField]),
    /// A list of objects with known fields.
    StructList(&'static [UnifiedField]),
    /// Free-form object passed through (`custom_fields`, `remote_data`).
    Record,
}

impl Kind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::String | Kind::Text => "string",
            Kind::DateTime => "date-time",
            Kind::Integer => "integer",
            Kind::Enum(_) => "enum",
            Kind::Ref | Kind::Struct(_) => "object",
            Kind::RefList | Kind::StructList(_) => "object[]",
            Kind::Record => "record",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnifiedField {
    pub name: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
}

pub const fn uf(name: &'static str, kind: Kind, doc: &'static str) -> UnifiedField {
    UnifiedField { name, kind, doc }
}

/// A unified resource: its request body, list filters and record shape.
#[derive(Debug)]
pub struct ResourceDef {
    pub model: &'static str,
    pub resource: &'static str,
    pub doc: &'static str,
    /// Fields of a create/update body.
    pub body: &'static [UnifiedField],
    /// List/get query filters.
    pub filters: &'static [UnifiedField],
    /// Fields of a returned record.
    pub record: &'static [UnifiedField],
}

/// The unified methods, as the Truto-style API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnifiedMethod {
    Create,
    List,
    Get,
    Update,
    Delete,
}

impl UnifiedMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            UnifiedMethod::Create => "create",
            UnifiedMethod::List => "list",
            UnifiedMethod::Get => "get",
            UnifiedMethod::Update => "update",
            UnifiedMethod::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "create" => UnifiedMethod::Create,
            "list" => UnifiedMethod::List,
            "get" => UnifiedMethod::Get,
            "update" => UnifiedMethod::Update,
            "delete" => UnifiedMethod::Delete,
            _ => return None,
        })
    }
    /// Whether the request side of this method is a body (else query filters).
    pub fn has_body(self) -> bool {
        matches!(self, UnifiedMethod::Create | UnifiedMethod::Update)
    }
}

/// Where a unified field lands in the provider request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// A dotted path in the provider's JSON (or form) body.
    Body(&'static str),
    /// A provider query parameter.
    Query(&'static str),
    /// A path parameter (the text names it, e.g. `{opportunity}`).
    Path(&'static str),
    /// Mapped by the provider module's code; the text says where, for docs.
    Custom(&'static str),
    /// A list filter the provider cannot apply: crosswalk applies it to the mapped
    /// records and reports that it did.
    Local,
}

/// A literal provider value, for enum tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    Str(&'static str),
    Bool(bool),
    Int(i64),
}

impl Lit {
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Lit::Str(s) => serde_json::Value::String(s.to_string()),
            Lit::Bool(b) => serde_json::Value::Bool(b),
            Lit::Int(i) => serde_json::Value::from(i),
        }
    }
}

/// How a value changes on its way to the provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conv {
    Same,
    /// Date-time → integer epoch milliseconds.
    EpochMs,
    /// Date-time → integer epoch seconds.
    EpochSecs,
    /// Date-time → RFC 3339 in UTC with `Z` (normalises offsets).
    UtcIso,
    /// Enum value → provider literal. Values missing from the table are not
    /// representable by this provider and fail validation.
    Map(&'static [(&'static str, Lit)]),
    /// `{id}` → `"id"`.
    Id,
    /// `[{id}]` → `["id", …]`.
    Ids,
}

/// Extra constraints a provider puts on a unified field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    MaxLen(usize),
    /// Only these enum values are representable by this provider.
    OneOf(&'static [&'static str]),
    /// Inclusive numeric bounds.
    Range(i64, i64),
    /// At most this many items in a list field.
    MaxItems(usize),
}

/// One row of a provider field table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldMap {
    pub field: &'static str,
    pub target: Target,
    pub conv: Conv,
    pub required: bool,
    pub rules: &'static [Rule],
}

impl FieldMap {
    pub const fn body(field: &'static str, to: &'static str) -> Self {
        FieldMap { field, target: Target::Body(to), conv: Conv::Same, required: false, rules: &[] }
    }
    pub const fn query(field: &'static str, to: &'static str) -> Self {
        FieldMap { field, target: Target::Query(to), conv: Conv::Same, required: false, rules: &[] }
    }
    pub const fn path(field: &'static str, placeholder: &'static str) -> Self {
        FieldMap { field, target: Target::Path(placeholder), conv: Conv::Same, required: false, rules: &[] }
    }
    pub const fn custom(field: &'static str, doc: &'static str) -> Self {
        FieldMap { field, target: Target::Custom(doc), conv: Conv::Same, required: false, rules: &[] }
    }
    pub const fn local(field: &'static str) -> Self {
        FieldMap { field, target: Target::Local, conv: Conv::Same, required: false, rules: &[] }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn conv(mut self, conv: Conv) -> Self {
        self.conv = conv;
        self
    }
    pub const fn rules(mut self, rules: &'static [Rule]) -> Self {
        self.rules = rules;
        self
    }
    /// The provider-side name, for coverage and docs.
    pub fn provider_field(&self) -> String {
        match self.target {
            Target::Body(p) => p.to_string(),
            Target::Query(p) => format!("?{p}"),
            Target::Path(p) => format!("{{{p}}}"),
            Target::Custom(doc) => doc.to_string(),
            Target::Local => "(applied by crosswalk)".to_string(),
        }
    }
    /// Enum values this provider accepts, when restricted.
    pub fn allowed_values(&self) -> Option<Vec<&'static str>> {
        if let Conv::Map(table) = self.conv {
            return Some(table.iter().map(|(k, _)| *k).collect());
        }
        self.rules.iter().find_map(|r| match r {
            Rule::OneOf(v) => Some(v.to_vec()),
            _ => None,
        })
    }
}

/// Shorthand for enum tables in provider modules.
pub const fn s(v: &'static str) -> Lit {
    Lit::Str(v)
}
