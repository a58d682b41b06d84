//! Shared test harness: real mail servers, fresh databases, the posko binary.

pub mod fleet;
pub mod mail;
pub mod mailstack;
pub mod oauth;
pub mod posko;
pub mod stall;
