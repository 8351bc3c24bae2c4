//! Rocket's HTTP types to the `http` crate's, which the core speaks, and back.

use rocket::http::Status;

/// The request's headers as an `http::HeaderMap`; headers `http` cannot represent are skipped.
pub(crate) fn http_headers(headers: &rocket::http::HeaderMap<'_>) -> http::HeaderMap {
    let mut converted = http::HeaderMap::with_capacity(headers.len());
    for header in headers.iter() {
        let name = http::HeaderName::from_bytes(header.name().as_str().as_bytes());
        let value = http::HeaderValue::from_str(header.value());
        if let (Ok(name), Ok(value)) = (name, value) {
            converted.append(name, value);
        }
    }
    converted
}

/// The request's method as an `http::Method`.
pub(crate) fn http_method(method: rocket::http::Method) -> http::Method {
    http::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(http::Method::GET)
}

/// An `http` status code as Rocket's.
pub(crate) fn rocket_status(status: http::StatusCode) -> Status {
    Status::new(status.as_u16())
}

#[cfg(test)]
mod tests {
    use rocket::http::{Header, HeaderMap};

    use super::*;

    #[test]
    fn keeps_repeated_headers_and_skips_unrepresentable_ones() {
        let mut headers = HeaderMap::new();
        headers.add(Header::new("Cookie", "a=1"));
        headers.add(Header::new("Cookie", "b=2"));
        headers.add(Header::new("Accept", "text/html"));
        headers.add(Header::new("Bad Name", "x"));
        let converted = http_headers(&headers);
        assert_eq!(converted.get_all(http::header::COOKIE).iter().count(), 2);
        assert_eq!(converted.get(http::header::ACCEPT).unwrap(), "text/html");
        assert_eq!(converted.len(), 3);
    }

    #[test]
    fn converts_methods_and_statuses() {
        assert_eq!(http_method(rocket::http::Method::Post), http::Method::POST);
        assert_eq!(
            rocket_status(http::StatusCode::SERVICE_UNAVAILABLE),
            Status::ServiceUnavailable
        );
    }
}
