//! The Youying domain.
//!
//! Everything here is pure: no I/O, no async runtime, no database and no system
//! clock. Time arrives as a [`Timestamp`] from a [`Clock`]; persistence is reached
//! only through ports: each feature declares its own beside it (`chat/port.rs`,
//! `orders/port.rs`, …), and [`ports`] composes them into the transaction the
//! store crate implements per backend.

pub mod accounts;
pub mod anchor;
pub mod apikeys;
pub mod authz;
pub mod bundle;
pub mod cases;
pub mod catalogue;
pub mod chat;
pub mod clock;
pub mod deadline;
pub mod deposit;
pub mod enforcement;
pub mod error;
pub mod evidence;
pub mod faq;
pub mod grades;
pub mod image;
pub mod levels;
pub mod listings;
pub mod mail;
pub mod money;
pub mod orders;
pub mod outbound;
pub mod payments;
pub mod ports;
pub mod publish;
pub mod push;
pub mod quiz;
pub mod report;
pub mod reviews;
pub mod rules;
pub mod shops;
pub mod snapshot;
pub mod sourcing;
pub mod stock;
pub mod values;
pub mod withdrawals;

pub use clock::{Clock, FakeClock, Timestamp};
pub use error::{Error, StorageError};
