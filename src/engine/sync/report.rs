//! The sync report: one slot per input record, so a record can only ever be
//! counted once, rendered as `synced` / `failed` / `not_sent` lists sorted by
//! the record's index in the input.

use serde_json::{Map, Value};

use crate::codec::json::obj;

use crate::error::{Issue, Warning};

use super::budget::Budget;
use crate::provider::sync::{Failure, SyncDef};

#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    Validation(Vec<Issue>),
    BudgetExhausted { retry_at_ms: u64, window: String },
    Aborted,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Synced { status: u16 },
    Failed(Failure),
    NotSent(Reason),
}

pub struct Report {
    provider: &'static str,
    model: &'static str,
    resource: &'static str,
    group_field: &'static str,
    key_field: &'static str,
    outcomes: Vec<Option<Outcome>>,
    /// `(key, group)` of each record as the caller gave them (null when absent).
    ids: Vec<(Value, Value)>,
    warnings: Vec<Warning>,
    pub requests: u64,
    pub stopped: Option<Value>,
}

impl Report {
    pub fn new(def: &SyncDef, total: usize) -> Report {
        Report {
            provider: def.provider.name,
            model: def.op.model,
            resource: def.op.resource,
            group_field: def.group_field,
            key_field: def.key_field,
            outcomes: vec![None; total],
            ids: vec![(Value::Null, Value::Null); total],
            warnings: Vec::new(),
            requests: 0,
            stopped: None,
        }
    }

    /// Remembers the record's key and group for the report lines.
    pub fn identify(&mut self, index: usize, record: &Map<String, Value>) {
        let pick = |name: &str| record.get(name).filter(|v| v.is_string()).cloned().unwrap_or(Value::Null);
        if let Some(slot) = self.ids.get_mut(index) {
            *slot = (pick(self.key_field), pick(self.group_field));
        }
    }

    /// Settles a record. The first outcome is final.
    pub fn set(&mut self, index: usize, outcome: Outcome) {
        if let Some(slot @ None) = self.outcomes.get_mut(index) {
            *slot = Some(outcome);
        }
    }

    pub fn warn(&mut self, index: usize, warnings: Vec<Warning>) {
        self.warnings.extend(warnings.into_iter().map(|w| Warning { field: format!("records[{index}]{}", w.field.strip_prefix("body").unwrap_or(&w.field)), ..w }));
    }

    pub fn to_json(&self, budget: &Budget) -> Value {
        let (mut synced, mut failed, mut not_sent) = (Vec::new(), Vec::new(), Vec::new());
        for (index, outcome) in self.outcomes.iter().enumerate() {
            let (key, group) = self.ids.get(index).cloned().unwrap_or((Value::Null, Value::Null));
            let mut line = Map::new();
            line.insert("index".into(), index.into());
            line.insert(self.key_field.into(), key);
            line.insert(self.group_field.into(), group);
            match outcome {
                Some(Outcome::Synced { status }) => {
                    line.insert("status".into(), (*status).into());
                    synced.push(Value::Object(line));
                }
                Some(Outcome::Failed(f)) => {
                    line.insert("status".into(), f.status.into());
                    line.insert("code".into(), f.code.into());
                    line.insert("message".into(), f.message.clone().into());
                    line.insert("provider_code".into(), f.provider_code.clone().unwrap_or(Value::Null));
                    line.insert("retryable".into(), f.retryable.into());
                    line.insert("remote".into(), f.remote.clone());
                    failed.push(Value::Object(line));
                }
                Some(Outcome::NotSent(reason)) => {
                    match reason {
                        Reason::Validation(issues) => {
                            line.insert("reason".into(), "validation".into());
                            line.insert("issues".into(), crate::error::issues_json(issues));
                        }
                        Reason::BudgetExhausted { retry_at_ms, window } => {
                            line.insert("reason".into(), "budget_exhausted".into());
                            line.insert("window".into(), window.as_str().into());
                            line.insert("retry_at_ms".into(), (*retry_at_ms).into());
                            line.insert("retry_at".into(), crate::codec::json::opt_str(crate::codec::datetime::iso_from_epoch_ms(i64::try_from(*retry_at_ms).unwrap_or(i64::MAX)).as_deref()));
                        }
                        Reason::Aborted => {
                            line.insert("reason".into(), "aborted".into());
                        }
                    }
                    not_sent.push(Value::Object(line));
                }
                // Cannot happen (every record is settled before the report); kept
                // visible rather than silently dropped.
                None => {
                    line.insert("reason".into(), "aborted".into());
                    not_sent.push(Value::Object(line));
                }
            }
        }
        let counts = obj(vec![("synced", synced.len().into()), ("failed", failed.len().into()), ("not_sent", not_sent.len().into())]);
        let mut out = obj(vec![
            ("object", "sync_report".into()),
            ("provider", self.provider.into()),
            ("model", self.model.into()),
            ("resource", self.resource.into()),
            ("total", self.outcomes.len().into()),
            ("counts", counts),
            ("complete", (failed.is_empty() && not_sent.is_empty()).into()),
            ("synced", Value::Array(synced)),
            ("failed", Value::Array(failed)),
            ("not_sent", Value::Array(not_sent)),
            ("stopped", self.stopped.clone().unwrap_or(Value::Null)),
            ("requests", self.requests.into()),
            ("budget", budget.to_json()),
        ]);
        if !self.warnings.is_empty() {
            out["warnings"] = crate::error::warnings_json(&self.warnings);
        }
        out
    }
}
