//! Mail posko writes: the typed contexts its templates are rendered with.

pub mod context;
