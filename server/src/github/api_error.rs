//! How GitHub's absence and failures are answered in the API contract (API.md §1.5.3):
//! `503 GITHUB_NOT_CONFIGURED`, `503 GITHUB_UNAVAILABLE`, `502 GITHUB_REJECTED`, a name
//! conflict, or a busy runner.

use app::contract::{ApiError, ErrorCode};

use super::{GitHubError, SharedGitHub};
use crate::error::{AppError, AppResult};

/// The GitHub client, or `503 GITHUB_NOT_CONFIGURED` when this deployment has none.
pub fn configured(github: Option<&SharedGitHub>) -> AppResult<&SharedGitHub> {
    github.ok_or_else(|| {
        AppError::api(ErrorCode::GithubNotConfigured, "GitHub is not configured on this deployment (set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_ORG)")
    })
}

/// A GitHub failure as the contract error the caller sees.
pub fn api_error(e: GitHubError) -> AppError {
    match e {
        GitHubError::Unavailable { message, retry_after } => {
            tracing::warn!(error = %message, "GitHub unavailable");
            ApiError::new(ErrorCode::GithubUnavailable, "GitHub is unavailable; try again later").with_retry_after(retry_after.unwrap_or(30).min(3600)).into()
        }
        GitHubError::Rejected { status, message } => AppError::api(ErrorCode::GithubRejected, format!("GitHub API error ({status}): {message}")),
        GitHubError::NameExists => AppError::api(ErrorCode::NameConflict, "A runner with this name already exists in the GitHub organization"),
        GitHubError::RunnerBusy => {
            AppError::api(ErrorCode::RunnerBusy, "GitHub refuses to delete a runner that is running a job; an ephemeral runner goes away when its job ends")
        }
    }
}
