//! Passwords (Argon2id), session secrets and the WebSocket JWTs.

use crate::ids::{SessionId, UserId};
use crate::time::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use super::hashing::AuthError;

/// Hashes a password (Argon2id, OWASP's minimum m = 19 MiB, t = 2, p = 1) on the hashing
/// threads; `Busy` when too many are waiting (see [`super::hashing`]).
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    super::hashing::run(move || super::hashing::hash(password.as_bytes())).await
}

/// Verifies a password against a PHC string on the hashing threads. With no stored hash (the
/// user does not exist) it verifies against a dummy hash, so both cases take the same time.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AuthError> {
    super::hashing::run(move || {
        let ok = match &stored {
            Some(phc) => super::hashing::verify(password.as_bytes(), phc)?,
            None => super::hashing::verify(password.as_bytes(), &super::hashing::dummy_hash()?)?,
        };
        Ok(ok && stored.is_some())
    })
    .await
}

/// `n` bytes from the operating system's CSPRNG, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    URL_SAFE_NO_PAD.encode(buf)
}

/// Raw random bytes, for signing keys.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf
}

/// What the store keeps of a secret (session cookie, invite code): its SHA-256.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub const TOKEN_TYPE_WS: &str = "ws";
pub const TOKEN_AUDIENCE: &str = "palaver-ws";
/// Clock skew tolerated on `exp` and `iat`.
pub const TOKEN_LEEWAY_SECS: u64 = 30;

/// The WebSocket token's claims. Every field is required: a token missing one fails to decode.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id, as a string per RFC 7519.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    /// Not before (RFC 7519 4.1.5): optional, enforced when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Token type: only `ws` tokens open sockets.
    pub typ: String,
    /// The session the token was issued to: signing out that session ends the socket.
    pub sid: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
    #[error("token is not a WebSocket token")]
    WrongType,
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token lifetime exceeds the maximum")]
    LifetimeTooLong,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token subject is not a user id")]
    BadSubject,
}

/// Verified identity carried by a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIdentity {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// The token's `exp`, converted from seconds.
    pub expires_at: Timestamp,
}

/// Issues and verifies HS256 WebSocket tokens with one key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    lifetime_secs: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

/// Tokens live at most this long (SECURITY.md 6).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 15 * 60;

impl TokenKeys {
    /// `key` must hold at least 32 bytes (256 bits); the lifetime is capped at 15 minutes.
    pub fn new(key: &[u8], issuer: impl Into<String>, lifetime_secs: i64) -> Result<Self, String> {
        if key.len() < 32 {
            return Err(format!(
                "the JWT signing key must be at least 32 bytes, got {}",
                key.len()
            ));
        }
        if !(1..=MAX_TOKEN_LIFETIME_SECS).contains(&lifetime_secs) {
            return Err(format!(
                "token lifetime must be 1-{MAX_TOKEN_LIFETIME_SECS} seconds"
            ));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            issuer: issuer.into(),
            lifetime_secs,
        })
    }

    /// A token for `user`'s session, valid from `now` for the configured lifetime; returns
    /// it with its expiry. The claims hold whole seconds (RFC 7519 NumericDate): this and
    /// [`TokenKeys::verify`] are the only places seconds appear.
    pub fn issue(
        &self,
        user: UserId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<(String, Timestamp), TokenError> {
        let now_secs = now.unix_secs();
        let exp = now_secs + self.lifetime_secs;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: TOKEN_AUDIENCE.to_owned(),
            sub: user.0.to_string(),
            exp,
            iat: now_secs,
            nbf: None,
            typ: TOKEN_TYPE_WS.to_owned(),
            sid: session_id.as_str().to_owned(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((token, Timestamp::from_unix_secs(exp)))
    }

    /// Checks algorithm (HS256 only: `none` and every other algorithm fail), signature,
    /// expiry (30 s leeway), issuer, audience, presence of every claim, and token type.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<TokenIdentity, TokenError> {
        let now_secs = now.unix_secs();
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[TOKEN_AUDIENCE]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = TOKEN_LEEWAY_SECS;
        v.validate_exp = true;
        v.validate_nbf = true;
        let data = decode::<Claims>(token, &self.decoding, &v).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid(e.to_string()),
        })?;
        let c = data.claims;
        // jsonwebtoken checks exp against its own clock; check against ours as well so tests
        // and callers with an explicit `now` agree.
        if c.exp + TOKEN_LEEWAY_SECS as i64 <= now_secs {
            return Err(TokenError::Expired);
        }
        if c.iat > now_secs + TOKEN_LEEWAY_SECS as i64 {
            return Err(TokenError::IssuedInFuture);
        }
        // A token signed for longer than this instance issues is not one of ours, whatever
        // its expiry says (RFC 8725 3.10; SECURITY 35).
        if c.exp - c.iat > self.lifetime_secs {
            return Err(TokenError::LifetimeTooLong);
        }
        if c.nbf
            .is_some_and(|nbf| nbf > now_secs + TOKEN_LEEWAY_SECS as i64)
        {
            return Err(TokenError::NotYetValid);
        }
        if c.typ != TOKEN_TYPE_WS {
            return Err(TokenError::WrongType);
        }
        let user_id = c
            .sub
            .parse()
            .map(UserId)
            .map_err(|_| TokenError::BadSubject)?;
        Ok(TokenIdentity {
            user_id,
            session_id: SessionId(c.sid),
            expires_at: Timestamp::from_unix_secs(c.exp),
        })
    }
}

#[cfg(test)]
mod tests;
