//! actix-web 4 speaks `http` 0.2, the core speaks `http` 1: the few conversions between them.

use actix_web::http::header::{
    HeaderMap as ActixHeaders, HeaderName as ActixName, HeaderValue as ActixValue,
};
use actix_web::http::{Method as ActixMethod, StatusCode as ActixStatus};

/// The request's headers as the core's `http` 1 type.
pub(crate) fn to_core_headers(headers: &ActixHeaders) -> http::HeaderMap {
    let mut converted = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes());
        let value = http::HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            converted.append(name, value);
        }
    }
    converted
}

/// Appends every header of `headers` (several `Set-Cookie` included) to `target`.
pub(crate) fn append_core_headers(headers: &http::HeaderMap, target: &mut ActixHeaders) {
    for (name, value) in headers {
        let name = ActixName::from_bytes(name.as_str().as_bytes());
        let value = ActixValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            target.append(name, value);
        }
    }
}

/// The request method as the core's `http` 1 type (`None` only if the two crates ever
/// disagree on what a method token is).
pub(crate) fn to_core_method(method: &ActixMethod) -> Option<http::Method> {
    http::Method::from_bytes(method.as_str().as_bytes()).ok()
}

/// A status chosen by the core, as actix-web's type.
pub(crate) fn to_actix_status(status: http::StatusCode) -> ActixStatus {
    ActixStatus::from_u16(status.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_set_cookie_headers_are_appended_in_order() {
        let mut core = http::HeaderMap::new();
        core.append(http::header::SET_COOKIE, "a=1".parse().unwrap());
        core.append(http::header::SET_COOKIE, "b=2".parse().unwrap());
        let mut target = ActixHeaders::new();
        target.append(
            actix_web::http::header::SET_COOKIE,
            ActixValue::from_static("app=0"),
        );
        append_core_headers(&core, &mut target);
        let values: Vec<_> = target
            .get_all(actix_web::http::header::SET_COOKIE)
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(values, ["app=0", "a=1", "b=2"]);
    }

    #[test]
    fn request_headers_keep_every_cookie_line() {
        let mut headers = ActixHeaders::new();
        headers.append(
            actix_web::http::header::COOKIE,
            ActixValue::from_static("a=1"),
        );
        headers.append(
            actix_web::http::header::COOKIE,
            ActixValue::from_static("b=2"),
        );
        let core = to_core_headers(&headers);
        assert_eq!(core.get_all(http::header::COOKIE).iter().count(), 2);
    }

    #[test]
    fn methods_and_statuses_round_trip() {
        assert_eq!(to_core_method(&ActixMethod::POST), Some(http::Method::POST));
        assert_eq!(
            to_actix_status(http::StatusCode::SERVICE_UNAVAILABLE),
            ActixStatus::SERVICE_UNAVAILABLE
        );
    }
}
