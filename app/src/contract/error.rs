//! The one error envelope of the API (API.md §1.5): `{detail, error_code, errors?}`.
//!
//! [`ErrorCode`] is the stable catalogue; each code always maps to the same HTTP status
//! ([`ErrorCode::status`]). [`ApiError`] is what crosses every boundary: REST responses,
//! server-function results, and the UI, which branches on the code, never on the text.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident => $status:literal),+ $(,)?) => {
        /// Stable error codes of API.md §1.5.3. Serialised in `SCREAMING_SNAKE_CASE`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            /// Every code, in catalogue order (for the OpenAPI enum and tests).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The HTTP status this code is always sent with.
            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status),+ }
            }
        }
    };
}

error_codes! {
    ValidationError => 422,
    IdempotencyKeyMismatch => 422,
    InvalidPayload => 400,
    TeamNameTaken => 400,
    AlreadyDeleted => 400,
    AlreadyInState => 400,
    AlreadyMember => 400,
    MembershipNotFound => 400,
    SystemTeamImmutable => 400,
    NothingToUpdate => 400,
    InvalidReference => 400,
    OidcLoginFailed => 400,
    Unauthenticated => 401,
    InvalidCredentials => 401,
    WebhookSignatureInvalid => 401,
    Forbidden => 403,
    CsrfCheckFailed => 403,
    UserNotRegistered => 403,
    UserInactive => 403,
    M2mClientNotRegistered => 403,
    M2mClientDisabled => 403,
    TeamInactive => 403,
    NotTeamMember => 403,
    NoActiveTeam => 403,
    LabelPolicyViolation => 403,
    RunnerGroupNotAllowed => 403,
    NotFound => 404,
    LoginMethodDisabled => 404,
    MethodNotAllowed => 405,
    NameConflict => 409,
    RunnerBusy => 409,
    UserAlreadyExists => 409,
    OauthClientAlreadyRegistered => 409,
    TeamHasActiveClient => 409,
    LastAdmin => 409,
    IdempotencyKeyInProgress => 409,
    SyncDisabled => 409,
    PayloadTooLarge => 413,
    QuotaExceeded => 429,
    RateLimited => 429,
    InternalError => 500,
    GithubRejected => 502,
    GithubUnavailable => 503,
    GithubNotConfigured => 503,
    IdpUnavailable => 503,
    DatabaseUnavailable => 503,
    WebhookNotConfigured => 503,
    NotReady => 503,
}

impl ErrorCode {
    /// The wire name, e.g. `"QUOTA_EXCEEDED"`.
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// One offending field of a `422 VALIDATION_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// `labels[1]`, `query.limit`, `header.Idempotency-Key` or `body`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The error body of every non-2xx response, and the error type of every server function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{error_code:?}: {detail}")]
pub struct ApiError {
    /// A message for people.
    pub detail: String,
    /// The stable code to branch on.
    pub error_code: ErrorCode,
    /// Only for `VALIDATION_ERROR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Seconds for the `Retry-After` header; not part of the body.
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// A presented token was rejected (`WWW-Authenticate: … error="invalid_token"`); not part of the body.
    #[serde(skip)]
    pub invalid_token: bool,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(error_code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { detail: detail.into(), error_code, errors: None, retry_after: None, invalid_token: false }
    }

    /// `422 VALIDATION_ERROR` listing the offending fields; the detail repeats the first.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let first = errors.first().map(|e| format!("Validation error: {}: {}", e.field, e.message)).unwrap_or_else(|| "Validation error".to_owned());
        Self { detail: first, error_code: ErrorCode::ValidationError, errors: Some(errors), retry_after: None, invalid_token: false }
    }

    /// A single-field validation error.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// Adds a `Retry-After` value.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// `401 UNAUTHENTICATED` with the contract's detail for a missing credential.
    pub fn not_authenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Not authenticated")
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        self.error_code.status()
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let invalid = |m: String| Self::new(ErrorCode::InvalidPayload, format!("Invalid arguments: {m}"));
        match value {
            // Arguments the server cannot decode: the caller's mistake. (On the server,
            // `Deserialization` is the arguments'; in the browser, the answer's.)
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => invalid(m),
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(m) => invalid(m),
            // Transport or (de)serialisation failures between browser and server.
            other => Self::new(ErrorCode::InternalError, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_in_screaming_snake_case() {
        assert_eq!(ErrorCode::M2mClientNotRegistered.as_str(), "M2M_CLIENT_NOT_REGISTERED");
        assert_eq!(ErrorCode::OauthClientAlreadyRegistered.as_str(), "OAUTH_CLIENT_ALREADY_REGISTERED");
    }

    #[test]
    fn validation_detail_starts_with_the_first_message() {
        let e = ApiError::invalid_field("labels[1]", "must be alphanumeric");
        assert_eq!(e.detail, "Validation error: labels[1]: must be alphanumeric");
        assert_eq!(e.status(), 422);
        let body = serde_json::to_value(&e).expect("serialises");
        assert_eq!(body["errors"][0]["field"], "labels[1]");
    }
}
