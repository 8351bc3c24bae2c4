//! Responders: SDK errors as JSON, redirects, and `Cache-Control: no-store`.

use std::fmt;

use auth0_core::Error;
use auth0_core::web::error_body;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use serde_json::Value;

use crate::convert::rocket_status;

/// An SDK error as a response: the status [`Error::status`] names, `Cache-Control: no-store`
/// and the JSON body `{"error": code, "error_description": message}`.
///
/// Return it from your own handlers (`Result<_, ErrorResponse>`); `?` converts an
/// [`Error`] into it.
#[derive(Debug)]
pub struct ErrorResponse(pub Error);

impl From<Error> for ErrorResponse {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<'r> Responder<'r, 'static> for ErrorResponse {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let status = rocket_status(self.0.status());
        tracing::trace!(
            code = self.0.code(),
            status = status.code,
            "SDK route failed"
        );
        json_response(status, error_body(&self.0), request)
    }
}

/// A JSON body that must not be cached (it holds personal data or tokens).
#[derive(Debug)]
pub(crate) struct NoStoreJson(pub(crate) Value);

impl<'r> Responder<'r, 'static> for NoStoreJson {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        json_response(Status::Ok, self.0, request)
    }
}

/// A `302 Found` to `location`, as given (absolute, or a path on this app): the status the
/// other adapters answer with, so apps behave the same on every framework.
#[derive(Debug)]
pub(crate) struct Found(pub(crate) String);

impl<'r> Responder<'r, 'static> for Found {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Found)
            .raw_header("Location", self.0)
            .raw_header("Cache-Control", "no-store")
            .ok()
    }
}

/// A body-less status that must not be cached.
#[derive(Debug)]
pub(crate) struct NoStoreStatus(pub(crate) Status);

impl<'r> Responder<'r, 'static> for NoStoreStatus {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(self.0)
            .raw_header("Cache-Control", "no-store")
            .ok()
    }
}

fn json_response(status: Status, body: Value, request: &Request<'_>) -> response::Result<'static> {
    Response::build_from(Json(body).respond_to(request)?)
        .status(status)
        .raw_header("Cache-Control", "no-store")
        .ok()
}
