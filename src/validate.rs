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
/// Limits users are told about count user-perceived characters (grapheme clusters, see
/// [`crate::text::graphemes`]); each also has a byte cap that bounds storage and frames.
pub const TITLE_MAX: usize = 100;
pub const TITLE_MAX_BYTES: usize = 1024;
pub const MESSAGE_MAX: usize = 4000;
/// 4,000 characters of four-byte emoji; the WebSocket frame limit allows this body even
/// with every character JSON-escaped (see `protocol::MAX_FRAME_BYTES`).
pub const MESSAGE_MAX_BYTES: usize = 16 * 1024;
/// Longest display name, in user-perceived characters (grapheme clusters).
pub const DISPLAY_NAME_MAX: usize = 64;
/// Most different emoji one message can carry (Discord and Slack cap it near 20 too): a
/// bound on what a message's reaction row and its events cost everyone who reads it.
pub const REACTIONS_MAX_DISTINCT: usize = 20;
/// Longest search query, in characters (and at most four bytes each).
pub const QUERY_MAX: usize = 200;
/// Most terms one search query may have: each one is a condition every result must meet.
pub const TERMS_MAX: usize = 8;
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
    #[error("The start of the time range must come before its end.")]
    TimeRange,
    #[error("Title must not be empty.")]
    TitleEmpty,
    #[error("Title must be at most {TITLE_MAX} characters long.")]
    TitleTooLong,
    #[error("Title must not contain control characters.")]
    TitleControl,
    #[error("Title must contain at least one visible character.")]
    TitleInvisible,
    #[error("Message must not be empty.")]
    MessageEmpty,
    #[error("Message must be at most {MESSAGE_MAX} characters long.")]
    MessageTooLong,
    #[error("Message must be at most {} KiB of text.", MESSAGE_MAX_BYTES / 1024)]
    MessageTooLarge,
    #[error("Message must not contain control characters.")]
    MessageControl,
    #[error("Message must contain at least one visible character.")]
    MessageInvisible,
    #[error(
        "A message can mention at most {} people.",
        crate::mentions::MENTIONS_MAX
    )]
    TooManyMentions,
    #[error("A reaction must be one emoji.")]
    ReactionNotEmoji,
    #[error(
        "A message can have at most {} different reactions.",
        REACTIONS_MAX_DISTINCT
    )]
    TooManyReactions,
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
    #[error("Type the account's exact username to confirm the deletion.")]
    AccountDeleteConfirmation,
    #[error("Retention is a whole number of days from 1 to {0}, or empty to keep what the instance keeps.")]
    RetentionDays(i64),
    /// Direct messages are between two people; there are no notes to self (yet).
    #[error("A direct message is between two people: choose someone other than yourself.")]
    DirectWithSelf,
    #[error("Type something to search for.")]
    SearchEmpty,
    #[error("A search must be at most {} characters long.", QUERY_MAX)]
    SearchTooLong,
    #[error("A search can have at most {} words or phrases.", TERMS_MAX)]
    SearchTooManyTerms,
    #[error("A search must not contain control characters.")]
    SearchControl,
    #[error(
        "A message can carry at most {} files.",
        crate::files::ATTACHMENTS_PER_MESSAGE_MAX
    )]
    TooManyAttachments,
    #[error("A file of this message is no longer available (files not sent within a day are removed): attach it again.")]
    AttachmentUnavailable,
    #[error("A display name must be at most {} characters long.", DISPLAY_NAME_MAX)]
    DisplayNameTooLong,
    #[error("A display name must not contain control or text-direction characters.")]
    DisplayNameControl,
    #[error("A display name must contain at least one visible character.")]
    DisplayNameInvisible,
    #[error("Unknown time zone: choose one from the list (an IANA name such as Europe/Paris).")]
    TimeZoneUnknown,
    #[error("An avatar must be a PNG, JPEG, GIF or WebP picture.")]
    AvatarNotImage,
    #[error("The upload did not arrive whole; try again.")]
    UploadIncomplete,
    #[error("{0} is empty.")]
    FileEmpty(String),
    #[error("{name} is {}; files can be at most {}.", crate::files::format_size(*size), crate::files::format_size(*max))]
    FileTooLarge { name: String, size: u64, max: u64 },
    #[error("{name} is {width} × {height} pixels; images can be at most {} pixels on a side and {} megapixels.", crate::files::IMAGE_MAX_SIDE, crate::files::IMAGE_MAX_PIXELS / 1_000_000)]
    ImageTooLarge {
        name: String,
        width: u32,
        height: u32,
    },
    #[error("You have {0} files waiting to be sent; send or remove some first.")]
    TooManyPendingUploads(i64),
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

    /// What the name looks like on screen, for refusing look-alikes of existing names: the
    /// UTS #39 confusable skeleton, case-folded, then skeletonised again so that case and
    /// shape variants meet (`paypaI`, `PAYPAL` and `paypa1` all give `paypal`; `rn` gives
    /// `m`, `0` gives `O`).
    pub fn skeleton(&self) -> String {
        let once: String = unicode_security::skeleton(&self.0).collect();
        unicode_security::skeleton(&once.to_lowercase()).collect()
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

/// A conversation title: 1-100 user-perceived characters after trimming (at most 1 KiB), one
/// line, at least one of them visible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConversationTitle(String);

impl ConversationTitle {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValidationError::TitleEmpty);
        }
        if s.len() > TITLE_MAX_BYTES || crate::text::graphemes(s) > TITLE_MAX {
            return Err(ValidationError::TitleTooLong);
        }
        if s.chars().any(|c| is_forbidden_control(c, false)) {
            return Err(ValidationError::TitleControl);
        }
        if !crate::text::has_visible(s) {
            return Err(ValidationError::TitleInvisible);
        }
        Ok(Self(s.to_owned()))
    }
}
string_newtype!(ConversationTitle, ConversationTitle::parse);

/// A message body: 1-4000 user-perceived characters (at most 16 KiB), at least one visible. Line endings are normalised to
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
        if s.len() > MESSAGE_MAX_BYTES {
            return Err(ValidationError::MessageTooLarge);
        }
        if crate::text::graphemes(s) > MESSAGE_MAX {
            return Err(ValidationError::MessageTooLong);
        }
        if s.chars().any(|c| is_forbidden_control(c, true)) {
            return Err(ValidationError::MessageControl);
        }
        if !crate::text::has_visible(s) {
            return Err(ValidationError::MessageInvisible);
        }
        if crate::mentions::distinct_names(s) > crate::mentions::MENTIONS_MAX {
            return Err(ValidationError::TooManyMentions);
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
#[path = "validate_tests.rs"]
mod tests;
