//! Unit tests of the JWT rules (RFC 7519, RFC 8725) and the password hashing.

use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::json;

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const ISS: &str = "http://127.0.0.1:3000";

fn keys() -> TokenKeys {
    TokenKeys::new(KEY, ISS, 600).unwrap()
}

/// Now in whole seconds, as the claims hold it.
fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Now as the verifier is given it.
fn clock() -> Timestamp {
    Timestamp::from_unix_secs(now())
}

fn sign(claims: serde_json::Value, alg: Algorithm, key: &[u8]) -> String {
    encode(&Header::new(alg), &claims, &EncodingKey::from_secret(key)).unwrap()
}

fn good_claims() -> serde_json::Value {
    json!({"iss": ISS, "aud": TOKEN_AUDIENCE, "sub": "7", "exp": now() + 600, "iat": now(), "typ": "ws", "sid": "s1"})
}

#[test]
fn issued_token_verifies_to_its_user_and_session() {
    let (token, exp) = keys()
        .issue(UserId(7), &SessionId("s1".into()), clock())
        .unwrap();
    let id = keys().verify(&token, clock()).unwrap();
    assert_eq!(
        id,
        TokenIdentity {
            user_id: UserId(7),
            session_id: SessionId("s1".into()),
            expires_at: exp
        }
    );
}

#[test]
fn key_shorter_than_256_bits_is_refused() {
    assert!(TokenKeys::new(&KEY[..31], ISS, 600).is_err());
}

#[test]
fn lifetime_over_fifteen_minutes_is_refused() {
    assert!(TokenKeys::new(KEY, ISS, 15 * 60 + 1).is_err());
    assert!(TokenKeys::new(KEY, ISS, 0).is_err());
}

#[test]
fn alg_none_is_rejected() {
    let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = B64.encode(good_claims().to_string());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert!(
            matches!(keys().verify(&token, clock()), Err(TokenError::Invalid(_))),
            "{token}"
        );
    }
}

#[test]
fn other_algorithms_are_rejected() {
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(good_claims(), alg, KEY);
        assert!(
            matches!(keys().verify(&token, clock()), Err(TokenError::Invalid(_))),
            "{alg:?}"
        );
    }
}

#[test]
fn tampered_payload_is_rejected() {
    let token = sign(good_claims(), Algorithm::HS256, KEY);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = good_claims();
    claims["sub"] = json!("1");
    parts[1] = B64.encode(claims.to_string());
    let forged = parts.join(".");
    assert!(matches!(
        keys().verify(&forged, clock()),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn wrong_key_is_rejected() {
    let token = sign(
        good_claims(),
        Algorithm::HS256,
        b"another key that is long enough!!",
    );
    assert!(matches!(
        keys().verify(&token, clock()),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn expired_token_is_rejected_beyond_leeway_only() {
    let mut c = good_claims();
    c["exp"] = json!(now() - 10);
    assert!(
        keys()
            .verify(&sign(c.clone(), Algorithm::HS256, KEY), clock())
            .is_ok(),
        "within leeway"
    );
    c["exp"] = json!(now() - TOKEN_LEEWAY_SECS as i64 - 5);
    assert_eq!(
        keys().verify(&sign(c, Algorithm::HS256, KEY), clock()),
        Err(TokenError::Expired)
    );
}

#[test]
fn missing_claims_are_rejected() {
    for claim in ["iss", "aud", "sub", "exp", "iat", "typ", "sid"] {
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove(claim);
        let token = sign(c, Algorithm::HS256, KEY);
        assert!(
            keys().verify(&token, clock()).is_err(),
            "missing {claim} must be rejected"
        );
    }
}

#[test]
fn wrong_issuer_audience_or_type_is_rejected() {
    for (claim, value) in [
        ("iss", "http://evil.example"),
        ("aud", "other-api"),
        ("typ", "refresh"),
    ] {
        let mut c = good_claims();
        c[claim] = json!(value);
        let token = sign(c, Algorithm::HS256, KEY);
        assert!(
            keys().verify(&token, clock()).is_err(),
            "wrong {claim} must be rejected"
        );
    }
    let mut c = good_claims();
    c["typ"] = json!("refresh");
    assert_eq!(
        keys().verify(&sign(c, Algorithm::HS256, KEY), clock()),
        Err(TokenError::WrongType)
    );
}

#[test]
fn token_from_the_future_is_rejected() {
    let mut c = good_claims();
    c["iat"] = json!(now() + 3600);
    assert_eq!(
        keys().verify(&sign(c, Algorithm::HS256, KEY), clock()),
        Err(TokenError::IssuedInFuture)
    );
}

#[test]
fn non_numeric_subject_is_rejected() {
    let mut c = good_claims();
    c["sub"] = json!("alice");
    assert_eq!(
        keys().verify(&sign(c, Algorithm::HS256, KEY), clock()),
        Err(TokenError::BadSubject)
    );
}

#[test]
fn garbage_is_rejected() {
    for t in ["", "a.b.c", "not a token", "....", &"A".repeat(5000)] {
        assert!(keys().verify(t, clock()).is_err(), "{t:?}");
    }
}

#[tokio::test]
async fn password_hash_is_argon2id_with_owasp_parameters_and_verifies() {
    let phc = hash_password("correct horse battery".into()).await.unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(
        verify_password("correct horse battery".into(), Some(phc.clone()))
            .await
            .unwrap()
    );
    assert!(!verify_password("wrong horse battery".into(), Some(phc))
        .await
        .unwrap());
    assert!(!verify_password("anything".into(), None).await.unwrap());
}

#[test]
fn secret_hash_is_sha256_and_tokens_are_random() {
    assert_eq!(secret_hash("abc").len(), 32);
    let a = random_token(32);
    assert_eq!(a.len(), 43);
    assert_ne!(a, random_token(32));
}
