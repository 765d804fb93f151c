//! The step protocol both machines speak ([`Operation`](super::operation::Operation)
//! and [`SyncOperation`](super::sync::SyncOperation)): the driver performs each
//! [`Step`] and hands back what happened, through [`Machine`].

use serde_json::Value;

use crate::codec::http::{HttpRequest, HttpResponse};
use crate::error::Result;

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Step {
    Send(HttpRequest),
    Wait { until_ms: u64, reason: String },
    Done(Value),
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
}
