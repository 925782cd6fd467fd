//! The store contract: every behaviour of [`Store`] the app and the gateway rely on, written
//! once as `async fn behaviour(store: Arc<dyn Store>)` and run against every backend, each
//! (behaviour, backend) pair its own test (`sqlite::sessions_expire`, ...). A new backend
//! passes this suite before the app may use it.
//!
//! Timestamps are fixed (around [`fixtures::T0`]), never the clock: expiry is decided by the
//! `now` the test passes, as the store's callers do.

mod support;

#[path = "store_contract/accounts.rs"]
mod accounts;
#[path = "store_contract/admin.rs"]
mod admin;
#[path = "store_contract/admin_conversations.rs"]
mod admin_conversations;
#[path = "store_contract/append_message.rs"]
mod append_message;
#[path = "store_contract/attachments.rs"]
mod attachments;
#[path = "store_contract/attention.rs"]
mod attention;
#[path = "store_contract/audit.rs"]
mod audit;
#[path = "store_contract/batches.rs"]
mod batches;
#[path = "store_contract/direct.rs"]
mod direct;
#[path = "store_contract/events.rs"]
mod events;
#[path = "store_contract/fixtures.rs"]
mod fixtures;
#[path = "store_contract/invites.rs"]
mod invites;
#[path = "store_contract/lifecycle.rs"]
mod lifecycle;
#[path = "store_contract/locks.rs"]
mod locks;
#[path = "store_contract/outages.rs"]
mod outages;
#[path = "store_contract/profiles.rs"]
mod profiles;
#[path = "store_contract/reactions.rs"]
mod reactions;
#[path = "store_contract/rooms.rs"]
mod rooms;
#[path = "store_contract/search.rs"]
mod search;
#[path = "store_contract/side_nav.rs"]
mod side_nav;
#[path = "store_contract/stats.rs"]
mod stats;
#[path = "store_contract/throttle.rs"]
mod throttle;

use palaver::server::{Store, StoreError};
use std::sync::Arc;
use support::PgDatabase;

#[derive(Debug, Clone, Copy)]
// Postgres is built only once the macro invocation below lists it.
#[allow(dead_code)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Keeps the backend's storage alive for the test and removes it afterwards.
struct Guard {
    _dir: Option<tempfile::TempDir>,
    _database: Option<PgDatabase>,
}

/// A fresh, migrated, empty store of the backend.
async fn open(backend: Backend) -> (Arc<dyn Store>, Guard) {
    let (url, guard) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("x.db").display());
            let guard = Guard {
                _dir: Some(dir),
                _database: None,
            };
            (url, guard)
        }
        Backend::Postgres => {
            let database = PgDatabase::create("palaver_contract_").await;
            let guard = Guard {
                _dir: None,
                _database: Some(database),
            };
            (
                guard
                    ._database
                    .as_ref()
                    .map(|d| d.url.clone())
                    .unwrap_or_default(),
                guard,
            )
        }
    };
    let store = connect_store(&url)
        .await
        .unwrap_or_else(|e| panic!("{backend:?} store at {url}: {e}"));
    (store, guard)
}

/// Stands in for `palaver::server::store::connect` until it exists: the backend is chosen by
/// the URL's scheme.
async fn connect_store(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    palaver::server::store::connect(url, palaver::server::store::DEFAULT_POOL_SIZE).await
}

/// `contract! { backends [module => Backend, ...] cases [file::behaviour, ...] }` makes one
/// `#[tokio::test]` per backend and behaviour, named `module::behaviour`.
macro_rules! contract {
    (backends [$($module:ident => $backend:ident),+ $(,)?] cases $cases:tt) => {
        $( contract!(@backend $module $backend $cases); )+
    };
    (@backend $module:ident $backend:ident [$($file:ident :: $case:ident),+ $(,)?]) => {
        mod $module {
            $(
                // Two workers: concurrent writers really run at once, as on the server.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let (store, _guard) = super::open(super::Backend::$backend).await;
                    super::$file::$case(store).await;
                }
            )+
        }
    };
}

