//! Profiles: reading and changing your own (display name, time zone, avatar) and serving
//! avatars. A change reaches every conversation you are in as a `profile` frame.

use super::*;
use crate::files::AttachmentId;
use crate::model::{MyProfile, Profile};
use crate::profiles::{parse_display_name, parse_time_zone};
use crate::server::files::{thumbnail, Blob};
use tokio::io::AsyncRead;

impl Chat {
    /// The caller's account and profile.
    pub async fn my_profile(&self, who: &UserView) -> Result<MyProfile, CoreError> {
        let profile = self
            .store
            .profile(who.id)
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        Ok(MyProfile {
            user: who.clone(),
            profile,
        })
    }

    /// Sets the caller's display name and time zone (empty clears either). Errors: the
    /// `DisplayName*` and `TimeZoneUnknown` validation errors, `RateLimited`.
    pub async fn update_profile(
        &self,
        who: &UserView,
        display_name: &str,
        time_zone: &str,
    ) -> Result<Profile, CoreError> {
        let display_name = parse_display_name(display_name)?;
        let time_zone = parse_time_zone(time_zone)?;
        self.limits.action(who.id)?;
        found(
            self.store
                .set_profile(who.id, &display_name, &time_zone)
                .await,
            "Account",
        )?;
        self.profile_changed(who).await
    }

    /// Makes the picture in `body` the caller's avatar: the centred square, 256 x 256. The
    /// old one's bytes are deleted. Errors: `AvatarNotImage`, `ImageTooLarge`, those of an
    /// upload's size (`--max-upload-mb`), `RateLimited`, `Busy`.
    pub async fn set_avatar(
        &self,
        who: &UserView,
        declared_len: Option<u64>,
        body: &mut (dyn AsyncRead + Unpin + Send),
    ) -> Result<Profile, CoreError> {
        const NAME: &str = "The picture";
        self.limits.upload(who.id)?;
        self.check_declared_size(NAME, declared_len)?;
        let (staged, _) = self.receive(NAME, declared_len, body).await?;
        let path = staged.path().to_owned();
        let bytes = match self.decode(move || thumbnail::avatar(&path)).await? {
            Ok(bytes) => bytes,
            Err(thumbnail::InspectError::TooLarge(width, height)) => {
                return Err(ValidationError::ImageTooLarge {
                    name: NAME.to_owned(),
                    width,
                    height,
                }
                .into())
            }
            Err(thumbnail::InspectError::NotImage) => {
                return Err(ValidationError::AvatarNotImage.into())
            }
            Err(e) => return Err(CoreError::internal(e)),
        };
        drop(staged);
        let id = AttachmentId::parse(&auth::random_token(16))
            .ok_or_else(|| CoreError::internal("a random token of 16 bytes is not an id"))?;
        self.files
            .put_bytes(id.as_str(), &bytes)
            .await
            .map_err(CoreError::internal)?;
        if let Err(e) = self.store.set_avatar(who.id, Some(&id)).await {
            let _ = self.files.remove(id.as_str()).await;
            return Err(e.into());
        }
        self.files_changed.notify_one();
        self.profile_changed(who).await
    }

    /// Removes the caller's avatar (initials are shown again).
    pub async fn remove_avatar(&self, who: &UserView) -> Result<Profile, CoreError> {
        self.limits.action(who.id)?;
        found(self.store.set_avatar(who.id, None).await, "Account")?;
        self.files_changed.notify_one();
        self.profile_changed(who).await
    }

    /// An avatar's picture, for any signed-in user while it is someone's avatar
    /// (`NotFound("Avatar")` once replaced or removed).
    pub async fn avatar(&self, id: &AttachmentId) -> Result<Blob, CoreError> {
        let gone = || CoreError::NotFound("Avatar");
        if !self.store.avatar_exists(id).await? {
            return Err(gone());
        }
        self.files
            .get(id.as_str())
            .await
            .map_err(CoreError::internal)?
            .ok_or_else(gone)
    }

    /// Tells every conversation the caller is in about their profile as it is now.
    async fn profile_changed(&self, who: &UserView) -> Result<Profile, CoreError> {
        let profile = self
            .store
            .profile(who.id)
            .await?
            .ok_or(CoreError::NotFound("Account"))?;
        for conversation_id in self.store.conversation_ids_for(who.id).await? {
            self.publish(
                Topic::Conversation(conversation_id),
                &ServerFrame::Profile {
                    conversation_id,
                    user_id: who.id,
                    profile: profile.clone(),
                },
            );
        }
        Ok(profile)
    }
}
