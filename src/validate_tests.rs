//! Unit tests of the validated types.
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

#[test]
fn look_alike_usernames_share_a_skeleton() {
    let base = user("paypal_42").skeleton();
    for alike in ["paypaI_42", "PAYPAL_42", "paypa1_42", "PaypaI_42"] {
        assert_eq!(user(alike).skeleton(), base, "{alike}");
    }
    assert_eq!(user("rnallory").skeleton(), user("mallory").skeleton());
    assert_ne!(user("paypal_43").skeleton(), base);
    assert_ne!(user("alice").skeleton(), user("alicia").skeleton());
}

#[test]
fn text_limits_count_what_people_see_with_a_byte_cap() {
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
    assert!(MessageBody::parse(&family.repeat(572)).is_ok());
    assert!(ConversationTitle::parse(&family.repeat(15)).is_ok());
    assert_eq!(
        ConversationTitle::parse(&family.repeat(50)),
        Err(ValidationError::TitleTooLong),
        "1,250 bytes is over the title's byte cap"
    );
    assert!(MessageBody::parse(&"\u{1F600}".repeat(MESSAGE_MAX)).is_ok());
    assert_eq!(
        MessageBody::parse(&family.repeat(1000)),
        Err(ValidationError::MessageTooLarge)
    );
}

#[test]
fn invisible_only_text_is_refused() {
    for s in ["\u{200B}", "\u{FEFF}", " \u{3164} ", "\u{2060}\u{200D}"] {
        assert_eq!(
            MessageBody::parse(s),
            Err(ValidationError::MessageInvisible),
            "{s:?}"
        );
        assert_eq!(
            ConversationTitle::parse(s),
            Err(ValidationError::TitleInvisible),
            "{s:?}"
        );
    }
    assert!(MessageBody::parse("ok\u{200B}").is_ok());
}

#[test]
fn a_message_names_at_most_fifty_people() {
    let names = |n: usize| {
        (0..n)
            .map(|i| format!("@user{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(MessageBody::parse(&names(50)).is_ok());
    assert!(MessageBody::parse(&format!("{} @USER0 @user0", names(50))).is_ok());
    assert_eq!(
        MessageBody::parse(&names(51)),
        Err(ValidationError::TooManyMentions)
    );
}