contract! {
    backends [sqlite => Sqlite, postgres => Postgres]
    cases [
        accounts::sign_up_refuses_a_taken_username_whatever_its_case,
        accounts::sign_up_refuses_a_look_alike_of_an_existing_name,
        accounts::password_hashes_are_read_and_replaced_by_user_id,
        accounts::a_session_is_found_by_its_token_hash_until_it_expires,
        accounts::a_revoked_session_is_invisible,
        accounts::an_opening_socket_reads_its_memberships_only_under_a_live_session_of_its_user,
        accounts::revoking_the_other_sessions_keeps_the_current_one,
        events::seqs_have_no_gaps_under_eight_concurrent_writers,
        events::a_retried_client_id_returns_the_stored_event_without_taking_a_seq,
        batches::a_refused_or_retried_event_does_not_undo_the_others_written_with_it,
        batches::a_batch_of_plain_messages_keeps_every_rule_of_single_appends,
        events::only_the_author_edits_a_message,
        events::the_author_or_a_moderator_deletes_and_deleted_stays_deleted,
        events::a_removed_member_can_no_longer_append,
        events::appending_to_a_deleted_conversation_is_not_found,
        events::history_pages_cover_every_visible_event_once_in_order,
        events::messages_after_pages_through_every_event_kind,
        side_nav::the_side_nav_lists_conversations_newest_activity_first_with_a_preview,
        side_nav::unread_counts_others_messages_after_the_read_position_up_to_the_cap,
        side_nav::mark_read_moves_forward_only_and_never_past_the_last_seq,
        invites::an_invite_is_live_until_revoked_expired_or_used_up,
        invites::joining_with_an_invite_consumes_a_use_and_honours_max_uses,
        invites::a_join_at_the_member_cap_is_full_and_writes_nothing,
        invites::joining_again_answers_already_member_without_using_the_invite,
        invites::a_banned_member_cannot_rejoin_until_the_ban_is_lifted,
        invites::a_public_room_is_joined_without_an_invite_only_while_public,
        invites::joining_and_leaving_write_their_events_with_the_membership,
        rooms::set_role_changes_members_but_never_to_or_from_owner,
        rooms::ownership_moves_to_a_member_and_the_old_owner_becomes_admin,
        rooms::members_are_listed_owner_first_then_admins_then_by_name,
        rooms::audit_entries_page_newest_first_with_action_and_actor_filters,
        rooms::deleting_a_conversation_returns_its_members_and_leaves_nothing_behind,
        rooms::conversation_ids_are_never_reused,
        rooms::create_conversation_once_creates_only_once_per_flag,
        attention::members_are_found_by_name_key_and_only_in_their_conversation,
        attention::a_message_keeps_its_mentions_through_edits_and_loses_them_when_deleted,
        attention::the_notify_level_is_the_members_choice_or_the_default_for_the_rooms_size,
        reactions::a_reply_quotes_the_message_it_answers_as_it_reads_now,
        reactions::reactions_aggregate_per_emoji_and_follow_their_events,
        reactions::reactions_are_refused_on_deleted_or_missing_messages_and_past_the_limit,
        direct::a_pair_gets_one_direct_conversation_however_many_open_it_at_once,
        direct::a_direct_conversation_needs_a_shared_conversation_and_two_people,
        direct::a_new_direct_conversation_appears_for_the_other_person_with_its_first_message,
        direct::closing_a_direct_conversation_hides_it_until_the_next_message,
        search::search_finds_messages_with_every_term_in_any_case_and_script_newest_first,
        search::only_messages_are_found_never_joins_leaves_or_edit_events,
        search::search_covers_only_live_conversations_the_user_is_a_member_of_now,
        search::edits_and_deletions_change_what_is_found_at_once,
        search::search_pages_newest_first_through_a_bounded_scan_without_gaps_or_repeats,
        search::a_direct_conversation_is_found_under_the_other_persons_name,
        attachments::a_message_carries_its_senders_pending_uploads_once_and_every_read_shows_them,
        attachments::deleting_a_message_or_conversation_or_expiring_an_upload_queues_the_bytes,
        profiles::a_profile_is_set_read_and_listed_with_the_members,
        profiles::replacing_or_removing_an_avatar_queues_the_old_picture,
        admin::the_first_account_is_the_admin_and_the_last_admin_stays,
        admin::two_admins_demoting_each_other_at_once_leave_one,
        admin::disabling_ends_every_session_and_kills_the_accounts_invites,
        admin::the_account_list_pages_by_name_with_search_and_rollups,
        admin::a_reset_link_works_once_until_it_expires_or_is_replaced,
        audit::the_instance_audit_log_pages_every_entry_with_filters_and_names_conversations,
        stats::the_dashboard_counts_from_rollups_what_each_figure_says,
        admin_conversations::the_admin_list_pages_live_conversations_by_activity_with_owner_state,
        lifecycle::deleting_an_account_leaves_a_tombstone_that_keeps_its_messages,
        lifecycle::the_last_admin_stays_and_an_erasure_lists_every_live_message,
        lifecycle::an_owners_successor_is_the_longest_standing_admin_then_member,
        lifecycle::pruning_deletes_the_oldest_expired_events_in_batches_and_keeps_seqs,
        lifecycle::retention_covers_every_live_conversation_and_is_the_owners_to_set,
        throttle::five_counted_failures_fill_a_key_until_the_oldest_leaves_the_window,
        throttle::places_given_back_free_up_and_held_ones_stop_holding_after_a_while,
        throttle::fifty_checks_at_once_take_exactly_the_allowance,
    ]
}
