//! Profiles over the real interfaces: setting a display name and time zone, uploading,
//! replacing and removing an avatar, what other people see (member lists, the live `profile`
//! frame, the avatar image) and what is refused.

mod common;

use common::{spawn_app, unique, Client, TestApp};
use serde_json::Value;
use std::time::Duration;

fn png(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 90, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn set_avatar(c: &Client, bytes: Vec<u8>, origin: &str) -> (u16, Value) {
    let res = c
        .http
        .post(format!("{}/api/profile/avatar", c.base))
        .header("origin", origin)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Alice and Bob share "Team".
async fn pair(app: &TestApp) -> (Client, Client, i64, i64) {
    let (a, b) = (app.client(), app.client());
    a.sign_up(&unique("alice")).await;
    b.sign_up(&unique("bob")).await;
    let conv = a.create_conversation("Team").await;
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let alice_id = a.user_id().await;
    (a, b, conv, alice_id)
}

fn member(detail: &Value, id: i64) -> Value {
    detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == id)
        .cloned()
        .expect("a member")
}

#[tokio::test]
async fn a_profile_change_reaches_members_live_and_in_member_lists() {
    let app = spawn_app().await;
    let (a, b, conv, alice_id) = pair(&app).await;
    let mut b_ws = b.socket().await;
    let mine: Value = a.call("profile", &[]).await.ok();
    assert_eq!(mine["profile"], serde_json::json!({}));

    let set: Value = a
        .call(
            "update_profile",
            &[
                ("display_name", "  Ada Lovelace "),
                ("time_zone", "Europe/London"),
            ],
        )
        .await
        .ok();
    assert_eq!(set["display_name"], "Ada Lovelace");
    let frame = b_ws.next_of("profile").await;
    assert_eq!(
        (frame["conversation_id"].as_i64(), frame["user_id"].as_i64()),
        (Some(conv), Some(alice_id))
    );
    assert_eq!(frame["profile"]["time_zone"], "Europe/London");
    let detail: Value = b
        .call("conversation", &[("id", &conv.to_string())])
        .await
        .ok();
    assert_eq!(
        member(&detail, alice_id)["profile"]["display_name"],
        "Ada Lovelace"
    );

    for (name, zone, message) in [
        (
            "\u{200B}",
            "",
            "A display name must contain at least one visible character.",
        ),
        (
            "a\u{202E}b",
            "",
            "A display name must not contain control or text-direction characters.",
        ),
        (
            &"x".repeat(65),
            "",
            "A display name must be at most 64 characters long.",
        ),
        (
            "ok",
            "Mars/Olympus",
            "Unknown time zone: choose one from the list (an IANA name such as Europe/Paris).",
        ),
    ] {
        let r = a
            .call(
                "update_profile",
                &[("display_name", name), ("time_zone", zone)],
            )
            .await;
        assert_eq!(
            (r.status, r.message().as_str()),
            (422, message),
            "{name:?} {zone:?}"
        );
    }
    let kept: Value = a.call("profile", &[]).await.ok();
    assert_eq!(
        kept["profile"]["display_name"], "Ada Lovelace",
        "a refusal changes nothing"
    );
}

#[tokio::test]
async fn an_avatar_is_a_square_picture_others_can_see_and_a_replaced_one_is_deleted() {
    let app = spawn_app().await;
    let (a, b, conv, alice_id) = pair(&app).await;
    let origin = a.base.clone();
    let (status, profile) = set_avatar(&a, png(300, 200), &origin).await;
    assert_eq!(status, 200, "{profile}");
    let first = profile["avatar"].as_str().unwrap().to_owned();
    let url = format!("/avatars/{first}");
    let seen = b.get(&url).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.headers["cache-control"], "no-store");
    let bytes = b
        .http
        .get(format!("{}{url}", b.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (200, 200),
        "the centred square"
    );
    assert_eq!(app.client().get(&url).await.status, 401, "signed out");
    let detail: Value = b
        .call("conversation", &[("id", &conv.to_string())])
        .await
        .ok();
    assert_eq!(
        member(&detail, alice_id)["profile"]["avatar"],
        first.as_str()
    );

    // Replaced: the old picture is gone at once, and its bytes soon after.
    let (_, profile) = set_avatar(&a, png(80, 80), &origin).await;
    let second = profile["avatar"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(b.get(&url).await.status, 404);
    let old_file = app.data_dir.join("files").join(&first[..2]).join(&first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while old_file.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "old avatar still on disk"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let removed: Value = a.call("remove_avatar", &[]).await.ok();
    assert!(removed.get("avatar").is_none());
    assert_eq!(b.get(&format!("/avatars/{second}")).await.status, 404);

    // Not a picture, a pixel bomb, a foreign page: refused, nothing changes.
    let (status, body) = set_avatar(&a, b"just text".to_vec(), &origin).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("An avatar must be a PNG, JPEG, GIF or WebP picture.")
        )
    );
    let (status, _) = set_avatar(&a, png(1, 1), "https://evil.example").await;
    assert_eq!(status, 403);
    let after: Value = a.call("profile", &[]).await.ok();
    assert!(after["profile"].get("avatar").is_none());
}
