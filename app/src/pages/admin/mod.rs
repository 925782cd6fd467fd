//! The administration pages: /admin (the dashboard), /admin/users (accounts),
//! /admin/conversations and /admin/audit (the instance's audit log). The server checks every admin call; a non-admin who opens a page is told it is not
//! for them.

mod audit;
mod conversations;
mod dashboard;
mod delete_account;
mod users;

pub use audit::AdminAuditPage;
pub use conversations::AdminConversationsPage;
pub use dashboard::AdminDashboardPage;
pub use users::AdminUsersPage;

use crate::api::am_admin;
use crate::components::Alert;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use palaver::model::ADMIN_SEARCH_MAX_CHARS;

/// An admin page's title, heading, links to the other admin pages and, for admins only, its
/// content.
#[component]
fn AdminFrame(title: &'static str, hint: &'static str, children: ChildrenFn) -> impl IntoView {
    let allowed = Resource::new(|| (), |_| am_admin());
    let children = StoredValue::new(children);
    view! {
        <Title text=format!("{title} · Administration") />
        <div class="page admin">
            <header class="page-head">
                <h1>{title}</h1>
                <p class="hint">{hint}</p>
                // The router's links mark the page shown with aria-current="page".
                <nav class="admin-tabs" aria-label="Administration">
                    <A href="/admin" exact=true>"Dashboard"</A>
                    <A href="/admin/users">"Users"</A>
                    <A href="/admin/conversations">"Conversations"</A>
                    <A href="/admin/audit">"Audit log"</A>
                </nav>
            </header>
            <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    if matches!(allowed.await, Ok(true)) {
                        children.with_value(|c| c()).into_any()
                    } else {
                        view! {
                            <p class="empty">"This page is for the administrators of this Palaver."</p>
                        }
                        .into_any()
                    }
                })}
            </Suspense>
        </div>
    }
}

/// An admin list's search box: applies on Enter or with Search, not on every keystroke.
#[component]
fn AdminSearch(
    label: &'static str,
    id: &'static str,
    placeholder: &'static str,
    query: RwSignal<String>,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(el) = input.get_untracked() {
            query.set(el.value());
        }
    };
    view! {
        <form class="admin-search" role="search" on:submit=submit>
            <label for=id>{label}</label>
            <input
                node_ref=input
                id=id
                type="search"
                name="q"
                placeholder=placeholder
                maxlength=ADMIN_SEARCH_MAX_CHARS
                autocomplete="off"
                prop:value=move || query.get()
            />
            <button type="submit">"Search"</button>
        </form>
    }
}

/// A list shown a page at a time: `rows` of the first page, `next` where it continues and
/// `fetch` for the page after a cursor. Answers the rows so far (further pages appended) and
/// the "Show more" button, there while a page follows, with the line for its errors.
fn show_more<T, C, Fut>(
    rows: Vec<T>,
    next: Option<C>,
    fetch: impl Fn(C) -> Fut + Send + Sync + 'static,
) -> (RwSignal<Vec<T>>, impl IntoView)
where
    T: Clone + Send + Sync + 'static,
    C: Clone + Send + Sync + 'static,
    Fut:
        std::future::Future<Output = Result<(Vec<T>, Option<C>), crate::AppError>> + Send + 'static,
{
    let rows = RwSignal::new(rows);
    let next = RwSignal::new(next);
    let more = Action::new(move |after: &C| fetch(after.clone()));
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match more.value().get() {
        Some(Ok((page, after))) => {
            rows.update(|r| r.extend(page));
            next.set(after);
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let button = view! {
        <Alert message=Signal::derive(move || error.get()) />
        {move || next.get().map(|after| view! {
            <button class="more" on:click=move |_| { more.dispatch(after.clone()); } disabled=move || more.pending().get()>
                "Show more"
            </button>
        })}
    };
    (rows, button)
}
