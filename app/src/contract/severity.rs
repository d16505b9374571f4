//! How serious a security event is (API.md §3.8).

use super::string_enum::string_enum;

string_enum! {
    /// A security event's `severity`, least to most serious.
    pub enum Severity("severity") {
        /// Routine refusals (quota).
        Low = "low",
        /// Policy refusals, lock-outs, single deactivations, restores.
        Medium = "medium",
        /// Drift, unmanaged runners, workflow violations, batch removals.
        High = "high",
        /// Reserved for incidents that need a person now.
        Critical = "critical",
    }
}

#[cfg(test)]
mod tests {
    use super::Severity;

    #[test]
    fn every_severity_round_trips_through_its_wire_text() {
        for s in Severity::ALL {
            assert_eq!(serde_json::to_value(s).expect("json"), serde_json::json!(s.as_str()));
            assert_eq!(s.as_str().parse::<Severity>(), Ok(*s));
        }
        assert_eq!(Severity::ALL.iter().map(Severity::as_str).collect::<Vec<_>>(), ["low", "medium", "high", "critical"]);
    }
}
