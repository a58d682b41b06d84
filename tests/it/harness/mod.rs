//! Shared test harness: real mail servers, fresh databases, the posko binary.

pub mod mailstack;
