//! The app's own pages: public, protected, an API that uses an access token, and a health check.

use auth0_rocket::{AccessTokenRequest, Auth0, ErrorResponse, MaybeUser, User};
use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{Route, get, routes};
use serde_json::{Value, json};

/// The pages, mounted at `/`.
pub(crate) fn routes() -> Vec<Route> {
    routes![home, private, api_data, health]
}

/// Public: a login link, or who is signed in and a logout link.
#[get("/")]
fn home(user: MaybeUser) -> RawHtml<String> {
    let body = match user.0 {
        Some(user) => format!(
            "<p>Signed in as <strong>{}</strong>.</p>\n\
             <p><a href=\"/private\">Private page</a> · <a href=\"/api/data\">API data</a> · \
             <a href=\"/auth/logout\">Log out</a></p>",
            escape(display_name(&user))
        ),
        None => "<p>You are signed out.</p>\n<p><a href=\"/auth/login\">Log in</a></p>".to_owned(),
    };
    page("Home", &body)
}

/// Protected: signed-out browsers are sent to login and come back here.
#[get("/private")]
fn private(user: User) -> RawHtml<String> {
    let body = format!(
        "<p>Hello <strong>{}</strong>, this page is private.</p>\n\
         <p><a href=\"/\">Home</a> · <a href=\"/auth/logout\">Log out</a></p>",
        escape(display_name(&user))
    );
    page("Private", &body)
}

/// An API: what the access token is good for, never the token itself. 401 when signed out.
#[get("/api/data")]
async fn api_data(auth: Auth0<'_>) -> Result<Json<Value>, ErrorResponse> {
    let token = auth.access_token(AccessTokenRequest::new()).await?;
    Ok(Json(json!({
        "token_expires_at": token.expires_at,
        "audience": token.audience,
        "scope": token.scope,
    })))
}

/// Public, plain text `ok`; it never calls the SDK (the load benchmark's floor).
#[get("/health")]
fn health() -> &'static str {
    "ok"
}

fn display_name(user: &User) -> &str {
    user.name().or_else(|| user.sub()).unwrap_or("you")
}

fn page(title: &str, body: &str) -> RawHtml<String> {
    RawHtml(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>{title} · auth0-rocket example</title></head>\n<body>\n<h1>{title}</h1>\n\
         {body}\n</body>\n</html>\n"
    ))
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
