//! Parse, don't validate: each type's constructor is the only way in, so a value of the type is
//! valid by construction. The browser uses the same constructors for instant feedback; the
//! server is the authority.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
/// Long enough for any passphrase or manager-generated password, short enough that hashing an
/// attacker's input stays cheap.
pub const PASSWORD_MAX: usize = 256;
pub const TITLE_MAX: usize = 100;
pub const MESSAGE_MAX: usize = 4000;
/// 32 random bytes, base64url without padding.
pub const INVITE_CODE_LEN: usize = 43;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ValidationError {
    #[error("Username must be {USERNAME_MIN}-{USERNAME_MAX} characters long.")]
    UsernameLength,
    #[error("Username may contain only letters, digits, '_', '-' and '.'.")]
    UsernameCharacters,
    #[error("Password must be at least {PASSWORD_MIN} characters long.")]
    PasswordTooShort,
    #[error("Password must be at most {PASSWORD_MAX} characters long.")]
    PasswordTooLong,
    #[error("This password is too common; choose one that is harder to guess.")]
    PasswordCommon,
    #[error("Password must not be the same as the username.")]
    PasswordIsUsername,
    #[error("Title must not be empty.")]
    TitleEmpty,
    #[error("Title must be at most {TITLE_MAX} characters long.")]
    TitleTooLong,
    #[error("Title must not contain control characters.")]
    TitleControl,
    #[error("Message must not be empty.")]
    MessageEmpty,
    #[error("Message must be at most {MESSAGE_MAX} characters long.")]
    MessageTooLong,
    #[error("Message must not contain control characters.")]
    MessageControl,
    #[error("Message id must be 1-64 characters.")]
    ClientIdInvalid,
    #[error("This invite link is malformed.")]
    InviteCodeMalformed,
    #[error("An invite link expires after at most {0} days (or never).")]
    InviteExpiry(i64),
    #[error("An invite link allows 1 to {0} uses (or unlimited).")]
    InviteUses(i64),
    #[error("Type the conversation's exact title to confirm the deletion.")]
    DeleteConfirmation,
}

