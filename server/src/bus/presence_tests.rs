use super::*;

const A: u64 = 1;
const B: u64 = 2;

fn user(n: i64) -> UserId {
    UserId(n)
}

#[test]
fn a_user_on_two_nodes_stays_online_until_the_last_node_lets_go() {
    let now = Instant::now();
    let mut book = PresenceBook::default();
    assert!(book.local(user(1), true), "first socket anywhere: online");
    assert_eq!(
        book.changed(A, user(1), true, now),
        (None, true),
        "already online; A is new"
    );
    assert!(!book.local(user(1), false), "still on A");
    assert!(book.online(user(1)) && book.elsewhere(user(1)));
    assert_eq!(
        book.changed(A, user(1), false, now),
        (Some((user(1), false)), false)
    );
    assert!(!book.online(user(1)));
}

#[test]
fn a_connect_storm_changes_presence_once() {
    let now = Instant::now();
    let mut book = PresenceBook::default();
    let mut changes = 0;
    for node in 0..50u64 {
        if book.changed(node, user(7), true, now).0.is_some() {
            changes += 1;
        }
        if book.local(user(7), true) {
            changes += 1;
        }
    }
    assert_eq!(changes, 1);
}

#[test]
fn a_list_repairs_lost_news_both_ways() {
    let now = Instant::now();
    let mut book = PresenceBook::default();
    book.changed(A, user(1), true, now);
    book.changed(A, user(2), true, now);
    // The news of user 2 leaving and of user 3 arriving were lost; the heartbeat says so.
    let (mut changes, new) = book.listed(A, vec![user(1), user(3)], now);
    changes.sort_by_key(|(u, _)| u.0);
    assert_eq!(changes, vec![(user(2), false), (user(3), true)]);
    assert!(!new);
    assert_eq!(book.listed(A, vec![user(1), user(3)], now).0, vec![]);
}

#[test]
fn a_list_leaves_users_another_node_or_this_one_holds() {
    let now = Instant::now();
    let mut book = PresenceBook::default();
    book.local(user(1), true);
    book.changed(B, user(2), true, now);
    book.listed(A, vec![user(1), user(2)], now);
    assert_eq!(
        book.listed(A, vec![], now).0,
        vec![],
        "1 is here, 2 is on B"
    );
    assert!(book.online(user(1)) && book.online(user(2)));
}

#[test]
fn a_silent_node_takes_only_its_own_users_when_it_expires() {
    let start = Instant::now();
    let mut book = PresenceBook::default();
    book.listed(A, vec![user(1), user(2)], start);
    book.listed(B, vec![user(2)], start);
    let later = start + NODE_EXPIRES / 2;
    book.listed(B, vec![user(2)], later);
    assert_eq!(
        book.expire(later),
        (vec![], vec![]),
        "nobody silent long enough"
    );
    let (changes, dead) = book.expire(start + NODE_EXPIRES);
    assert_eq!(changes, vec![(user(1), false)], "2 is still on B");
    assert_eq!(dead, vec![A]);
    assert!(book.online(user(2)));
    let (changes, _) = book.listed(A, vec![user(1)], start + NODE_EXPIRES);
    assert_eq!(changes, vec![(user(1), true)], "A came back");
}

#[test]
fn a_node_that_says_goodbye_is_forgotten_at_once() {
    let now = Instant::now();
    let mut book = PresenceBook::default();
    book.listed(A, vec![user(1)], now);
    assert_eq!(book.forget(A), vec![(user(1), false)]);
    assert_eq!(book.forget(A), vec![]);
}
