//! Query-string conventions shared by the REST API and the console (API.md §1.2): boolean
//! spellings. The server's extractor and the console's links parse them with the same code.

use serde::{Deserialize, Deserializer};

/// `true/false`, `1/0`, `yes/no`, `on/off` in any case; anything else is `None`.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Deserialises an optional boolean query parameter with [`parse_bool`]'s spellings.
pub fn flex_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = Option::<String>::deserialize(d)?;
    raw.map(|v| parse_bool(&v).ok_or_else(|| serde::de::Error::custom(format!("invalid boolean {v:?}")))).transpose()
}
