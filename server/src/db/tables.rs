//! The catalogue of every table and column, in dependency order, with each column's portable
//! kind: what `gharts db copy` walks. A test compares it with both migrated schemas, so a new
//! column cannot be left out of a copy unnoticed.

/// How a column's values are read and bound on either backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `UUID` / 16-byte `BLOB`.
    Uuid,
    /// `TEXT` (including the audit log's `event_data`, kept byte for byte).
    Text,
    /// `BIGINT` / `INTEGER`.
    Int,
    /// `BOOLEAN`.
    Bool,
    /// `TIMESTAMPTZ` / RFC 3339 `TEXT`.
    Time,
    /// `JSONB` / JSON `TEXT`.
    Json,
}

/// One table.
#[derive(Debug)]
pub struct Table {
    /// The table's name.
    pub name: &'static str,
    /// Its columns and their kinds.
    pub columns: &'static [(&'static str, Kind)],
    /// The `order by` that lists its rows in a stable order.
    pub order_by: &'static str,
    /// Set for tables the migrations seed with fixed rows: the conflict target that makes the
    /// copy overwrite those rows instead of failing.
    pub seeded_key: Option<&'static str>,
    /// PostgreSQL `generated always as identity` id: inserts must say `overriding system value`,
    /// and the sequence is moved past the copied ids afterwards.
    pub identity: bool,
}

impl Table {
    /// Whether a row here means the database holds data (seeded rows do not count).
    pub fn holds_data(&self) -> bool {
        self.seeded_key.is_none()
    }
}

use Kind::{Bool, Int, Json, Text, Time, Uuid};

