//! The GitHub connection's health: the App, its installation on the organisation, whether an
//! installation token can be minted and the rate-limit budget. One function for
//! `gharts github check` and the admin console's panel (`GET /api/v1/admin/github`).

use std::time::Duration;

use app::contract::admin::{GitHubHealthResponse, GitHubRateLimit};
use chrono::{DateTime, Utc};

use crate::github::{GitHubApi, GitHubError};

/// How long the whole check may take: the console's panel must answer even when GitHub does
/// not (the client's own retries would otherwise run to their deadline).
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// The health of `github` (the configured client, if any) for organisation `org`, gathered
/// within `timeout`. The App and installation facts are cached by the client after the first
/// answer; the rate limit is asked each time (the call costs none of the budget). Never fails:
/// a failure is a state with its message; no secret is ever part of it.
pub async fn health(github: Option<&dyn GitHubApi>, org: Option<&str>, timeout: Duration) -> GitHubHealthResponse {
    let mut out = GitHubHealthResponse {
        state: "ok".into(),
        org: org.map(str::to_owned),
        app_id: None,
        app_slug: None,
        app_name: None,
        installation_id: None,
        installation_account: None,
        token_ok: false,
        rate_limit: None,
        error: None,
        checked_at: Utc::now(),
    };
    let Some(gh) = github else {
        out.state = "not_configured".into();
        out.error = Some("GitHub is not configured: set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_ORG".into());
        return out;
    };
    let checked = tokio::time::timeout(timeout, async {
        let facts = gh.app_facts().await?;
        out.app_id = Some(facts.app_id);
        out.app_slug = Some(facts.slug);
        out.app_name = Some(facts.name);
        out.installation_id = i64::try_from(facts.installation_id).ok();
        out.installation_account = Some(facts.account);
        let budget = gh.rate_budget().await?;
        out.token_ok = true;
        out.rate_limit = Some(GitHubRateLimit {
            remaining: budget.remaining,
            limit: budget.limit,
            reset_at: DateTime::from_timestamp(budget.reset, 0).unwrap_or_else(Utc::now),
        });
        Ok::<(), GitHubError>(())
    })
    .await;
    let failure = match checked {
        Ok(Ok(())) => return out,
        Ok(Err(e)) => e,
        Err(_) => GitHubError::Unavailable { message: format!("no answer within {} s", timeout.as_secs()), retry_after: None },
    };
    out.state = match failure {
        GitHubError::Unavailable { .. } => "unreachable",
        _ => "rejected",
    }
    .into();
    out.error = Some(failure.to_string());
    out
}
