//! Repository implementations, one file per trait.
