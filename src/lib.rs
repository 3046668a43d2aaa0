//! # s3logdrop
//!
//! Turns the S3 server access logs of a public bucket into honest download statistics:
//! downloads and unique users per week, top objects, and every rejected line with its
//! reason. The same crate runs natively (the `s3logdrop` CLI) and in Web Workers (wasm).
//!
//! The flow goes one way: bytes -> [`line`] -> [`parse`] -> filter ([`settings`], [`bots`])
//! -> aggregate ([`summary`]) -> [`report`] / [`outputs`] / [`chart`], driven by the
//! push-style [`session::Session`]. Nothing here depends on anything web.
#![warn(missing_docs)]

pub mod bots;
pub mod chart;
pub mod counter;
pub mod datasets;
pub mod decode;
pub mod gen;
pub mod geo;
pub mod ip;
pub mod line;
pub mod map;
pub mod methods;
pub mod outputs;
pub mod parse;
pub mod period;
#[cfg(not(target_arch = "wasm32"))]
pub mod pool;
pub mod publish;
pub mod range;
pub mod report;
pub mod s3;
pub mod scan;
pub mod session;
pub mod settings;
pub mod snapshot;
pub mod summary;
pub mod text;
pub mod time;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use parse::{Parser, Record, Reject, FIELD_NAMES};
pub use report::Report;
pub use session::{NoSink, Session, Sink};
pub use settings::Settings;
pub use summary::Summary;
