//! The example's own pages: a public home page, a private page and a small JSON API.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use auth0_actix::{AccessTokenRequest, Auth0, Rejection, User};
use serde_json::json;

/// Registers `/`, `/private`, `/api/data` and `/health`.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(home))
        .route("/private", web::get().to(private))
        .route("/api/data", web::get().to(api_data))
        .route("/health", web::get().to(health));
}

/// `/`: public; says who is signed in.
async fn home(user: Option<User>) -> HttpResponse {
    let body = match user {
        Some(user) => format!(
            "<p>Signed in as <strong>{}</strong>.</p>\n\
             <p><a href=\"/private\">Private page</a> · <a href=\"/api/data\">API data</a> · \
             <a href=\"/auth/profile\">Profile JSON</a></p>\n\
             <p><a href=\"/auth/logout\">Log out</a></p>",
            escape(display_name(&user))
        ),
        None => "<p>You are not signed in.</p>\n\
                 <p><a href=\"/auth/login\">Log in</a> or open the \
                 <a href=\"/private\">private page</a>, which asks you to.</p>"
            .to_owned(),
    };
    page("Home", &body)
}

/// `/private`: only for signed-in users; others are sent to log in first.
async fn private(user: User) -> HttpResponse {
    let body = format!(
        "<p>Hello <strong>{}</strong>, this page is only for you.</p>\n\
         <p><a href=\"/\">Home</a> · <a href=\"/auth/logout\">Log out</a></p>",
        escape(display_name(&user))
    );
    page("Private", &body)
}

/// `/api/data`: uses an access token on the server and tells when it expires; the token
/// itself never leaves the server. 401 when signed out.
async fn api_data(auth: Auth0, req: HttpRequest) -> Result<HttpResponse, Rejection> {
    let token = auth.access_token(&req, AccessTokenRequest::new()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "token_expires_at": token.expires_at,
        "audience": token.audience,
        "scope": token.scope,
    })))
}

/// `/health`: public, plain text `ok`; it never calls the SDK (the load benchmark's floor).
async fn health() -> &'static str {
    "ok"
}

/// The name to greet a user with.
fn display_name(user: &User) -> &str {
    user.name().or_else(|| user.sub()).unwrap_or("you")
}

/// An HTML page with `body` (already escaped).
fn page(title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>{title} · auth0-actix example</title></head>\n<body>\n<h1>{title}</h1>\n{body}\n\
         </body>\n</html>\n"
    );
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(html)
}

/// `text` safe inside HTML content and attribute values.
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
