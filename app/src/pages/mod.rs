mod auth;
mod conversation;
mod invite;
mod not_found;
mod shell;

pub use auth::{LoginPage, SignupPage};
pub use conversation::ConversationPage;
pub use invite::InvitePage;
pub use not_found::NotFound;
pub use shell::{ChatShell, Welcome};
