//! The engine: the sans-IO state machines that drive provider exchanges — one
//! unified operation ([`operation`]) and a bulk sync ([`sync`]) — with retries
//! ([`retry`]) and signed list cursors ([`cursor`]).

pub mod cursor;
pub mod operation;
pub mod page;
pub mod passthrough;
pub mod retry;
pub mod step;
pub mod token;
pub mod sync;
