//! Durable deadlines: what should happen when ([`model`]), and the step
//! function that makes it happen ([`run`]). The scheduler loop in the server
//! only sleeps and calls [`run_due`]; tests call it directly after moving a
//! fake clock.
//!
//! Inside the core, ports and features import the types from [`model`]
//! directly, so that declaring a deadline never depends on the features the
//! step function calls.

pub mod heartbeat;
pub mod model;
pub mod outage;
pub mod run;

pub use model::{
    Deadline, DeadlineKind, DeadlineState, Due, FIRED_EVENT, FIRED_SUBJECT, FiredRecord, NewDeadline, fired_records,
};
pub use run::{Outcome, run_due};