const fn table(name: &'static str, columns: &'static [(&'static str, Kind)], order_by: &'static str) -> Table {
    Table { name, columns, order_by, seeded_key: None, identity: false }
}

/// Every table, parents before children.
pub const TABLES: &[Table] = &[
    table(
        "users",
        &[
            ("id", Uuid),
            ("email", Text),
            ("oidc_sub", Text),
            ("username", Text),
            ("password_hash", Text),
            ("display_name", Text),
            ("is_admin", Bool),
            ("is_active", Bool),
            ("can_use_jit", Bool),
            ("created_at", Time),
            ("updated_at", Time),
            ("last_login_at", Time),
            ("created_by", Text),
            ("deactivated_at", Time),
            ("deactivation_comment", Text),
        ],
        "id",
    ),
    table(
        "teams",
        &[
            ("id", Uuid),
            ("name", Text),
            ("description", Text),
            ("required_labels", Json),
            ("optional_label_patterns", Json),
            ("max_runners", Int),
            ("max_runners_per_user", Int),
            ("allowed_runner_group_ids", Json),
            ("default_runner_group_id", Int),
            ("github_repository", Text),
            ("is_active", Bool),
            ("is_system", Bool),
            ("created_at", Time),
            ("updated_at", Time),
            ("created_by", Text),
            ("deactivated_at", Time),
            ("deactivated_by", Text),
            ("deactivation_reason", Text),
        ],
        "id",
    ),
    table("team_members", &[("team_id", Uuid), ("user_id", Uuid), ("joined_at", Time), ("added_by", Text)], "team_id, user_id"),
    table(
        "oauth_clients",
        &[
            ("id", Uuid),
            ("client_id", Text),
            ("team_id", Uuid),
            ("description", Text),
            ("is_active", Bool),
            ("created_at", Time),
            ("updated_at", Time),
            ("created_by", Text),
            ("last_used_at", Time),
        ],
        "id",
    ),
    table(
        "runners",
        &[
            ("id", Uuid),
            ("runner_name", Text),
            ("status", Text),
            ("github_runner_id", Int),
            ("runner_group_id", Int),
            ("labels", Json),
            ("ephemeral", Bool),
            ("team_id", Uuid),
            ("provisioned_by", Text),
            ("actor_type", Text),
            ("owner_user_id", Uuid),
            ("owner_client_id", Uuid),
            ("github_status", Text),
            ("busy", Bool),
            ("idempotency_key", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("registered_at", Time),
            ("last_seen_at", Time),
            ("expires_at", Time),
            ("deleted_at", Time),
            ("deletion_reason", Text),
        ],
        "id",
    ),
    table(
        "idempotency_keys",
        &[
            ("principal_key", Text),
            ("idem_key", Text),
            ("request_hash", Text),
            ("state", Text),
            ("response_body", Text),
            ("runner_id", Uuid),
            ("created_at", Time),
            ("expires_at", Time),
        ],
        "principal_key, idem_key",
    ),
    // Ids come from the table's own sequence (PostgreSQL): restarted after a copy.
    Table {
        identity: true,
        ..table(
            "audit_log",
            &[
                ("id", Int),
                ("timestamp", Time),
                ("event_type", Text),
                ("actor_type", Text),
                ("user_identity", Text),
                ("oidc_sub", Text),
                ("request_ip", Text),
                ("user_agent", Text),
                ("request_id", Text),
                ("runner_id", Text),
                ("runner_name", Text),
                ("team_id", Uuid),
                ("event_data", Text),
                ("success", Bool),
                ("error_message", Text),
                ("prev_hash", Text),
                ("hash", Text),
                ("chain_seq", Int),
            ],
            "id",
        )
    },
    Table {
        seeded_key: Some("singleton"),
        ..table("audit_chain_head", &[("singleton", Int), ("last_id", Int), ("last_hash", Text), ("last_seq", Int)], "singleton")
    },
    Table {
        identity: true,
        ..table(
            "security_events",
            &[
                ("id", Int),
                ("timestamp", Time),
                ("event_type", Text),
                ("severity", Text),
                ("runner_id", Text),
                ("runner_name", Text),
                ("github_runner_id", Int),
                ("team_id", Uuid),
                ("user_identity", Text),
                ("oidc_sub", Text),
                ("violation_data", Json),
                ("action_taken", Text),
                ("request_id", Text),
            ],
            "id",
        )
    },
    Table {
        seeded_key: Some("name"),
        ..table("sync_lease", &[("name", Text), ("holder", Text), ("expires_at", Time), ("acquired_at", Time), ("renewed_at", Time)], "name")
    },
    Table {
        seeded_key: Some("singleton"),
        ..table(
            "sync_state",
            &[
                ("singleton", Int),
                ("last_sync_time", Time),
                ("last_sync_result", Text),
                ("last_sync_error", Text),
                ("last_error_time", Time),
                ("last_sync_duration_ms", Int),
                ("updated_at", Time),
            ],
            "singleton",
        )
    },
    table(
        "webhook_deliveries",
        &[("delivery_id", Text), ("event", Text), ("action", Text), ("result", Text), ("received_at", Time), ("state", Text)],
        "delivery_id",
    ),
    table("webhook_completed_jobs", &[("workflow_job_id", Int), ("github_runner_id", Int), ("completed_at", Time)], "workflow_job_id"),
    table("unmanaged_runners", &[("github_runner_id", Int), ("runner_name", Text), ("first_seen_at", Time), ("last_seen_at", Time)], "github_runner_id"),
    table("label_drift_reports", &[("runner_id", Uuid), ("reported_at", Time)], "runner_id"),
    table(
        "sessions",
        &[
            ("id_hash", Text),
            ("user_id", Uuid),
            ("auth_method", Text),
            ("created_at", Time),
            ("last_seen_at", Time),
            ("idle_expires_at", Time),
            ("absolute_expires_at", Time),
            ("id_token_hint", Text),
            ("client_ip", Text),
            ("user_agent", Text),
        ],
        "id_hash",
    ),
    Table { identity: true, ..table("login_failures", &[("id", Int), ("username_lower", Text), ("client_ip", Text), ("failed_at", Time)], "id") },
];
