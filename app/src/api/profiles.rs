//! Your profile: display name, time zone, avatar (see [`palaver::profiles`] for the rules).
//! Uploading an avatar is a plain HTTP route, `POST /api/profile/avatar` (the raw picture as
//! the body), answered with the new [`Profile`].

use crate::error::AppError;
use leptos::prelude::*;
use palaver::model::{MyProfile, Profile};

#[cfg(feature = "ssr")]
use super::ssr;

/// Your account and profile. 401 when signed out.
#[server(prefix = "/api", endpoint = "profile")]
pub async fn get_profile() -> Result<MyProfile, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    ssr::no_store();
    state.chat.my_profile(&who.user).await.map_err(ssr::fail)
}

/// Sets your display name (at most 64 characters; empty: none, your username is shown) and
/// time zone (an IANA name such as `Europe/Paris`; empty: not shown). 422 with the reason
/// for a name with control characters or nothing visible, or an unknown time zone.
#[server(prefix = "/api", endpoint = "update_profile")]
pub async fn update_profile(display_name: String, time_zone: String) -> Result<Profile, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state
        .chat
        .update_profile(&who.user, &display_name, &time_zone)
        .await
        .map_err(ssr::fail)
}

/// Removes your avatar: your initials are shown again.
#[server(prefix = "/api", endpoint = "remove_avatar")]
pub async fn remove_avatar() -> Result<Profile, AppError> {
    let state = ssr::state()?;
    let who = ssr::require_session().await?;
    state.chat.remove_avatar(&who.user).await.map_err(ssr::fail)
}
