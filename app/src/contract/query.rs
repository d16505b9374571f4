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

/// Deserialises an optional boolean query parameter with [`parse_bool`]'s spellings; a JSON
/// boolean is taken as it is (the console sends query types to server functions as JSON).
pub fn flex_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Bool(b)) => Ok(Some(b)),
        Some(Raw::Text(v)) => parse_bool(&v).map(Some).ok_or_else(|| serde::de::Error::custom(format!("invalid boolean {v:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::contract::audit::AuditLogQuery;

    #[test]
    fn success_is_read_from_a_query_string_and_from_json() {
        let q: AuditLogQuery = serde_json::from_str(r#"{"success":false,"limit":50}"#).expect("decodes");
        assert_eq!((q.success, q.limit), (Some(false), Some(50)));
        let q: AuditLogQuery = serde_json::from_str(r#"{"success":"yes"}"#).expect("decodes");
        assert_eq!(q.success, Some(true));
        let q: AuditLogQuery = serde_json::from_str("{}").expect("decodes");
        assert_eq!(q.success, None);
        assert!(serde_json::from_str::<AuditLogQuery>(r#"{"success":"maybe"}"#).is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_query_round_trips_through_its_query_string() {
        let q = AuditLogQuery { success: Some(false), team: Some("team-x".into()), limit: Some(20), ..AuditLogQuery::default() };
        let encoded = serde_urlencoded::to_string(&q).expect("encodes");
        assert_eq!(encoded, "team=team-x&success=false&limit=20");
        assert_eq!(serde_urlencoded::from_str::<AuditLogQuery>(&encoded).expect("decodes"), q);
        assert_eq!(serde_urlencoded::from_str::<AuditLogQuery>("success=off").expect("decodes").success, Some(false));
    }
}
