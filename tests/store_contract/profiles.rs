//! Profiles: set and read on the account, carried by member lists; replacing or removing an
//! avatar queues the old picture's bytes for deletion in the same transaction.

use crate::fixtures::{add_member, conversation, user};
use palaver::files::AttachmentId;
use palaver::model::Profile;
use palaver::server::Store;
use palaver::UserId;
use std::sync::Arc;

fn id(c: char) -> AttachmentId {
    AttachmentId::parse(&c.to_string().repeat(AttachmentId::LEN)).expect("22 letters")
}

pub async fn a_profile_is_set_read_and_listed_with_the_members(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    add_member(&*store, room, &alice, &bob).await;
    assert_eq!(
        store.profile(alice.id).await.unwrap(),
        Some(Profile::default())
    );
    assert_eq!(store.profile(UserId(alice.id.0 + 999)).await.unwrap(), None);

    assert!(store
        .set_profile(alice.id, "Ada Lovelace", "Europe/London")
        .await
        .unwrap());
    assert!(!store
        .set_profile(UserId(alice.id.0 + 999), "x", "")
        .await
        .unwrap());
    assert!(store.set_avatar(alice.id, Some(&id('A'))).await.unwrap());
    let expected = Profile {
        display_name: "Ada Lovelace".into(),
        time_zone: "Europe/London".into(),
        avatar: Some(id('A')),
    };
    assert_eq!(
        store.profile(alice.id).await.unwrap(),
        Some(expected.clone())
    );
    let members = store.members(room).await.unwrap();
    let listed = members.iter().find(|m| m.user.id == alice.id).unwrap();
    assert_eq!(listed.profile, expected);
    let other = members.iter().find(|m| m.user.id == bob.id).unwrap();
    assert_eq!(other.profile, Profile::default());
    // Clearing is setting empty text.
    store.set_profile(alice.id, "", "").await.unwrap();
    let cleared = store.profile(alice.id).await.unwrap().unwrap();
    assert_eq!(
        (cleared.display_name.as_str(), cleared.time_zone.as_str()),
        ("", "")
    );
}

pub async fn replacing_or_removing_an_avatar_queues_the_old_picture(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    assert!(store.set_avatar(alice.id, Some(&id('A'))).await.unwrap());
    assert!(store.avatar_exists(&id('A')).await.unwrap());
    assert!(store.file_removals(10).await.unwrap().is_empty());
    store.set_avatar(alice.id, Some(&id('B'))).await.unwrap();
    assert!(!store.avatar_exists(&id('A')).await.unwrap());
    assert!(store.avatar_exists(&id('B')).await.unwrap());
    assert_eq!(
        store.file_removals(10).await.unwrap(),
        vec![(id('A'), false)]
    );
    // Setting the same one again queues nothing.
    store.set_avatar(alice.id, Some(&id('B'))).await.unwrap();
    assert_eq!(store.file_removals(10).await.unwrap().len(), 1);
    store.set_avatar(alice.id, None).await.unwrap();
    assert!(!store.avatar_exists(&id('B')).await.unwrap());
    let mut queued = store.file_removals(10).await.unwrap();
    queued.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(queued, vec![(id('A'), false), (id('B'), false)]);
    assert_eq!(store.profile(alice.id).await.unwrap().unwrap().avatar, None);
    assert!(!store
        .set_avatar(UserId(alice.id.0 + 999), None)
        .await
        .unwrap());
}
