//! Variations (child ASINs) of the twister.

use super::{json_value_after, unparseable};
use amazcope_core::Asin;
use amazcope_core::model::page::{Field, Variation};
use memchr::memmem;
use std::collections::BTreeMap;

/// Child ASINs with their dimension values, from the twister's `dimensionValuesDisplayData`
/// JSON (2018+ twister) and `dimensionsDisplay` names.
pub(super) fn read_variations(html: &str, selected: Asin) -> Field<Vec<Variation>> {
    let Some(at) = memmem::find(html.as_bytes(), b"\"dimensionValuesDisplayData\"") else {
        return Field::Absent;
    };
    let Some(obj) = json_value_after(html, at) else { return Field::Absent };
    let Ok(map) = serde_json::from_str::<BTreeMap<String, Vec<String>>>(obj) else {
        return unparseable("dimensionValuesDisplayData", obj);
    };
    let names: Vec<String> = memmem::find(html.as_bytes(), b"\"dimensionsDisplay\"")
        .and_then(|a| json_value_after(html, a))
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (asin, values) in map {
        let Ok(a) = asin.parse::<Asin>() else { continue };
        let dimensions = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (names.get(i).cloned().unwrap_or_else(|| format!("dimension_{i}")), v))
            .collect();
        out.push(Variation { asin: a, dimensions, selected: a == selected });
    }
    if out.is_empty() { Field::Absent } else { Field::Read(out) }
}

/// The parent ASIN of the variation family, from the twister / page-state JSON
/// (`"parentAsin":"B07KV4J4S8"`, with or without spaces around the colon).
pub(super) fn read_parent(html: &str) -> Option<Asin> {
    let at = memmem::find(html.as_bytes(), b"\"parentAsin\"")? + "\"parentAsin\"".len();
    let rest = html.get(at..at.saturating_add(40).min(html.len()))?;
    let rest = rest.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    rest.get(..10)?.parse().ok()
}
