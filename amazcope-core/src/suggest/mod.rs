//! Suggestion generators (placeholder while being written).
