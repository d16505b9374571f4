//! The errors every authenticated route can answer (API.md §4, "Errors common to every
//! route"), added to each operation in one place instead of in every annotation. Where a route
//! documents its own codes for one of these statuses, the common codes are appended to its
//! description, so each status appears once per operation with all of its codes.

use app::contract::ErrorCode;
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// The principal errors of API.md §2.3 and §2.4.
const PRINCIPAL: [ErrorCode; 5] =
    [ErrorCode::UserNotRegistered, ErrorCode::UserInactive, ErrorCode::M2mClientNotRegistered, ErrorCode::M2mClientDisabled, ErrorCode::TeamInactive];

/// The common codes of one operation, grouped by status in ascending order.
fn common_codes(is_write: bool, has_body: bool) -> Vec<ErrorCode> {
    let mut codes = vec![ErrorCode::Unauthenticated, ErrorCode::Forbidden];
    if is_write {
        codes.push(ErrorCode::CsrfCheckFailed);
    }
    codes.extend(PRINCIPAL);
    if has_body {
        codes.push(ErrorCode::PayloadTooLarge);
    }
    codes.extend([ErrorCode::ValidationError, ErrorCode::InternalError, ErrorCode::DatabaseUnavailable, ErrorCode::IdpUnavailable]);
    codes
}

/// Whether a description already names `code` (as a whole word).
fn names(description: &str, code: &str) -> bool {
    description.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).any(|w| w == code)
}

/// Adds the common errors to `op`, merging them into any response it already has.
fn add_common(op: &mut Operation, is_write: bool) {
    let public = op.security.as_ref().is_some_and(|reqs| reqs.contains(&SecurityRequirement::default()));
    if public {
        return;
    }
    for code in common_codes(is_write, op.request_body.is_some()) {
        let (status, name) = (code.status().to_string(), code.as_str());
        match op.responses.responses.get_mut(&status) {
            Some(RefOr::T(resp)) if !names(&resp.description, &name) => resp.description = format!("{}, {name}", resp.description),
            Some(_) => {}
            None => {
                let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build();
                let resp = ResponseBuilder::new().description(name).content("application/json", body).build();
                op.responses.responses.insert(status, RefOr::T(resp));
            }
        }
    }
}

/// The modifier that applies [`add_common`] to every operation of the document.
pub struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let reads = [&mut item.get, &mut item.head, &mut item.options, &mut item.trace].map(|op| (op, false));
            let writes = [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete].map(|op| (op, true));
            for (op, is_write) in reads.into_iter().chain(writes) {
                if let Some(op) = op {
                    add_common(op, is_write);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::OperationBuilder;
    use utoipa::openapi::{Response, ResponsesBuilder};

    fn described(op: &Operation, status: &str) -> String {
        match op.responses.responses.get(status) {
            Some(RefOr::T(Response { description, .. })) => description.clone(),
            _ => panic!("no {status} response"),
        }
    }

    #[test]
    fn a_route_specific_status_keeps_its_codes_and_gains_the_common_ones_once() {
        let responses = ResponsesBuilder::new().response("403", Response::new("NOT_TEAM_MEMBER, FORBIDDEN")).build();
        let mut op = OperationBuilder::new().responses(responses).build();
        add_common(&mut op, true);
        assert_eq!(
            described(&op, "403"),
            "NOT_TEAM_MEMBER, FORBIDDEN, CSRF_CHECK_FAILED, USER_NOT_REGISTERED, USER_INACTIVE, M2M_CLIENT_NOT_REGISTERED, M2M_CLIENT_DISABLED, TEAM_INACTIVE"
        );
        assert_eq!(described(&op, "401"), "UNAUTHENTICATED");
        assert_eq!(described(&op, "503"), "DATABASE_UNAVAILABLE, IDP_UNAVAILABLE");
        assert!(!op.responses.responses.contains_key("413"), "no body, no 413");
    }

    #[test]
    fn reads_have_no_csrf_and_public_routes_get_nothing() {
        let mut read = OperationBuilder::new().build();
        add_common(&mut read, false);
        assert!(!described(&read, "403").contains("CSRF_CHECK_FAILED"));
        let mut public = OperationBuilder::new().security(SecurityRequirement::default()).build();
        add_common(&mut public, true);
        assert!(public.responses.responses.is_empty());
    }
}
