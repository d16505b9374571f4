//! Who is asking, and from where: the [`Caller`] every service takes, and the audit rows and
//! security events written in its name.
//!
//! The HTTP extractors (`http::extract`) build it from a request; server functions and the
//! CLI can build it directly. It lives here, below the services, so that the domain never
//! depends on the web layer.

use app::contract::{SecurityEventType, Severity};
use serde_json::Value;

use super::context::RequestContext;
use super::principal::Principal;
use crate::db::audit::NewAudit;
use crate::db::security_events::NewSecurityEvent;

/// An authenticated principal and the request it made.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who: the resolved principal with its roles and teams.
    pub principal: Principal,
    /// From where: address, user agent, request id.
    pub ctx: RequestContext,
}

impl Caller {
    /// A successful audit row of type `event_type` for this caller's action.
    pub fn audit(&self, event_type: &str, data: Value) -> NewAudit {
        self.ctx.audit(&self.principal, event_type, data)
    }

    /// A security event of this type and severity raised by this caller's request (no team,
    /// no runner; fill those in with `..`).
    pub fn security_event(&self, event_type: SecurityEventType, severity: Severity, data: Value) -> NewSecurityEvent {
        NewSecurityEvent {
            user_identity: self.principal.identity(),
            oidc_sub: self.principal.oidc_sub(),
            violation_data: data,
            request_id: self.ctx.request_id.clone(),
            ..NewSecurityEvent::new(event_type, severity)
        }
    }
}
