//! Invite links: preview the conversation, then join with a click. Never on load: a foreign
//! page that navigates a signed-in user here must not make them join (SECURITY 31). A member
//! of the conversation is taken straight to it.

use crate::api::{current_user, get_invite, AcceptInvite};
use crate::components::{action_error, http_status, Alert, Notice};
use crate::error::AppError;
use leptos::either::EitherOf4;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;
use palaver::model::{InvitePreview, UserView};

/// "Invited by alice · 3 members".
fn invited_line(preview: &InvitePreview) -> String {
    let n = preview.member_count;
    format!(
        "Invited by {} · {n} {}",
        preview.invited_by,
        if n == 1 { "member" } else { "members" }
    )
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let data = Resource::new(code, |code| async move {
        let (preview, me) = futures::join!(get_invite(code), current_user());
        Ok::<_, AppError>((preview?, me?))
    });
    view! {
        <Suspense fallback=|| view! { <div class="loading" aria-busy="true">"Opening invite…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((preview, Some(_))) if preview.member => EitherOf4::A(view! {
                        <Title text=preview.title.clone() />
                        <Redirect path=format!("/c/{}", preview.conversation_id) />
                    }),
                    Ok((preview, Some(me))) => EitherOf4::B(view! {
                        <Title text=format!("Join {}", preview.title) />
                        <JoinNow code=code() preview me />
                    }),
                    Ok((preview, None)) => {
                        let next = format!("/invite/{}", code());
                        EitherOf4::C(view! {
                            <Title text=format!("Join {}", preview.title) />
                            <Notice title=format!("Join {}", preview.title)>
                                <p class="subtitle">{invited_line(&preview)}</p>
                                <div class="actions">
                                    <a class="button primary" href=format!("/signup?next={next}")>
                                        "Create an account to join"
                                    </a>
                                    <a class="button" href=format!("/login?next={next}")>
                                        "Sign in to join"
                                    </a>
                                </div>
                            </Notice>
                        })
                    }
                    Err(e) => EitherOf4::D(view! { <InviteError error=e /> }),
                }
            })}
        </Suspense>
    }
}

/// Signed in: the invitation and a button. Joining changes state, so it is a POST made only
/// when the user clicks (never on load, never a side effect of GET). Saying who is signed in
/// lets someone sent here by another site notice that it is not what they meant to do.
#[component]
fn JoinNow(code: String, preview: InvitePreview, me: UserView) -> impl IntoView {
    let action = ServerAction::<AcceptInvite>::new();
    let error = action_error(action.value());
    let pending = action.pending();
    view! {
        <Notice title=format!("Join {}", preview.title)>
            <p class="subtitle">{invited_line(&preview)}</p>
            <ActionForm action>
                <input type="hidden" name="code" value=code />
                <Alert message=error />
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Joining…" } else { "Join conversation" }}
                </button>
            </ActionForm>
            <p class="switch">
                {format!("Signed in as {}. ", me.username)}
                <a href="/">"Not now"</a>
            </p>
        </Notice>
    }
}

/// The link does not lead anywhere (unknown, expired, used up, revoked), or the server could
/// not say.
#[component]
fn InviteError(error: AppError) -> impl IntoView {
    match error {
        // The server's message says why a link stops working (expired, used up, revoked)
        // without telling which, so a guessed code learns nothing.
        AppError::NotFound(m) => {
            http_status(404);
            view! {
                <Title text="Invalid invite" />
                <Notice title="This invite link is invalid">
                    <p>{format!("{m} Check that the whole link was copied, or ask for a new one.")}</p>
                    <p><a class="button" href="/">"Go to Palaver"</a></p>
                </Notice>
            }
            .into_any()
        }
        other => {
            http_status(match other {
                AppError::RateLimited { .. } => 429,
                AppError::Busy { .. } => 503,
                _ => 500,
            });
            view! {
                <Title text="Invite unavailable" />
                <Notice title="This invite could not be opened">
                    <p>{other.to_string()}</p>
                    <p><a class="button" href="/">"Go to Palaver"</a></p>
                </Notice>
            }
            .into_any()
        }
    }
}
