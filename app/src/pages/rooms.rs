//! The public room directory: every conversation its owner listed, with a one-click join.

use crate::api::{public_rooms, JoinRoom};
use crate::components::{action_error, Alert};
use crate::time::{short, use_tz_offset};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use palaver::model::PublicRoom;

#[component]
pub fn RoomsPage() -> impl IntoView {
    let rooms = Resource::new(|| (), |_| public_rooms());
    view! {
        <Title text="Browse rooms" />
        <div class="page">
            <header class="page-head">
                <h1>"Browse rooms"</h1>
                <p class="hint">"Public rooms anyone here can join. Owners list a conversation in its settings."</p>
            </header>
            <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading rooms…"</p> }>
                {move || Suspend::new(async move {
                    match rooms.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No public rooms yet."</p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <ul class="rooms" aria-label="Public rooms">
                                {list.into_iter().map(|room| view! { <RoomCard room /> }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn RoomCard(room: PublicRoom) -> impl IntoView {
    let offset = use_tz_offset();
    let now = crate::live::now_ms();
    let join = ServerAction::<JoinRoom>::new();
    let error = action_error(join.value());
    let members = format!(
        "{} {}",
        room.member_count,
        if room.member_count == 1 {
            "member"
        } else {
            "members"
        }
    );
    let active = room.last_activity_at;
    let title = room.title.clone();
    let action = if room.joined {
        view! {
            <A href=format!("/c/{}", room.id) attr:class="button" attr:aria-label=format!("Open {title}")>
                "Open"
            </A>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=join>
                <input type="hidden" name="id" value=room.id.0 />
                <button type="submit" class="primary" aria-label=format!("Join {title}") disabled=move || join.pending().get()>
                    "Join"
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <li class="room">
            <span class="avatar public" aria-hidden="true">"#"</span>
            <div class="text">
                <h2>{room.title.clone()}</h2>
                <p class="meta">
                    <span class="count">{members}</span>
                    " · active "
                    <span>{move || short(active, now, offset)}</span>
                    {room.joined.then(|| view! { <span class="tag">"Joined"</span> })}
                </p>
                <Alert message=error />
            </div>
            {action}
        </li>
    }
}
