//! Deleting accounts and retention: the rules of who may, what each member's sockets are told,
//! and the clock as a parameter.

use super::*;
use crate::model::Retention;

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn deleting_an_account_hands_over_what_it_owned_and_keeps_its_messages() {
    let r = Room::new().await;
    let hi = r.say(&r.member, "hi from member").await;
    let solo = r
        .chat
        .create_conversation(&r.member.user, "Solo")
        .await
        .unwrap()
        .id;
    let shared = r
        .chat
        .create_conversation(&r.member.user, "Shared")
        .await
        .unwrap()
        .id;
    let code = r
        .chat
        .create_invite(&r.member, shared, None, None)
        .await
        .unwrap()
        .code;
    r.chat.accept_invite(&r.outsider.user, &code).await.unwrap();
    let mut room_rx = r.chat.subscribe(Topic::Conversation(r.id));
    let mut user_rx = r.chat.subscribe(Topic::User(r.member.user.id));
    let target = r.member.user.id;
    let name = r.member.user.username.clone();

    // Only an instance admin (the owner signed up first), never on themselves, confirmed.
    let refused = r
        .chat
        .admin_delete_account(&r.admin, target, false, &name)
        .await;
    assert!(
        matches!(refused, Err(CoreError::Forbidden(_))),
        "{refused:?}"
    );
    let own = r
        .chat
        .admin_delete_account(&r.owner, r.owner.user.id, false, "owner")
        .await;
    assert!(matches!(own, Err(CoreError::Forbidden(_))), "{own:?}");
    let unconfirmed = r
        .chat
        .admin_delete_account(&r.owner, target, false, "memb")
        .await;
    assert!(matches!(
        unconfirmed,
        Err(CoreError::Invalid(
            ValidationError::AccountDeleteConfirmation
        ))
    ));
    assert_silent(&mut room_rx);

    r.chat
        .admin_delete_account(&r.owner, target, false, &name)
        .await
        .expect("deleted");
    match next(&mut user_rx) {
        HubEvent::SessionsEnded { payload, .. } => {
            let text = String::from_utf8_lossy(&payload).into_owned();
            assert!(text.contains("account_deleted"), "{text}");
        }
        other => panic!("sessions ended first, got {other:?}"),
    }
    match frame(&next(&mut room_rx)) {
        ServerFrame::Message { message } => {
            assert_eq!(message.kind, EventKind::Leave);
            assert_eq!(message.author, "Deleted user");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        frame(&next(&mut room_rx)),
        ServerFrame::MemberLeft { .. }
    ));
    assert_silent(&mut room_rx);

    let history = r.chat.history(&r.owner.user, r.id, None).await.unwrap();
    let kept = history.messages.iter().find(|m| m.seq == hi).unwrap();
    assert_eq!(
        (kept.author.as_str(), kept.body.as_str()),
        ("Deleted user", "hi from member")
    );
    assert_eq!(
        r.chat.store.owner_of(solo).await.unwrap(),
        None,
        "nobody else: deleted"
    );
    assert_eq!(
        r.chat.store.owner_of(shared).await.unwrap(),
        Some(r.outsider.user.id),
        "passed to the one left"
    );
    assert!(r.chat.store.accounts_erasing().await.unwrap().is_empty());
    let again = r
        .chat
        .admin_delete_account(&r.owner, target, true, "Deleted user")
        .await;
    assert!(
        matches!(again, Err(CoreError::NotFound("User"))),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_restart_finishes_taking_a_deleted_account_out_of_its_conversations() {
    let r = Room::new().await;
    // The owner's account is deleted in the store, and the server stops before its leaves.
    r.chat
        .store
        .set_admin(r.member.user.id, true)
        .await
        .unwrap();
    r.chat
        .store
        .delete_account(r.owner.user.id, false, Timestamp::now())
        .await
        .unwrap();
    let mut rx = r.chat.subscribe(Topic::Conversation(r.id));
    assert_eq!(r.chat.finish_deletions().await.unwrap(), 1);
    // The admin (longest-standing admin) owns it now; the tombstone left.
    assert_eq!(
        r.chat.store.owner_of(r.id).await.unwrap(),
        Some(r.admin.user.id)
    );
    assert_eq!(r.role(&r.owner).await, None);
    let frames: Vec<ServerFrame> = std::iter::from_fn(|| rx.try_recv().ok())
        .map(|e| frame(&e))
        .collect();
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, ServerFrame::Message { message }
            if message.kind == EventKind::Leave && message.author == "Deleted user")),
        "{frames:?}"
    );
    assert_eq!(
        r.chat.finish_deletions().await.unwrap(),
        0,
        "nothing left to do"
    );
}

