//! Mail posko writes: the words (templates and their typed contexts) and the
//! bytes (MIME). Nothing here reads or writes the database.

pub mod body;
pub mod clean;
pub mod compose;
pub mod templates;
