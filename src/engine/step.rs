//! The step protocol both machines speak ([`Operation`](super::operation::Operation)
//! and [`SyncOperation`](super::sync::SyncOperation)): the driver performs each
//! [`Step`] and hands back what happened, through [`Machine`].

use serde_json::Value;

use crate::codec::http::{HttpRequest, HttpResponse};
use crate::engine::page::Page;
use crate::unified::record::Record;
use crate::error::Result;

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Step {
    Send(HttpRequest),
    Wait { until_ms: u64, reason: String },
    /// The account's tokens were renewed: the driver persists these credentials
    /// (`{ account_id, credentials, context }`) before calling `resume`, so a
    /// rotated refresh token is never lost.
    Credentials(Value),
    Done(Value),
    /// A list page (the result a list operation is done with, page by page).
    Page(Page),
    /// One unified record (the result of a create, get, update…).
    Record(Record),
}

impl Step {
    /// A page or a record as the `Done` value it stands for (what the facade
    /// writes as JSON); any other step as it is.
    pub fn into_done(self) -> Step {
        match self {
            Step::Page(p) => Step::Done(p.into_value()),
            Step::Record(r) => Step::Done(r.into_value()),
            other => other,
        }
    }
}

/// A sans-IO state machine the driver feeds with responses and time.
pub trait Machine {
    /// False for a machine this build has no provider for (a build without bulk
    /// syncs): the facade then never steps one, so its code can be dropped.
    const COMPILED_IN: bool = true;
    /// An answer to the last [`Step::Send`].
    fn handle_response(&mut self, resp: HttpResponse, now_ms: u64) -> Result<Step>;
    /// The last [`Step::Send`] got no answer (reset, timeout, DNS).
    fn handle_transport_error(&mut self, reason: &str, now_ms: u64) -> Result<Step>;
    /// Continues after a [`Step::Wait`].
    fn resume(&mut self, now_ms: u64) -> Result<Step>;
    /// A request's URL as safe to show (credentials replaced).
    fn safe_url(&self, req: &HttpRequest) -> String;
    /// Whether the request in flight is a token request: a driver may share one
    /// among the operations of one account, or answer it with
    /// [`Machine::handle_credentials`] from its token authority instead.
    fn sending_token_request(&self) -> bool {
        false
    }
    /// Answers a pending token request with credentials the driver got elsewhere
    /// (`{ credentials, context? }`), without sending it.
    fn handle_credentials(&mut self, _credentials: &Value, _now_ms: u64) -> Result<Step> {
        Err(crate::error::Error::Misuse { reason: "this machine is not waiting for credentials".into() })
    }
}