#[tokio::test]
async fn erasing_appends_a_deletion_for_every_message_and_resumes_where_it_stopped() {
    let r = Room::new().await;
    let mut said = Vec::new();
    for body in ["a", "b", "c"] {
        said.push(r.say(&r.member, body).await);
    }
    r.say(&r.admin, "not theirs").await;
    let target = r.member.user.id;
    let name = r.member.user.username.clone();
    r.chat
        .admin_delete_account(&r.owner, target, true, &name)
        .await
        .unwrap();
    let mut room_rx = r.chat.subscribe(Topic::Conversation(r.id));
    let tombstone = r.chat.store.accounts_erasing().await.unwrap();
    assert_eq!(tombstone.len(), 1, "pending until the job runs");
    assert_eq!(r.chat.erase_messages_of(&tombstone[0]).await.unwrap(), 3);
    for seq in &said {
        match frame(&next(&mut room_rx)) {
            ServerFrame::Message { message } => {
                assert_eq!(
                    (message.kind, message.target_seq),
                    (EventKind::Delete, Some(*seq))
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_silent(&mut room_rx);
    let history = r.chat.history(&r.owner.user, r.id, None).await.unwrap();
    for m in history.messages.iter().filter(|m| said.contains(&m.seq)) {
        assert!(m.deleted && m.body.is_empty(), "{m:?}");
    }
    assert!(r.chat.store.accounts_erasing().await.unwrap().is_empty());
    // Run again (a restart after it finished): nothing left, nothing published.
    assert_eq!(r.chat.erase_messages_of(&tombstone[0]).await.unwrap(), 0);
    assert_silent(&mut room_rx);
}

#[test]
fn the_shorter_of_the_owners_and_the_instances_retention_applies() {
    let r = |days, instance_days| Retention {
        days,
        instance_days,
        pruned_through: Seq::ZERO,
    };
    assert_eq!(r(None, None).effective_days(), None);
    assert_eq!(r(Some(7), None).effective_days(), Some(7));
    assert_eq!(r(None, Some(30)).effective_days(), Some(30));
    assert_eq!(r(Some(7), Some(30)).effective_days(), Some(7));
    assert_eq!(r(Some(90), Some(30)).effective_days(), Some(30));
}

#[test]
fn retention_batches_shrink_when_slow_and_grow_when_quick_within_bounds() {
    use crate::server::chat::retention::{next_batch, PRUNE_BATCH, PRUNE_TARGET};
    let ms = std::time::Duration::from_millis;
    assert_eq!(
        next_batch(100, PRUNE_TARGET * 4),
        50,
        "over the target: halved"
    );
    assert_eq!(next_batch(100, ms(1)), 151, "well under it: half again");
    assert_eq!(next_batch(100, PRUNE_TARGET * 3 / 4), 100, "near it: kept");
    assert_eq!(next_batch(1, ms(200)), 1, "never below one");
    assert_eq!(next_batch(400, ms(0)), PRUNE_BATCH, "never above the cap");
    // From the floor, a quick store reaches the cap in a few batches.
    let mut limit = 1;
    let steps = (0..20).take_while(|_| {
        limit = next_batch(limit, ms(0));
        limit < PRUNE_BATCH
    });
    assert!(steps.count() < 16);
}

#[tokio::test]
async fn retention_prunes_every_conversation_on_the_clock_it_is_given() {
    let mut r = Room::new().await;
    r.chat.config.retention_days = Some(30);
    let quiet = r
        .chat
        .create_conversation(&r.owner.user, "Quiet")
        .await
        .unwrap()
        .id;
    r.say(&r.member, "old news").await;
    r.chat
        .send_message(&r.owner.user, quiet, "q-1", "the last word in Quiet")
        .await
        .unwrap();

    // The owner's setting: within 1..=30 days, owner only, never in a direct conversation.
    for bad in [Some(0), Some(31)] {
        let e = r.chat.set_retention(&r.owner, r.id, bad).await;
        assert!(
            matches!(
                e,
                Err(CoreError::Invalid(ValidationError::RetentionDays(30)))
            ),
            "{e:?}"
        );
    }
    let e = r.chat.set_retention(&r.admin, r.id, Some(7)).await;
    assert!(matches!(e, Err(CoreError::Forbidden(_))), "{e:?}");
    let set = r.chat.set_retention(&r.owner, r.id, Some(7)).await.unwrap();
    assert_eq!((set.days, set.effective_days()), (Some(7), Some(7)));

    let now = Timestamp::now();
    let mut rx = r.chat.subscribe(Topic::Conversation(r.id));
    // A day later nothing has expired.
    let report = r.chat.prune_expired(Timestamp(now.0 + DAY)).await.unwrap();
    assert_eq!((report.pruned, report.events), (0, 0));
    assert_eq!(
        report.conversations, 2,
        "every live conversation: {report:?}"
    );
    assert_silent(&mut rx);

    // Eight days on, the room's week has passed, not the instance's month for Quiet.
    let last = r.chat.store.retention_of(r.id).await.unwrap();
    assert_eq!(last, Some((Some(7), Seq::ZERO)));
    let report = r
        .chat
        .prune_expired(Timestamp(now.0 + 8 * DAY))
        .await
        .unwrap();
    assert_eq!(report.pruned, 1, "{report:?}");
    let through = match frame(&next(&mut rx)) {
        ServerFrame::HistoryPruned {
            conversation_id,
            through,
        } => {
            assert_eq!(conversation_id, r.id);
            through
        }
        other => panic!("{other:?}"),
    };
    assert_silent(&mut rx);
    let page = r.chat.history(&r.owner.user, r.id, None).await.unwrap();
    assert!(page.messages.is_empty() && !page.has_older);
    assert_eq!(page.pruned_through, through);
    let detail = r.chat.conversation(&r.owner.user, quiet).await.unwrap();
    assert_eq!(
        detail.retention.pruned_through,
        Seq::ZERO,
        "Quiet keeps 30 days"
    );

    // A month on, Quiet too, though nobody wrote in it.
    let report = r
        .chat
        .prune_expired(Timestamp(now.0 + 31 * DAY))
        .await
        .unwrap();
    assert!(report.pruned >= 1, "{report:?}");
    let detail = r.chat.conversation(&r.owner.user, quiet).await.unwrap();
    assert!(detail.retention.pruned_through > Seq::ZERO);
    // The sequence goes on: the next message follows the last seq ever given.
    let next_seq = r.say(&r.owner, "fresh start").await;
    assert!(next_seq > through);
}
