//! Files and images over the real HTTP and WebSocket interfaces: uploading, sending with a
//! message, what members, the uploader and outsiders can fetch and with which headers, the
//! limits, and deletion removing the bytes from disk.

mod common;

use common::{spawn_app, spawn_app_with, unique, Client, TestApp};
use palaver_server::config::Config;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// Alice owns "Team" and Bob joined by invite; Eve is signed up but not a member.
async fn team(app: &TestApp) -> (Client, Client, Client, String, i64) {
    let (a, b, e) = (app.client(), app.client(), app.client());
    let alice = unique("alice");
    a.sign_up(&alice).await;
    b.sign_up(&unique("bob")).await;
    e.sign_up(&unique("eve")).await;
    let conv = a.create_conversation("Team").await;
    let code = a.invite(conv).await;
    b.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    (a, b, e, alice, conv)
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    Answer {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        bytes: res.bytes().await.expect("body").to_vec(),
    }
}

async fn upload(c: &Client, conv: i64, name: &str, bytes: Vec<u8>) -> Answer {
    let res = c
        .http
        .post(format!("{}/api/attachments", c.base))
        .query(&[
            ("conversation_id", conv.to_string()),
            ("name", name.to_owned()),
        ])
        .header("origin", &c.base)
        .body(bytes)
        .send()
        .await
        .expect("request sent");
    answer(res).await
}

async fn get(c: &Client, path: &str) -> Answer {
    answer(
        c.http
            .get(format!("{}{path}", c.base))
            .send()
            .await
            .expect("request sent"),
    )
    .await
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png encodes");
    out.into_inner()
}

