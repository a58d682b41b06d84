//! Use-case tests, in process: the ingest and staff-command use cases
//! driven directly on a fresh SQLite file, mail "sent" as files. No mail
//! server and no binary to start: each test takes milliseconds. The real
//! mail stack is `tests/it/`'s job.

mod harness;
mod ingest;
mod staff;