macro_rules! string_newtype {
    ($name:ident, $parse:path) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// 3-32 characters of ASCII letters, digits, '_', '-' and '.'. Uniqueness is case-insensitive:
/// `key()` is the form the store indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        let len = s.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
            return Err(ValidationError::UsernameLength);
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(ValidationError::UsernameCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    /// The case-folded form used for uniqueness and look-up.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}
string_newtype!(Username, Username::parse);

/// A password as typed. Never serialized back out and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

static COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

impl Password {
    /// Policy for new passwords (sign-up, change): length and a common-password list, per
    /// OWASP ASVS V6.2. No composition rules: they make passwords worse, not stronger.
    pub fn new_for(raw: &str, username: &Username) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if len < PASSWORD_MIN {
            return Err(ValidationError::PasswordTooShort);
        }
        if len > PASSWORD_MAX {
            return Err(ValidationError::PasswordTooLong);
        }
        if raw.eq_ignore_ascii_case(username.as_str()) {
            return Err(ValidationError::PasswordIsUsername);
        }
        if is_common_password(raw) {
            return Err(ValidationError::PasswordCommon);
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password offered at sign-in: only bounded, so that an old account whose password
    /// predates today's policy can still sign in.
    pub fn for_login(raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::PasswordTooShort);
        }
        if raw.chars().count() > PASSWORD_MAX {
            return Err(ValidationError::PasswordTooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_common_password(raw: &str) -> bool {
    let lower = raw.to_lowercase();
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == lower)
}

/// Characters a single-line or multi-line text may not contain: C0/C1 controls other than
/// newline and tab, and the bidirectional overrides used to disguise text.
fn is_forbidden_control(c: char, allow_newline: bool) -> bool {
    if c == '\n' || c == '\t' {
        return !allow_newline && c == '\n';
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A conversation title: 1-100 characters after trimming, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConversationTitle(String);

impl ConversationTitle {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValidationError::TitleEmpty);
        }
        if s.chars().count() > TITLE_MAX {
            return Err(ValidationError::TitleTooLong);
        }
        if s.chars().any(|c| is_forbidden_control(c, false)) {
            return Err(ValidationError::TitleControl);
        }
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(ConversationTitle, ConversationTitle::parse);

/// A message body: 1-4000 characters, not only white space. Line endings are normalised to
/// '\n' and trailing white space is dropped; leading indentation is kept (code snippets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        let s = normalised.trim_end();
        if s.trim().is_empty() {
            return Err(ValidationError::MessageEmpty);
        }
        if s.chars().count() > MESSAGE_MAX {
            return Err(ValidationError::MessageTooLong);
        }
        if s.chars().any(|c| is_forbidden_control(c, true)) {
            return Err(ValidationError::MessageControl);
        }
        // Drop blank lines before the first visible one: they only push the bubble down.
        let start = s.len() - s.trim_start_matches(['\n', ' ', '\t']).len();
        let first_line_start = s[..start].rfind('\n').map_or(0, |i| i + 1);
        Ok(Self(s[first_line_start..].to_owned()))
    }
}
string_newtype!(MessageBody, MessageBody::parse);

/// The secret part of an invite link: 256 random bits, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InviteCode(String);

impl InviteCode {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.len() != INVITE_CODE_LEN
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ValidationError::InviteCodeMalformed);
        }
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(InviteCode, InviteCode::parse);

#[cfg(test)]
mod tests {
    use super::*;

    fn user(s: &str) -> Username {
        Username::parse(s).unwrap()
    }

    #[test]
    fn username_accepts_letters_digits_and_punctuation_within_bounds() {
        for ok in ["abc", "Alice_92", "a.b-c", &"x".repeat(32), "  bob  "] {
            assert!(Username::parse(ok).is_ok(), "{ok:?} should be accepted");
        }
        assert_eq!(user("  bob ").as_str(), "bob");
    }

    #[test]
    fn username_rejects_wrong_length() {
        for bad in ["", "ab", "  ab  ", &"x".repeat(33)] {
            assert_eq!(
                Username::parse(bad),
                Err(ValidationError::UsernameLength),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn username_rejects_other_characters() {
        for bad in [
            "bob smith",
            "bob@x",
            "<script>",
            "bøb",
            "al'ice",
            "a\u{0}bc",
            "robert;--",
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(ValidationError::UsernameCharacters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn username_key_is_case_insensitive() {
        assert_eq!(user("Alice").key(), user("aLICE").key());
    }

    #[test]
    fn username_deserialization_validates() {
        assert!(serde_json::from_str::<Username>("\"ok_name\"").is_ok());
        assert!(serde_json::from_str::<Username>("\"no\"").is_err());
    }

    #[test]
    fn password_policy_enforces_length_commonness_and_username() {
        let u = user("alice");
        assert_eq!(
            Password::new_for("short", &u),
            Err(ValidationError::PasswordTooShort)
        );
        assert_eq!(
            Password::new_for("password", &u),
            Err(ValidationError::PasswordCommon)
        );
        assert_eq!(
            Password::new_for("Password1", &u),
            Err(ValidationError::PasswordCommon)
        );
        assert_eq!(
            Password::new_for("12345678", &u),
            Err(ValidationError::PasswordCommon)
        );
        let long = user("alice_longname");
        assert_eq!(
            Password::new_for("ALICE_LONGNAME", &long),
            Err(ValidationError::PasswordIsUsername)
        );
        assert_eq!(
            Password::new_for(&"a".repeat(PASSWORD_MAX + 1), &u),
            Err(ValidationError::PasswordTooLong)
        );
    }

    #[test]
    fn password_policy_accepts_long_passphrases() {
        let u = user("alice");
        for len in [8, 64, 128, PASSWORD_MAX] {
            let p: String = "correct horse battery staple "
                .chars()
                .cycle()
                .take(len)
                .collect();
            assert!(Password::new_for(&p, &u).is_ok(), "length {len}");
        }
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::for_login("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn login_password_is_only_bounded() {
        assert!(Password::for_login("old").is_ok());
        assert_eq!(
            Password::for_login(""),
            Err(ValidationError::PasswordTooShort)
        );
        assert_eq!(
            Password::for_login(&"a".repeat(PASSWORD_MAX + 1)),
            Err(ValidationError::PasswordTooLong)
        );
    }

    #[test]
    fn title_is_trimmed_and_bounded() {
        assert_eq!(
            ConversationTitle::parse("  Team  ").unwrap().as_str(),
            "Team"
        );
        assert_eq!(
            ConversationTitle::parse("   "),
            Err(ValidationError::TitleEmpty)
        );
        assert_eq!(
            ConversationTitle::parse(""),
            Err(ValidationError::TitleEmpty)
        );
        assert!(ConversationTitle::parse(&"é".repeat(TITLE_MAX)).is_ok());
        assert_eq!(
            ConversationTitle::parse(&"é".repeat(TITLE_MAX + 1)),
            Err(ValidationError::TitleTooLong)
        );
    }

    #[test]
    fn title_rejects_control_characters_and_bidi_overrides() {
        for bad in ["a\nb", "a\u{0}b", "a\u{7}b", "x\u{202E}y"] {
            assert_eq!(
                ConversationTitle::parse(bad),
                Err(ValidationError::TitleControl),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn title_keeps_markup_as_plain_text() {
        let t = ConversationTitle::parse("<img src=x onerror=alert(1)>").unwrap();
        assert_eq!(t.as_str(), "<img src=x onerror=alert(1)>");
    }

    #[test]
    fn message_body_bounds() {
        assert_eq!(MessageBody::parse(""), Err(ValidationError::MessageEmpty));
        assert_eq!(
            MessageBody::parse(" \n\t "),
            Err(ValidationError::MessageEmpty)
        );
        assert!(MessageBody::parse(&"x".repeat(MESSAGE_MAX)).is_ok());
        assert_eq!(
            MessageBody::parse(&"x".repeat(MESSAGE_MAX + 1)),
            Err(ValidationError::MessageTooLong)
        );
    }

    #[test]
    fn message_body_normalises_line_endings_and_trailing_space() {
        let m = MessageBody::parse("\n\n  fn main() {}\r\nsecond line  \n\n").unwrap();
        assert_eq!(m.as_str(), "  fn main() {}\nsecond line");
    }

    #[test]
    fn message_body_rejects_control_characters() {
        for bad in ["a\u{0}b", "bell\u{7}", "\u{1b}[31mred"] {
            assert_eq!(
                MessageBody::parse(bad),
                Err(ValidationError::MessageControl),
                "{bad:?}"
            );
        }
        assert!(MessageBody::parse("tab\tand\nnewline").is_ok());
    }

    #[test]
    fn invite_code_shape() {
        let good = "A".repeat(INVITE_CODE_LEN);
        assert!(InviteCode::parse(&good).is_ok());
        for bad in [
            "",
            "short",
            &"A".repeat(INVITE_CODE_LEN + 1),
            &format!("{}!", "A".repeat(42)),
        ] {
            assert_eq!(
                InviteCode::parse(bad),
                Err(ValidationError::InviteCodeMalformed),
                "{bad:?}"
            );
        }
    }
}