/// A PNG of a few dozen bytes whose header declares `width` x `height`: an IHDR, a first
/// IDAT chunk (a zlib stream's start) and IEND, with correct checksums.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], ihdr),
        (b"IDAT", vec![0x78, 0x9c, 0x63, 0x00, 0x00]),
        (b"IEND", Vec::new()),
    ] {
        out.extend((data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend(&data);
        out.extend(&chunk);
        out.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    out
}

fn stored_file(app: &TestApp, id: &str) -> PathBuf {
    app.data_dir.join("files").join(&id[..2]).join(id)
}

async fn send(
    ws: &mut common::Socket,
    conv: i64,
    client_id: &str,
    body: &str,
    files: &[&Value],
) -> Value {
    let ids: Vec<&Value> = files.iter().map(|f| &f["id"]).collect();
    ws.send_json(&json!({
        "type": "send", "conversation_id": conv, "client_id": client_id, "body": body,
        "attachments": ids,
    }))
    .await;
    loop {
        let f = ws.next_json().await;
        if (f["type"] == "ack" || f["type"] == "error") && f["client_id"] == client_id {
            return f;
        }
    }
}

#[tokio::test]
async fn an_image_and_a_file_reach_every_member_and_only_members_can_fetch_them() {
    let app = spawn_app().await;
    let (a, b, e, alice, conv) = team(&app).await;
    let photo = upload(&a, conv, "holiday photo.png", png(1600, 900)).await;
    assert_eq!(photo.status, 201, "{}", photo.json());
    let photo = photo.json();
    assert_eq!(photo["content_type"], "image/png");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(1600), Some(900))
    );
    assert_eq!(photo["thumbnail"], true);
    // What the browser calls the file does not decide its type: the bytes do.
    let doc = upload(
        &a,
        conv,
        "../notes\u{202E}txt.exe",
        b"%PDF-1.4 plain enough".to_vec(),
    )
    .await
    .json();
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(
        doc["name"], "notestxt.exe",
        "path and bidi override removed"
    );
    assert!(doc.get("thumbnail").is_none());

    // Pending: only the uploader sees it.
    let photo_url = format!("/files/{}/x.png", photo["id"].as_str().unwrap());
    assert_eq!(get(&a, &photo_url).await.status, 200);
    assert_eq!(get(&b, &photo_url).await.status, 404);

    let (mut a_ws, mut b_ws) = (a.socket().await, b.socket().await);
    let ack = send(&mut a_ws, conv, "m-1", "", &[&photo, &doc]).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let live = b_ws.next_message_from(&alice).await;
    assert_eq!(live["body"], "");
    assert_eq!(live["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(live["attachments"][0]["id"], photo["id"]);
    let history: Value = b.history(conv).await.ok();
    let last = history["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["attachments"], live["attachments"]);
    let nav: Value = b.call("conversations", &[]).await.ok();
    let row = nav
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == conv)
        .unwrap()
        .clone();
    assert_eq!(
        row["last_message"]["body"],
        "📎 holiday photo.png and 1 more"
    );

    // A member gets the image inline and its thumbnail; the document as a download.
    let full = get(&b, &photo_url).await;
    assert_eq!(full.status, 200);
    assert_eq!(full.header("content-type"), "image/png");
    assert!(full.header("content-disposition").starts_with("inline;"));
    assert_eq!(full.header("x-content-type-options"), "nosniff");
    assert!(full.header("content-security-policy").contains("sandbox"));
    assert_eq!(full.header("cross-origin-resource-policy"), "same-origin");
    assert_eq!(full.header("cache-control"), "no-store", "SECURITY 34");
    assert_eq!(full.bytes, png(1600, 900));
    let thumb = get(
        &b,
        &format!("/thumbnails/{}", photo["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.header("content-type"), "image/jpeg");
    let small = image::load_from_memory(&thumb.bytes).expect("the thumbnail decodes");
    assert_eq!((small.width(), small.height()), (640, 360));
    let pdf = get(&b, &format!("/files/{}/d", doc["id"].as_str().unwrap())).await;
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert_eq!(
        pdf.header("content-disposition"),
        "attachment; filename=\"notestxt.exe\"; filename*=UTF-8''notestxt.exe"
    );
    // Revalidation answers 304 to a member, after the same check.
    let again = b
        .http
        .get(format!("{}{photo_url}", b.base))
        .header("if-none-match", full.header("etag"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // An outsider, a signed-out client and a made-up id get 404 or 401 and zero bytes.
    for (who, path, status) in [
        (&e, photo_url.clone(), 404),
        (
            &e,
            format!("/thumbnails/{}", photo["id"].as_str().unwrap()),
            404,
        ),
        (&app.client(), photo_url.clone(), 401),
        (&b, "/files/AAAAAAAAAAAAAAAAAAAAAA/x".to_owned(), 404),
        (&b, "/files/..%2F..%2Fpalaver.db/x".to_owned(), 404),
    ] {
        let r = get(who, &path).await;
        assert_eq!(r.status, status, "{path}");
        assert!(!r.bytes.windows(4).any(|w| w == b"\x89PNG"), "{path}");
    }
    // An outsider cannot upload into the conversation or send someone else's upload.
    assert_eq!(upload(&e, conv, "x.txt", b"hi".to_vec()).await.status, 403);
    let mine = upload(&b, conv, "bob.txt", b"bob's".to_vec()).await.json();
    let refused = send(&mut a_ws, conv, "m-2", "take it", &[&mine]).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("attach it again"));
}

#[tokio::test]
async fn html_and_svg_are_served_as_downloads_that_cannot_run() {
    let app = spawn_app().await;
    let (a, b, _e, _alice, conv) = team(&app).await;
    let mut a_ws = a.socket().await;
    for (name, bytes) in [
        ("evil.html", &b"<html><script>alert(1)</script></html>"[..]),
        (
            "evil.svg",
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"[..],
        ),
        ("evil.png", &b"<script>alert(1)</script>"[..]),
    ] {
        let f = upload(&a, conv, name, bytes.to_vec()).await.json();
        assert!(f.get("thumbnail").is_none(), "{name}");
        let ack = send(&mut a_ws, conv, name, "", &[&f]).await;
        assert_eq!(ack["type"], "ack");
        let r = get(&b, &format!("/files/{}/{name}", f["id"].as_str().unwrap())).await;
        assert_eq!(
            r.header("content-type"),
            "application/octet-stream",
            "{name}"
        );
        assert!(
            r.header("content-disposition").starts_with("attachment;"),
            "{name}"
        );
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert!(r
            .header("content-security-policy")
            .starts_with("default-src 'none'; sandbox"));
    }
}

fn tiny_uploads(c: &mut Config) {
    c.max_upload_mb = 1;
}

#[tokio::test]
async fn uploads_over_the_limit_empty_or_with_a_bomb_header_are_refused_and_leave_nothing() {
    let app = spawn_app_with(tiny_uploads).await;
    let (a, _b, _e, _alice, conv) = team(&app).await;
    // Declared too large: refused before the body is read.
    let big = upload(&a, conv, "big.bin", vec![7u8; 1_000_001]).await;
    assert_eq!(big.status, 413);
    assert_eq!(
        big.json()["message"],
        "big.bin is 1.0 MB; files can be at most 1.0 MB."
    );
    // Streamed without a length, and larger than declared nowhere: cut off at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![1u8; 100_000])).collect();
    let streamed = a
        .http
        .post(format!("{}/api/attachments", a.base))
        .query(&[
            ("conversation_id", conv.to_string()),
            ("name", "s.bin".to_owned()),
        ])
        .header("origin", &a.base)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status().as_u16(), 413);
    let empty = upload(&a, conv, "empty.txt", Vec::new()).await;
    assert_eq!(
        (empty.status, empty.json()["message"].as_str()),
        (400, Some("empty.txt is empty."))
    );
    let bomb = upload(&a, conv, "bomb.png", png_header(100_000, 100_000)).await;
    assert_eq!(bomb.status, 400);
    assert_eq!(
        bomb.json()["message"],
        "bomb.png is 100000 × 100000 pixels; images can be at most 16384 pixels on a side and 50 megapixels."
    );
    // A cross-site page cannot upload with the user's cookie.
    let foreign = a
        .http
        .post(format!(
            "{}/api/attachments?conversation_id={conv}&name=x",
            a.base
        ))
        .header("origin", "https://evil.example")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 403);
    let staging = std::fs::read_dir(app.data_dir.join("files").join("staging")).unwrap();
    assert_eq!(staging.count(), 0, "refused uploads leave no staged file");
    let ok = upload(&a, conv, "fits.bin", vec![7u8; 1_000_000]).await;
    assert_eq!(ok.status, 201, "exactly the limit fits");
}

#[tokio::test]
async fn deleting_the_message_deletes_its_files_from_disk() {
    let app = spawn_app().await;
    let (a, b, _e, _alice, conv) = team(&app).await;
    let photo = upload(&a, conv, "p.png", png(50, 40)).await.json();
    let id = photo["id"].as_str().unwrap().to_owned();
    let mut a_ws = a.socket().await;
    let ack = send(&mut a_ws, conv, "m-1", "see", &[&photo]).await;
    let seq = ack["seq"].clone();
    assert!(stored_file(&app, &id).exists());
    let thumb = app
        .data_dir
        .join("files")
        .join(&id[..2])
        .join(format!("{id}.thumbnail"));
    assert!(thumb.exists());
    a_ws.send_json(&json!({"type":"delete","conversation_id":conv,"seq":seq,"client_id":"d-1"}))
        .await;
    loop {
        let f = a_ws.next_json().await;
        if f["type"] == "ack" && f["client_id"] == "d-1" {
            break;
        }
    }
    // Refused at once, whatever the janitor has done yet.
    assert_eq!(get(&b, &format!("/files/{id}/p.png")).await.status, 404);
    // The janitor runs when told of the deletion; wait for the bytes to go.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stored_file(&app, &id).exists() || thumb.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "bytes still on disk"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A discarded pending upload goes the same way.
    let draft = upload(&a, conv, "draft.txt", b"draft".to_vec())
        .await
        .json();
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let del = |c: &Client| {
        c.http
            .delete(format!("{}/api/attachments/{draft_id}", c.base))
            .header("origin", &c.base)
            .send()
    };
    assert_eq!(del(&b).await.unwrap().status().as_u16(), 404, "not Bob's");
    assert_eq!(del(&a).await.unwrap().status().as_u16(), 204);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stored_file(&app, &draft_id).exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "draft still on disk"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn fifty_parallel_uploads_respect_the_pending_cap() {
    let app = spawn_app().await;
    let (a, _b, _e, _alice, conv) = team(&app).await;
    let a = std::sync::Arc::new(a);
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let a = a.clone();
            tokio::spawn(async move {
                upload(&a, conv, &format!("f{i}.txt"), vec![b'x'; 10])
                    .await
                    .status
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            201 => created += 1,
            400 | 429 | 503 => {}
            s => panic!("unexpected status {s}"),
        }
    }
    // Uploads that pass the first count together are counted again once stored: never
    // more than the cap stay.
    let cap = palaver::files::PENDING_UPLOADS_MAX as usize;
    assert!((1..=cap).contains(&created), "{created}");
    // Fill up to the cap one by one; the next is refused with the reason.
    for i in created..cap {
        assert_eq!(
            upload(&a, conv, &format!("g{i}.txt"), b"x".to_vec())
                .await
                .status,
            201
        );
    }
    let over = upload(&a, conv, "one more.txt", b"x".to_vec()).await;
    assert_eq!(over.status, 400);
    assert_eq!(
        over.json()["message"],
        "You have 50 files waiting to be sent; send or remove some first."
    );
}
