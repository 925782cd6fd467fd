//! Invite links: preview the conversation, then join (at once when signed in).

use crate::api::{current_user, get_invite, AcceptInvite};
use crate::components::{action_error, http_status, Alert, Notice};
use crate::error::AppError;
use leptos::either::EitherOf3;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

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
                    Ok((preview, Some(_me))) => EitherOf3::A(view! {
                        <Title text=format!("Join {}", preview.title) />
                        <JoinNow code=code() title=preview.title.clone() />
                    }),
                    Ok((preview, None)) => {
                        let next = format!("/invite/{}", code());
                        EitherOf3::B(view! {
                            <Title text=format!("Join {}", preview.title) />
                            <Notice title=format!("Join {}", preview.title)>
                                <p class="subtitle">
                                    {format!(
                                        "Invited by {} · {} {}",
                                        preview.invited_by,
                                        preview.member_count,
                                        if preview.member_count == 1 { "member" } else { "members" },
                                    )}
                                </p>
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
                    Err(e) => {
                        http_status(if matches!(e, AppError::NotFound(_)) { 404 } else { 500 });
                        // The server's message says why a link stops working (expired, used
                        // up, revoked) without telling which, so a guessed code learns nothing.
                        let detail = match e {
                            AppError::NotFound(m) => format!("{m} Check that the whole link was copied, or ask for a new one."),
                            other => other.to_string(),
                        };
                        EitherOf3::C(view! {
                            <Title text="Invalid invite" />
                            <Notice title="This invite link is invalid">
                                <p>{detail}</p>
                                <p><a class="button" href="/">"Go to Palaver"</a></p>
                            </Notice>
                        })
                    }
                }
            })}
        </Suspense>
    }
}

/// Signed in: join straight away. Joining changes state, so it is a POST made by the browser
/// app as soon as it starts (never a side effect of GET); the button is the no-JS fallback.
#[component]
fn JoinNow(code: String, title: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvite>::new();
    let error = action_error(action.value());
    let auto_code = code.clone();
    Effect::new(move |ran: Option<()>| {
        if ran.is_none() {
            action.dispatch(AcceptInvite {
                code: auto_code.clone(),
            });
        }
    });
    view! {
        <Notice title=format!("Joining {title}…")>
            <ActionForm action>
                <input type="hidden" name="code" value=code />
                <Alert message=error />
                <button type="submit" class="primary">"Join conversation"</button>
            </ActionForm>
        </Notice>
    }
}
