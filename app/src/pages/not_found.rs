use crate::components::{http_status, Notice};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    http_status(404);
    view! {
        <Title text="Page not found" />
        <Notice title="Page not found">
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p>
                <a class="button" href="/">
                    "Go to your conversations"
                </a>
            </p>
        </Notice>
    }
}
