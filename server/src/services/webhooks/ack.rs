//! The webhook's 200 answers (API.md §15.1), each with its exact body and its
//! `gharts_webhook_deliveries_total` result.

use serde_json::{Value, json};

use crate::config::Enforcement;

/// What a delivery led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// The delivery id was already processed, or is being processed.
    Duplicate(String),
    /// Acknowledged and ignored, with the reason.
    Ignored(String),
    /// An event other than `workflow_job` (`ping` included).
    IgnoredEvent(String),
    /// `completed` applied.
    Completed,
    /// `in_progress` applied; whether the runner's labels pass its team's policy (`None`: not
    /// checked, GitHub could not be asked).
    Started {
        /// The label re-check.
        labels_valid: Option<bool>,
    },
    /// `in_progress` applied and the runner's labels break its team's policy.
    Violation {
        /// `LABEL_POLICY_ENFORCEMENT`.
        mode: Enforcement,
        /// `audit_only`, `workflow_cancelled`, `workflow_cancel_failed` or `workflow_cancel_error`.
        action_taken: &'static str,
    },
}

impl Ack {
    /// The JSON body.
    pub fn body(&self) -> Value {
        match self {
            Ack::Duplicate(id) => json!({ "status": "duplicate", "delivery_id": id }),
            Ack::Ignored(reason) => json!({ "status": "ignored", "reason": reason }),
            Ack::IgnoredEvent(event) => json!({ "status": "ignored", "event": event }),
            Ack::Completed => json!({ "status": "ok", "action": "completed" }),
            Ack::Started { labels_valid } => {
                json!({ "status": "ok", "labels_valid": labels_valid })
            }
            Ack::Violation { mode, action_taken } => {
                json!({ "status": "violation_detected", "enforcement_mode": mode.as_str(), "action_taken": action_taken })
            }
        }
    }

    /// The metric result (and the stored result of the delivery).
    pub fn result(&self) -> &'static str {
        match self {
            Ack::Duplicate(_) => "duplicate",
            Ack::Ignored(_) | Ack::IgnoredEvent(_) => "ignored",
            Ack::Completed | Ack::Started { .. } => "processed",
            Ack::Violation { .. } => "violation",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_exactly_the_contracts() {
        assert_eq!(Ack::Completed.body().to_string(), r#"{"action":"completed","status":"ok"}"#);
        assert_eq!(Ack::Started { labels_valid: None }.body(), json!({ "status": "ok", "labels_valid": null }));
        let v = Ack::Violation { mode: Enforcement::Enforce, action_taken: "workflow_cancelled" };
        assert_eq!(v.body(), json!({ "status": "violation_detected", "enforcement_mode": "enforce", "action_taken": "workflow_cancelled" }));
        assert_eq!(v.result(), "violation");
        assert_eq!(Ack::Duplicate("d".into()).body(), json!({ "status": "duplicate", "delivery_id": "d" }));
    }
}
