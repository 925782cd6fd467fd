mod account;
mod auth;
mod conversation;
mod invite;
mod nav_list;
mod not_found;
mod rooms;
mod search;
mod shell;

pub use account::AccountPage;
pub use auth::{LoginPage, SignupPage};
pub use conversation::ConversationPage;
pub use invite::InvitePage;
pub use not_found::NotFound;
pub use rooms::RoomsPage;
pub use search::SearchPage;
pub use shell::{ChatShell, Welcome};
