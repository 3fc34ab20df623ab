//! The wire-test helpers, shared with the tests beside each handler in `src/` (one file,
//! `src/test_support.rs`, compiled into both).
#![allow(dead_code)]

#[path = "../../src/test_support.rs"]
mod support;

pub use support::*;
