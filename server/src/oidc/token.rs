//! Validation of OIDC JWTs (API.md §2.2): access tokens for the API and ID tokens of the
//! browser login share the key cache and the algorithm rules.

use std::collections::HashSet;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::keys::{KeyError, KeyStore};

/// Clock skew tolerated in every time check.
pub const LEEWAY_SECONDS: u64 = 60;

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// 401 with `Token validation failed: <reason>`.
    #[error("{0}")]
    Invalid(String),
    /// 503 `IDP_UNAVAILABLE`.
    #[error(transparent)]
    Unavailable(KeyError),
}

impl From<KeyError> for TokenError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::UnknownKid => TokenError::Invalid("unknown signing key (kid)".into()),
            other => TokenError::Unavailable(other),
        }
    }
}

fn invalid(msg: impl Into<String>) -> TokenError {
    TokenError::Invalid(msg.into())
}

/// What a token must carry besides a valid signature.
pub struct Expect<'a> {
    /// `iss` (a trailing `/` difference is tolerated).
    pub issuer: &'a str,
    /// One value `aud` must contain.
    pub audience: &'a str,
    /// Allowed `alg` values (never `none` or `HS*`).
    pub algorithms: &'a [Algorithm],
}

/// Whether a JWK may verify a token signed with `alg`: key type, optional `alg` and `use`.
fn key_fits(k: &Jwk, alg: Algorithm) -> bool {
    let type_ok = match &k.algorithm {
        AlgorithmParameters::RSA(_) => {
            matches!(alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512)
        }
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, Algorithm::ES256 | Algorithm::ES384),
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        // Symmetric ("oct") keys never verify anything here.
        _ => false,
    };
    let alg_ok = k.common.key_algorithm.is_none_or(|ka| key_alg_name(ka) == format!("{alg:?}"));
    let use_ok = k.common.public_key_use.as_ref().is_none_or(|u| *u == PublicKeyUse::Signature);
    type_ok && alg_ok && use_ok
}

fn key_alg_name(ka: KeyAlgorithm) -> String {
    format!("{ka:?}")
}

/// Verifies `token` and returns its claims.
pub async fn validate(keys: &KeyStore, token: &str, expect: &Expect<'_>) -> Result<Map<String, Value>, TokenError> {
    if token.split('.').count() != 3 {
        return Err(invalid("not a signed JWT (JWS compact form)"));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(format!("malformed header: {e}")))?;
    let alg = header.alg;
    if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) || !expect.algorithms.contains(&alg) {
        return Err(invalid(format!("algorithm {alg:?} is not allowed")));
    }
    let jwk = keys.key(header.kid.as_deref(), &|k| key_fits(k, alg)).await?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("unusable key: {e}")))?;

    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.required_spec_claims = HashSet::from(["exp".to_owned(), "sub".to_owned()]);
    validation.set_audience(&[expect.audience]);
    // The issuer is compared below, tolerating a trailing '/'.
    validation.iss = None;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| invalid(e.to_string()))?;
    let claims = data.claims;

    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    if iss.trim_end_matches('/') != expect.issuer.trim_end_matches('/') {
        return Err(invalid("wrong issuer"));
    }
    let now = jsonwebtoken::get_current_timestamp();
    if claims.get("iat").and_then(Value::as_u64).is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
        return Err(invalid("issued in the future"));
    }
    if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(invalid("sub is missing or empty"));
    }
    Ok(claims)
}
