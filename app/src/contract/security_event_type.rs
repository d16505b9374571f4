//! The catalogue of security events GHARTS writes (API.md §3.8).
//!
//! Responses keep `event_type` as text: rows imported from the Python service may carry
//! types outside this catalogue, and they are listed as stored.

use super::string_enum::string_enum;

string_enum! {
    /// The `event_type` of a security event written by this service.
    pub enum SecurityEventType("security event type") {
        /// Requested labels outside the team's policy (provisioning refused).
        LabelPolicyViolation = "label_policy_violation",
        /// Requested runner group not allowed for the team.
        RunnerGroupNotAllowed = "runner_group_not_allowed",
        /// Team or per-principal quota reached.
        QuotaExceeded = "quota_exceeded",
        /// A runner's labels at GitHub differ from those issued.
        LabelDriftDetected = "label_drift_detected",
        /// A workflow job asked for labels outside the policy.
        LabelPolicyViolationWorkflow = "label_policy_violation_workflow",
        /// A runner in the organisation that GHARTS never issued.
        UnmanagedRunnerDetected = "unmanaged_runner_detected",
        /// Too many failed local logins.
        LocalLoginLocked = "local_login_locked",
        /// A user was deactivated.
        UserDeactivated = "user_deactivated",
        /// Batch: users disabled.
        BatchDisableUsers = "batch_disable_users",
        /// Batch: users restored.
        BatchRestoreUsers = "batch_restore_users",
        /// Batch: runners deleted.
        BatchDeleteRunners = "batch_delete_runners",
        /// Batch: teams deactivated.
        BatchDeactivateTeams = "batch_deactivate_teams",
        /// Batch: teams reactivated.
        BatchReactivateTeams = "batch_reactivate_teams",
    }
}

#[cfg(test)]
mod tests {
    use super::SecurityEventType;

    #[test]
    fn every_type_round_trips_through_its_wire_text() {
        for t in SecurityEventType::ALL {
            assert_eq!(serde_json::to_value(t).expect("json"), serde_json::json!(t.as_str()));
            assert_eq!(t.as_str().parse::<SecurityEventType>(), Ok(*t));
        }
        assert_eq!(SecurityEventType::ALL.len(), 13);
    }
}
