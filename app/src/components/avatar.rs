//! A person's avatar: their uploaded picture, or their initials in white on the colour the
//! core derives from their user id ([`palaver::profiles::avatar_colour`]), the same on every
//! screen. The box is a fixed square (24, 32, 40 or 72 CSS pixels) whatever it holds, so
//! nothing moves when a picture loads, changes or goes.
//!
//! The page's CSP allows no inline styles, so the colour is a class, `face-c{i}` for the
//! `i`th of [`AVATAR_COLOURS`], defined in `style/_profiles.scss` (a test below keeps the
//! two lists equal).

use leptos::prelude::*;
use palaver::profiles::{avatar_colour, initials, AVATAR_COLOURS};
use palaver::UserId;

/// The sizes an avatar comes in, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvatarSize {
    /// Mention suggestions.
    S24,
    /// Member lists, the top bar (and message groups on phones).
    S32,
    /// Message groups.
    S40,
    /// The account page's preview.
    S72,
}

impl AvatarSize {
    pub fn px(self) -> u32 {
        match self {
            AvatarSize::S24 => 24,
            AvatarSize::S32 => 32,
            AvatarSize::S40 => 40,
            AvatarSize::S72 => 72,
        }
    }
}

/// The class of `user`'s initials colour: `face-c0` to `face-c11`.
pub fn colour_class(user: UserId) -> String {
    let colour = avatar_colour(user);
    let i = AVATAR_COLOURS
        .iter()
        .position(|c| *c == colour)
        .unwrap_or_default();
    format!("face-c{i}")
}

/// `<span class="face face-32 face-c3">` holding `<img src="/avatars/…" alt="" loading="lazy">`
/// or `<span class="initials" data-initials="AL">`. The stylesheet draws the initials from the
/// attribute: they are a picture of the name, not text, so they stay out of copied text and
/// of the text of whatever holds the avatar (a mention option, a message).
///
/// `name` is what is shown for the person (display name, else username): its initials stand
/// in for a missing picture, and for one that fails to load. With `label` the avatar is an
/// image of that name (nothing else on screen names the person); without it, it is
/// decoration beside a written name and hidden from screen readers.
#[component]
pub fn Avatar(
    user: UserId,
    #[prop(into)] name: Signal<String>,
    /// `Profile::avatar_url()`.
    #[prop(into)]
    url: Signal<Option<String>>,
    size: AvatarSize,
    #[prop(optional, into)] label: Option<String>,
) -> impl IntoView {
    let px = size.px();
    // A picture that failed to load (replaced in the meantime, signed out): initials instead,
    // until the URL changes.
    let failed = RwSignal::new(None::<String>);
    let picture = Memo::new(move |_| {
        url.get()
            .filter(|u| failed.with(|f| f.as_deref() != Some(u.as_str())))
    });
    let decorative = label.is_none();
    let alt = label.clone().unwrap_or_default();
    let content = move || match picture.get() {
        Some(src) => {
            let broken = src.clone();
            view! {
                <img
                    src=src
                    alt=alt.clone()
                    loading="lazy"
                    decoding="async"
                    width=px
                    height=px
                    on:error=move |_| failed.set(Some(broken.clone()))
                />
            }
            .into_any()
        }
        None => {
            let label = label.clone();
            view! {
                <span
                    class="initials"
                    role=label.is_some().then_some("img")
                    aria-label=label
                    data-initials=move || initials(&name.get())
                ></span>
            }
            .into_any()
        }
    };
    view! {
        <span
            class=format!("face face-{px} {}", colour_class(user))
            class:has-picture=move || picture.with(Option::is_some)
            aria-hidden=decorative.then_some("true")
        >
            {content}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stylesheet's `face-c{i}` backgrounds, in order, are the core's colours: white
    /// initials keep the contrast the core checks.
    #[test]
    fn the_stylesheet_has_a_class_for_every_avatar_colour() {
        let scss = include_str!("../../../style/_profiles.scss");
        for (i, colour) in AVATAR_COLOURS.iter().enumerate() {
            let rule = format!(".face-c{i} {{ background: {colour}; }}");
            assert!(scss.contains(&rule), "missing `{rule}`");
        }
        assert!(!scss.contains(&format!(".face-c{} ", AVATAR_COLOURS.len())));
        for user in 1..=40 {
            let class = colour_class(UserId(user));
            let i: usize = class["face-c".len()..].parse().unwrap();
            assert_eq!(AVATAR_COLOURS[i], avatar_colour(UserId(user)));
        }
    }
}
