//! Presence across the nodes of a cluster: who has a socket where.
//!
//! Each node knows its own users exactly (the core's socket counts) and tells the others over
//! the bus: a `Changed` when a user's first socket on it opens or their last closes, and every
//! [`HEARTBEAT_EVERY`] the whole list (`Online`), which repairs news the bus lost (it delivers
//! at most once). A node not heard from for [`NODE_EXPIRES`] is taken for dead and its users
//! with it. A user is online while any node lists them.
//!
//! Every node works the same answer out for itself and tells only its own sockets, so a
//! change of presence costs one frame per socket that shows it, however many nodes there are
//! and however many sockets the user has (a connect storm of one user's N sockets changes
//! presence once, not N times).
//!
//! The book is plain data: the bus feeds it news with the time, and it answers which users'
//! presence changed. Its rules are tested here without a network or a clock.

use palaver::UserId;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often a node sends its whole list, in ms: a node that joins learns everything within
/// one heartbeat (or at once: a node answers news from a node it did not know with its list).
pub const HEARTBEAT_EVERY: Duration = Duration::from_millis(3_000);
/// A node silent this long is taken for dead: its users go offline (unless listed by another
/// node) within this time of its death. Well under the default idle timeout (60 s), after
/// which a socket of a silently dead node would be given up anyway.
pub const NODE_EXPIRES: Duration = Duration::from_millis(10_000);

/// A change to tell this node's sockets: (user, online).
pub type Change = (UserId, bool);

struct Remote {
    heard: Instant,
    users: HashSet<UserId>,
}

#[derive(Default)]
pub struct PresenceBook {
    local: HashSet<UserId>,
    remote: HashMap<u64, Remote>,
}

impl PresenceBook {
    /// Whether `user` has a socket on any node.
    pub fn online(&self, user: UserId) -> bool {
        self.local.contains(&user) || self.elsewhere(user)
    }

    /// Whether `user` has a socket on another node.
    pub fn elsewhere(&self, user: UserId) -> bool {
        self.remote.values().any(|r| r.users.contains(&user))
    }

    /// This node's users, for its heartbeat.
    pub fn local_users(&self) -> Vec<UserId> {
        self.local.iter().copied().collect()
    }

    /// This node's first socket of `user` opened, or its last closed: whether their presence
    /// as a whole changed.
    pub fn local(&mut self, user: UserId, online: bool) -> bool {
        let before = self.online(user);
        if online {
            self.local.insert(user);
        } else {
            self.local.remove(&user);
        }
        before != self.online(user)
    }

    /// `node` says `user` opened their first socket there (or closed their last). Returns
    /// the change, if any, and whether `node` was unknown (it should hear this node's list).
    pub fn changed(
        &mut self,
        node: u64,
        user: UserId,
        online: bool,
        now: Instant,
    ) -> (Option<Change>, bool) {
        let before = self.online(user);
        let known = self.remote.contains_key(&node);
        let remote = self.remote.entry(node).or_insert_with(|| Remote {
            heard: now,
            users: HashSet::new(),
        });
        remote.heard = now;
        if online {
            remote.users.insert(user);
        } else {
            remote.users.remove(&user);
        }
        let after = self.online(user);
        ((before != after).then_some((user, after)), !known)
    }

    /// `node`'s whole list. Returns the changes and whether `node` was unknown.
    pub fn listed(&mut self, node: u64, users: Vec<UserId>, now: Instant) -> (Vec<Change>, bool) {
        let known = self.remote.contains_key(&node);
        let users: HashSet<UserId> = users.into_iter().collect();
        let touched: Vec<UserId> = match self.remote.get(&node) {
            Some(old) => old.users.symmetric_difference(&users).copied().collect(),
            None => users.iter().copied().collect(),
        };
        let before: Vec<bool> = touched.iter().map(|u| self.online(*u)).collect();
        self.remote.insert(node, Remote { heard: now, users });
        (self.changes(&touched, &before), !known)
    }

    /// `node` is gone (it said so, or was silent too long): its users leave with it.
    pub fn forget(&mut self, node: u64) -> Vec<Change> {
        let Some(gone) = self.remote.remove(&node) else {
            return Vec::new();
        };
        let touched: Vec<UserId> = gone.users.into_iter().collect();
        let before = vec![true; touched.len()];
        self.changes(&touched, &before)
    }

    /// Forgets every node silent for [`NODE_EXPIRES`] at `now`. Returns the changes and the
    /// nodes forgotten.
    pub fn expire(&mut self, now: Instant) -> (Vec<Change>, Vec<u64>) {
        let dead: Vec<u64> = self
            .remote
            .iter()
            .filter(|(_, r)| now.saturating_duration_since(r.heard) >= NODE_EXPIRES)
            .map(|(node, _)| *node)
            .collect();
        let changes = dead.iter().flat_map(|node| self.forget(*node)).collect();
        (changes, dead)
    }

    fn changes(&self, touched: &[UserId], before: &[bool]) -> Vec<Change> {
        touched
            .iter()
            .zip(before)
            .filter_map(|(user, before)| {
                let after = self.online(*user);
                (after != *before).then_some((*user, after))
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "presence_tests.rs"]
mod tests;
