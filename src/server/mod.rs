//! Server-only parts of the core: storage, authentication, the message hub, and [`Chat`], the
//! one entry point the app's server functions and the /ws gateway call.

pub mod auth;
pub mod chat;
pub mod export;
pub mod files;
pub mod hashing;
pub mod hub;
pub mod limits;
pub mod metrics;
pub mod store;

pub use store::{postgres, sqlite};

pub use chat::{grant_admin, Chat, ChatConfig, ClientMeta, QueuedSend, SessionUser, SocketSlot};
pub use hub::{Hub, HubEvent, LocalHub, Topic};
pub use store::{Store, StoreError};
