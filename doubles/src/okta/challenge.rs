//! The dynamic SCEP challenge URL as Okta serves it to an MDM server: `GET` with HTTP Basic (the username and
//! password Okta shows once when the admin generates a dynamic SCEP URL), answered with one fresh, single-use
//! challenge in NDES's `mscep_admin` form (`… The enrollment challenge password is: <B> XXXX </B> …`), the shape
//! third-party MDM servers read (MDM.md §4 [3P]); wrong or missing credentials answer `401` with a Basic challenge.
//! Okta publishes neither the path nor the answer's shape: the double serves [`CHALLENGE_PATH`], which the tests
//! and the walkthrough save as the challenge URL. Each request is recorded (user, time, challenge issued).

use super::edge::{now, Shared};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// The path the double serves the challenge URL at.
pub const CHALLENGE_PATH: &str = "/pki/scep/dynamic/challenge";

/// One request to the challenge URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRequest {
    /// The Basic username sent (`None`: no or unreadable credentials).
    pub user: Option<String>,
    /// The Basic password sent.
    pub password: Option<String>,
    /// Epoch seconds.
    pub at: i64,
    /// The challenge issued (`None`: refused).
    pub challenge: Option<String>,
}

/// The Basic credentials of `headers`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// `GET` [`CHALLENGE_PATH`]: a new challenge (the next of the `challenge_plan` knob, else 16 random upper-case hex
/// characters), never one issued before, for the configured credentials; `401` otherwise.
pub(super) async fn challenge(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let sent = basic(&headers);
    let mut s = state.lock().expect("double state lock");
    let ok = matches!((&sent, &s.challenge_credentials), (Some(a), Some(b)) if a == b);
    let issued = ok.then(|| loop {
        let c = s
            .challenge_plan
            .pop_front()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase());
        if !s.challenges.iter().any(|r| r.challenge.as_deref() == Some(c.as_str())) {
            break c;
        }
    });
    let (user, password) = sent.map_or((None, None), |(u, p)| (Some(u), Some(p)));
    s.challenges.push(ChallengeRequest { user, password, at: now(), challenge: issued.clone() });
    match issued {
        Some(c) => (
            [(header::CONTENT_TYPE, "text/html")],
            format!(
                "<HTML><Head><Meta HTTP-Equiv=\"Content-Type\" Content=\"text/html; charset=UTF-8\"></Head><Body>\
                 <P> You have successfully obtained the enrollment challenge password.<P> \
                 The enrollment challenge password is: <B> {c} </B> <P> This password can be used only once.\
                 </Body></HTML>"
            ),
        )
            .into_response(),
        None => (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"scep\"")], "Unauthorized")
            .into_response(),
    }
}
