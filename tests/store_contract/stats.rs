//! The dashboard's figures: accounts (active ones by when they last used Palaver), live
//! conversations, messages per UTC day from the writer's rollup, sign-in failures of the last
//! 24 hours and the database's size.

use crate::fixtures::{append, at, conversation, event, user, T0};
use palaver::model::{AuditAction, EventKind, DASHBOARD_DAYS};
use palaver::server::store::{AuditRecord, NewSession};
use palaver::server::Store;
use palaver::{SessionId, Timestamp, UserId};
use std::sync::Arc;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

async fn signed_in(store: &dyn Store, id: &str, user: UserId, now: Timestamp) {
    store
        .create_session(NewSession {
            id: &SessionId(id.to_owned()),
            token_hash: id.as_bytes(),
            user_id: user,
            now,
            expires_at: Timestamp(now.0 + 40 * DAY),
            user_agent: None,
            client_addr: None,
        })
        .await
        .unwrap();
}

pub async fn the_dashboard_counts_from_rollups_what_each_figure_says(store: Arc<dyn Store>) {
    // "Now" is 40 days after T0; the accounts' last use is set by their sessions.
    let now = at(40 * DAY);
    let admin = user(&*store, "admin").await;
    let recent = user(&*store, "recent").await;
    let weekly = user(&*store, "weekly").await;
    let gone = user(&*store, "gone").await;
    signed_in(&*store, "s-admin", admin.id, Timestamp(now.0 - HOUR)).await;
    signed_in(&*store, "s-recent", recent.id, Timestamp(now.0 - 20 * HOUR)).await;
    signed_in(&*store, "s-weekly", weekly.id, Timestamp(now.0 - 3 * DAY)).await;
    signed_in(&*store, "s-gone", gone.id, Timestamp(now.0 - 35 * DAY)).await;
    // A request a minute later counts as use too (the session's last_seen_at).
    store
        .session_by_token(b"s-gone", Timestamp(now.0 - 10 * DAY))
        .await
        .unwrap()
        .expect("live session");
    store
        .set_disabled(gone.id, Some(Timestamp(now.0 - DAY)))
        .await
        .unwrap();

    let ops = conversation(&*store, &admin, "Ops").await;
    let old = conversation(&*store, &admin, "Old").await;
    store.delete_conversation(old, now).await.unwrap();
    // Messages today (3), yesterday (1), 29 days ago (2, the chart's first day) and 31 days
    // ago (1, before the chart); an edit is an event, not a message.
    let mut n = 0;
    for (days_ago, count) in [(0, 3), (1, 1), (29, 2), (31, 1)] {
        for _ in 0..count {
            n += 1;
            let (client, body) = (format!("m{n}"), format!("message {n}"));
            let mut e = event(ops, &admin, EventKind::Message, None, &client, &body);
            e.now = Timestamp(now.0 - days_ago * DAY);
            append(&*store, e).await.unwrap();
        }
    }
    let mut edit = event(
        ops,
        &admin,
        EventKind::Edit,
        Some(palaver::Seq(1)),
        "e1",
        "edited",
    );
    edit.now = now;
    append(&*store, edit).await.unwrap();
    // Failed sign-ins: two in the last 24 hours, one before.
    for ago in [HOUR, 23 * HOUR, 25 * HOUR] {
        store
            .audit(AuditRecord {
                at: Timestamp(now.0 - ago),
                action: AuditAction::SignInFailed,
                actor_name: Some("someone"),
                ..AuditRecord::default()
            })
            .await
            .unwrap();
    }

    let d = store.dashboard(now).await.unwrap();
    assert_eq!(d.at, now);
    assert_eq!((d.users, d.disabled_users), (4, 1));
    assert_eq!((d.active_day, d.active_week, d.active_month), (2, 3, 4));
    assert_eq!(d.conversations, 1, "the deleted one is not counted");
    assert_eq!(d.sign_in_failures_day, 2);
    assert!(d.database_bytes > 0);
    assert_eq!(d.open_sockets, 0, "the node's own figure, not the store's");

    let days = &d.messages_per_day;
    assert_eq!(days.len(), DASHBOARD_DAYS);
    let today = now.0.div_euclid(DAY);
    assert_eq!(days.last().map(|c| (c.day, c.messages)), Some((today, 3)));
    assert_eq!(days[DASHBOARD_DAYS - 2].messages, 1);
    assert_eq!((days[0].day, days[0].messages), (today - 29, 2));
    assert_eq!(days.iter().map(|c| c.messages).sum::<i64>(), 6);
    assert!(T0 < now.0);
}
