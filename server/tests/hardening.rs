//! Attacks learned the hard way (issue 8, SECURITY 26-36), over HTTP: parallel requests
//! against the throttles, bursts of Argon2, redirects, bans, audit paging, caching, token
//! lifetimes and text that people cannot see or tell apart. Each prints its category's
//! figures like the security suite: tried / rejected.

mod common;

use common::process::{free_addr, ServerProcess};
use common::{spawn_app, spawn_app_with, unique, Client, Reply, TestApp, PASSWORD};
use serde_json::Value;

fn report(category: &str, tried: usize, rejected: usize) {
    println!(
        "SECURITY {category:<34} tried {tried:>5} / rejected {rejected:>5} ({:.0}%)",
        100.0 * rejected as f64 / tried.max(1) as f64
    );
}

async fn join_with(app: &TestApp, owner: &Client, id: i64) -> (Client, String) {
    let (c, name) = app.signed_up("member").await;
    let code = owner.invite(id).await;
    c.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    (c, name)
}

// ----- SECURITY 26: limits counted before the expensive work -----------------------------

#[tokio::test]
async fn parallel_sign_ins_are_throttled_like_sequential_ones() {
    let app = spawn_app().await;
    let (_, name) = app.signed_up("target").await;
    let attempts = 40;
    let calls = (0..attempts).map(|i| {
        let c = app.client();
        let name = name.clone();
        async move {
            let password = if i == attempts - 1 {
                PASSWORD.to_owned()
            } else {
                format!("wrong-password-{i}")
            };
            c.sign_in(&name, &password).await.status
        }
    });
    let statuses = futures::future::join_all(calls).await;
    let processed = statuses.iter().filter(|s| **s != 429).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    println!("parallel sign-ins: {attempts} sent, {processed} processed, {throttled} answered 429");
    report(
        "parallel sign-ins past the allowance",
        attempts - 5,
        throttled,
    );
    assert!(
        processed <= 5,
        "{processed} attempts were checked, the allowance is 5: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_argon2_work_runs_a_bounded_number_at_once() {
    // The real binary, so that its memory is its own: sign-ins that pass the throttle (the
    // allowance is raised so that all 200 reach the password check, which is what the
    // concurrency cap must bound). VmHWM is the kernel's exact peak, not a sample.
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let server =
        ServerProcess::start_with(addr, dir.path(), &["--sign-in-failures", "100000"]).await;
    // Warm up: the first hash builds the dummy hash and starts the hashing threads.
    Client::for_addr(addr)
        .sign_in("nobody", "some-password")
        .await;
    let before = server.memory_kib("VmRSS:");
    let burst = 200;
    let calls = (0..burst).map(|i| {
        let c = Client::for_addr(addr);
        async move { c.sign_in(&format!("nobody{i}"), "some-password").await }
    });
    let replies: Vec<Reply> = futures::future::join_all(calls).await;
    let peak = server.memory_kib("VmHWM:");
    let grown_mib = peak.saturating_sub(before) as f64 / 1024.0;
    let count = |s: u16| replies.iter().filter(|r| r.status == s).count();
    let busy: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    println!(
        "ARGON2 burst of {burst} sign-ins: RSS {:.1} MiB before, peak {:.1} MiB (+{grown_mib:.1}); \
         answered 401 {} / 503 {} / other {}",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        count(401),
        busy.len(),
        burst - count(401) - busy.len()
    );
    for r in &busy {
        assert!(
            r.headers.get("retry-after").is_some(),
            "a refused hash says when to retry"
        );
    }
    assert_eq!(count(401) + busy.len(), burst, "no 5xx other than 503");
    // 19 MiB per hash: all 200 at once would be ~3.7 GiB; one per core is ~40 MiB here.
    assert!(
        grown_mib < 120.0,
        "peak RSS grew by {grown_mib:.0} MiB during the burst"
    );
}

// ----- SECURITY 27: every password check shares the throttle -----------------------------

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_sign_in_lock_out() {
    let app = spawn_app().await;
    let (c, name) = app.signed_up("pwd").await;
    let tries = 8;
    let mut refused = 0;
    let mut statuses = Vec::new();
    for i in 0..tries {
        let current = if i == tries - 1 {
            PASSWORD.to_owned()
        } else {
            format!("guess-{i}-wrong")
        };
        let r = c
            .call(
                "change_password",
                &[("current", &current), ("new", "another-long-pass-77")],
            )
            .await;
        statuses.push(r.status);
        if r.status == 429 {
            refused += 1;
        }
    }
    report("password guesses past the allowance", tries - 5, refused);
    assert!(
        statuses[5..].iter().all(|s| *s == 429),
        "after 5 wrong guesses the right one is throttled too: {statuses:?}"
    );
    // The same account cannot be signed into either: one throttle for every password check.
    assert_eq!(app.client().sign_in(&name, PASSWORD).await.status, 429);
}

// ----- SECURITY 30: redirects stay on the public origin; nothing panics ------------------

fn redirect_corpus() -> Vec<String> {
    let hosts = ["evil.example", "evil.example/", "@evil.example"];
    let mut corpus = Vec::new();
    for host in hosts {
        for prefix in [
            "//",
            "/\\",
            "\\\\",
            "\\/",
            "https://",
            "http:",
            "https:/",
            "//\\",
            "/\t/",
            "/\n/",
            "/\r/",
            " //",
            "\t//",
            "/ /",
            "/\u{0}/",
            "/%09/",
            "/%2F",
            "%2F%2F",
            "%5C%5C",
            "javascript:",
            "data:",
            "/\u{2028}/",
            "/\u{a0}/",
            "\u{3000}//",
            "/\u{feff}/",
        ] {
            corpus.push(format!("{prefix}{host}"));
        }
    }
    for c in (0u8..0x20).chain([0x7f]) {
        corpus.push(format!("/c/1{}x", c as char));
    }
    corpus.extend(
        [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "",
            " ",
            "c/1",
            "?x",
            "#x",
            "..//evil.example",
        ]
        .map(str::to_owned),
    );
    corpus
}

/// Resolves a Location value the way a browser does (tabs and newlines dropped, backslashes
/// as slashes) against `origin`; true when it stays there.
fn stays_on(origin: &str, location: &str) -> bool {
    let cleaned: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let base = reqwest::Url::parse(origin).unwrap();
    match base.join(cleaned.trim()) {
        Ok(u) => u.origin() == base.origin(),
        Err(_) => false,
    }
}

#[tokio::test]
async fn next_after_sign_in_and_sign_up_never_leaves_the_origin_or_panics() {
    let app = spawn_app().await;
    let (_, name) = app.signed_up("redir").await;
    let corpus = redirect_corpus();
    let mut tried = 0;
    let mut safe = 0;
    for (i, next) in corpus.iter().enumerate() {
        for endpoint in ["sign_in", "sign_up"] {
            let c = app.client();
            let user = if endpoint == "sign_in" {
                name.clone()
            } else {
                unique(&format!("nx{i}"))
            };
            let r = c
                .call(
                    endpoint,
                    &[("username", &user), ("password", PASSWORD), ("next", next)],
                )
                .await;
            tried += 1;
            let location = r
                .headers
                .get("location")
                .or_else(|| r.headers.get("serverfnredirect"))
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let ok = r.status < 500
                && c.cookie().is_some()
                && location
                    .as_deref()
                    .is_none_or(|l| stays_on(&app.origin(), l));
            if ok {
                safe += 1;
            } else {
                println!(
                    "UNSAFE next {next:?} on {endpoint}: {} {location:?}",
                    r.status
                );
            }
        }
    }
    report("redirect bypasses (next)", tried, safe);
    assert_eq!(safe, tried);
    // A good local path is kept.
    let c = app.client();
    let r = c
        .call(
            "sign_in",
            &[
                ("username", &name),
                ("password", PASSWORD),
                ("next", "/c/3?x=1"),
            ],
        )
        .await;
    let loc = r
        .headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(loc.as_deref(), Some("/c/3?x=1"));
}

// ----- SECURITY 33: a removed member stays out --------------------------------------------

#[tokio::test]
async fn a_removed_member_is_banned_until_the_ban_is_lifted() {
    let app = spawn_app().await;
    let (owner, _) = app.signed_up("owner").await;
    let id = owner.create_conversation("Banned room").await;
    let code = owner.invite(id).await;
    let (bob, bob_name) = app.signed_up("bob").await;
    bob.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    let bob_id = bob.user_id().await;
    owner
        .call("set_public", &[("id", &id.to_string()), ("public", "true")])
        .await
        .ok::<Value>();
    owner
        .call(
            "remove_member",
            &[("id", &id.to_string()), ("user_id", &bob_id.to_string())],
        )
        .await
        .ok::<Value>();

    let by_invite = bob.call("accept_invite", &[("code", &code)]).await;
    let by_room = bob.call("join_room", &[("id", &id.to_string())]).await;
    let rejected = [&by_invite, &by_room]
        .iter()
        .filter(|r| r.status == 403 && r.message().contains("removed"))
        .count();
    report("re-joins by a removed member", 2, rejected);
    assert_eq!(rejected, 2, "{by_invite:?} {by_room:?}");

    let bans: Vec<Value> = owner.call("bans", &[("id", &id.to_string())]).await.ok();
    assert_eq!(bans.len(), 1, "{bans:?}");
    assert_eq!(bans[0]["username"], bob_name.as_str());
    // Only owners and admins see or lift bans.
    assert_eq!(
        bob.call("bans", &[("id", &id.to_string())]).await.status,
        403
    );
    owner
        .call(
            "lift_ban",
            &[("id", &id.to_string()), ("user_id", &bob_id.to_string())],
        )
        .await
        .ok::<Value>();
    assert!(owner
        .call("bans", &[("id", &id.to_string())])
        .await
        .ok::<Vec<Value>>()
        .is_empty());
    bob.call("join_room", &[("id", &id.to_string())])
        .await
        .ok::<Value>();
}

// ----- audit paging and invite limits -------------------------------------------------------

#[tokio::test]
async fn the_audit_log_pages_and_filters_and_invites_are_rate_limited() {
    let app = spawn_app_with(common::real_rates).await;
    let (owner, owner_name) = app.signed_up("own").await;
    let id = owner.create_conversation("Audited").await;
    let (admin, admin_name) = join_with(&app, &owner, id).await;
    let (victim, _) = join_with(&app, &owner, id).await;
    let admin_id = admin.user_id().await;
    let victim_id = victim.user_id().await;
    owner
        .call(
            "set_role",
            &[
                ("id", &id.to_string()),
                ("user_id", &admin_id.to_string()),
                ("role", "admin"),
            ],
        )
        .await
        .ok::<Value>();
    admin
        .call(
            "remove_member",
            &[("id", &id.to_string()), ("user_id", &victim_id.to_string())],
        )
        .await
        .ok::<Value>();
    let mut created = 0;
    let mut limited = 0;
    for _ in 0..205 {
        let r = admin
            .call("create_invite", &[("id", &id.to_string())])
            .await;
        match r.status {
            200 => created += 1,
            429 => limited += 1,
            s => panic!("create_invite answered {s}"),
        }
    }
    println!("invite creation: {created} created, {limited} rate limited");
    report("invite floods past the limit", 205 - created, limited);
    assert!(limited > 0 && created < 205);

    // Every entry is reachable by paging, newest first, without overlap.
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![("id", id.to_string())];
        if let Some(b) = before {
            form.push(("before", b.to_string()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page: Value = owner.call("audit_log", &form).await.ok();
        let entries = page["entries"].as_array().unwrap().clone();
        seen.extend(entries.iter().map(|e| e["id"].as_i64().unwrap()));
        match page["older"].as_i64() {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are newest first without overlap");
    assert!(seen.len() >= created + 2);

    let removals: Value = owner
        .call(
            "audit_log",
            &[("id", &id.to_string()), ("action", "member_removed")],
        )
        .await
        .ok();
    let removals = removals["entries"].as_array().unwrap();
    assert_eq!(removals.len(), 1, "{removals:?}");
    assert_eq!(removals[0]["actor"], admin_name.as_str());
    let by_owner: Value = owner
        .call(
            "audit_log",
            &[("id", &id.to_string()), ("actor", &owner_name)],
        )
        .await
        .ok();
    assert!(by_owner["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == owner_name.as_str()));
}

// ----- SECURITY 34: no caching of what depends on the session --------------------------------

#[tokio::test]
async fn responses_that_depend_on_the_session_are_not_stored() {
    let app = spawn_app().await;
    let (c, _) = app.signed_up("cache").await;
    let id = c.create_conversation("Cached?").await;
    let mut tried = 0;
    let mut no_store = 0;
    let mut check = |what: String, headers: &reqwest::header::HeaderMap| {
        tried += 1;
        let cc = headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if cc.contains("no-store") {
            no_store += 1;
        } else {
            println!("CACHEABLE {what}: {cc:?}");
        }
    };
    for path in [
        "/".to_owned(),
        format!("/c/{id}"),
        "/account".to_owned(),
        "/rooms".to_owned(),
    ] {
        let res = c.http.get(app.url(&path)).send().await.unwrap();
        check(format!("GET {path}"), res.headers());
    }
    for (endpoint, form) in [
        ("history", vec![("id", id.to_string())]),
        ("conversation", vec![("id", id.to_string())]),
        ("conversations", vec![]),
        ("sessions", vec![]),
        ("audit_log", vec![("id", id.to_string())]),
        ("invites", vec![("id", id.to_string())]),
        ("me", vec![]),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.call(endpoint, &form).await;
        check(format!("POST /api/{endpoint}"), &r.headers);
    }
    report("session responses without no-store", tried, no_store);
    assert_eq!(no_store, tried);
}

// ----- Unicode: invisible text, grapheme lengths, confusable names --------------------------

/// Code points that render as nothing: default-ignorable, format, fillers and separators.
const INVISIBLE: &[&str] = &[
    "\u{200B}",
    "\u{FEFF}",
    "\u{200C}\u{200D}",
    "\u{2060}",
    "\u{180E}",
    "\u{3164}",
    "\u{FFA0}",
    "\u{115F}",
    "\u{1160}",
    "\u{034F}",
    "\u{17B4}",
    "\u{2062}",
    "\u{E0020}",
    "\u{FE0F}",
    "\u{00AD}",
    "\u{061C}",
    "\u{200E}\u{200F}",
    " \u{200B} ",
    "\u{2800}\u{200B}",
];

#[tokio::test]
async fn text_that_shows_nothing_is_refused_and_emoji_count_as_people_see_them() {
    let app = spawn_app().await;
    let (c, _) = app.signed_up("uni").await;
    let id = c.create_conversation("Unicode").await;
    let mut ws = c.socket().await;
    let mut tried = 0;
    let mut refused = 0;
    for (i, text) in INVISIBLE.iter().enumerate() {
        if *text == "\u{2800}\u{200B}" {
            continue; // Braille blank is a visible glyph by Unicode's properties.
        }
        tried += 2;
        let ack = ws.send_message(id, &format!("inv-{i}"), text).await;
        if ack["type"] == "error" {
            refused += 1;
        } else {
            println!(
                "ACCEPTED invisible body {:?}",
                text.escape_unicode().to_string()
            );
        }
        let r = c.call("create_conversation", &[("title", text)]).await;
        if r.status == 422 {
            refused += 1;
        } else {
            println!(
                "ACCEPTED invisible title {:?}: {}",
                text.escape_unicode().to_string(),
                r.status
            );
        }
    }
    report("invisible-only messages and titles", tried, refused);
    assert_eq!(refused, tried);

    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
    let ack = ws.send_message(id, "families", &family.repeat(572)).await;
    assert_eq!(
        ack["type"], "ack",
        "572 family emoji are 572 characters: {ack}"
    );
    c.call("create_conversation", &[("title", &family.repeat(15))])
        .await
        .ok::<Value>();
    // The same text with every character \u-escaped in the JSON frame.
    let body = "\u{1F600}".repeat(4000);
    let escaped: String = body.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
    let frame = format!(
        r#"{{"type":"send","conversation_id":{id},"client_id":"escaped","body":"{escaped}"}}"#
    );
    ws.send_text(&frame).await;
    let answer = loop {
        let f = ws.next_json().await;
        if f["client_id"] == "escaped" {
            break f;
        }
    };
    assert_eq!(answer["type"], "ack", "{answer}");
}

#[tokio::test]
async fn usernames_that_look_like_an_existing_one_are_refused() {
    let app = spawn_app().await;
    let base = unique("paypal");
    let c = app.client();
    c.sign_up(&base).await;
    let variants = [
        base.replace('l', "I"),
        base.replace('l', "1"),
        base.replace("pal", "PAL"),
        base.replace("al", "aI").to_uppercase(),
    ];
    let mut tried = 0;
    let mut refused = 0;
    for v in variants.iter().filter(|v| **v != base) {
        tried += 1;
        let r = app
            .client()
            .call("sign_up", &[("username", v), ("password", PASSWORD)])
            .await;
        if r.status == 409 {
            refused += 1;
        } else {
            println!(
                "ACCEPTED look-alike {v:?} of {base:?}: {} {}",
                r.status,
                r.message()
            );
        }
    }
    let lookalike = app
        .client()
        .call(
            "sign_up",
            &[
                ("username", &base.replace('l', "1")),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(
        lookalike.message().contains("looks like"),
        "{}",
        lookalike.message()
    );
    let m = unique("mallory");
    app.client().sign_up(&m).await;
    tried += 1;
    let r = app
        .client()
        .call(
            "sign_up",
            &[("username", &m.replace('m', "rn")), ("password", PASSWORD)],
        )
        .await;
    if r.status == 409 {
        refused += 1;
    }
    report("confusable usernames", tried, refused);
    assert_eq!(refused, tried);
}

#[tokio::test]
async fn a_title_with_invalid_utf8_is_refused_not_repaired() {
    let app = spawn_app().await;
    let (c, _) = app.signed_up("utf").await;
    let mut tried = 0;
    let mut refused = 0;
    for body in [
        "title=a%FFb",
        "title=%C3",
        "title=%ED%A0%80",
        "title=ok%C0%AF",
    ] {
        tried += 1;
        let res = c
            .http
            .post(app.url("/api/create_conversation"))
            .header("origin", app.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        if res.status() == 422 {
            refused += 1;
        } else {
            println!("ACCEPTED {body}: {}", res.status());
        }
    }
    report("invalid UTF-8 in form bodies", tried, refused);
    assert_eq!(refused, tried);
    let list: Vec<Value> = c.call("conversations", &[]).await.ok();
    assert!(list.is_empty(), "nothing was created: {list:?}");
}

#[tokio::test]
async fn a_member_opening_a_used_up_link_lands_in_the_conversation() {
    let app = spawn_app().await;
    let (owner, _) = app.signed_up("own").await;
    let id = owner.create_conversation("Once").await;
    let v: Value = owner
        .call(
            "create_invite",
            &[("id", &id.to_string()), ("max_uses", "1")],
        )
        .await
        .ok();
    let code = v["code"].as_str().unwrap().to_owned();
    let (bob, _) = app.signed_up("bob").await;
    bob.call("accept_invite", &[("code", &code)])
        .await
        .ok::<Value>();
    // Used up: Bob opens it again.
    let preview: Value = bob.call("invite", &[("code", &code)]).await.ok();
    assert_eq!(preview["member"], true, "{preview}");
    assert_eq!(preview["conversation_id"], id);
    let again: Value = bob.call("accept_invite", &[("code", &code)]).await.ok();
    assert_eq!(again, id);
    // The owner's other links and a stranger: a used-up link is still invalid for others.
    let (eve, _) = app.signed_up("eve").await;
    assert_eq!(eve.call("invite", &[("code", &code)]).await.status, 404);
    assert_eq!(
        eve.call("accept_invite", &[("code", &code)]).await.status,
        404
    );
    let _ = owner;
}
