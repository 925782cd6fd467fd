//! Palaver's chat core.
//!
//! Everything here is shared by the browser and the server: validated domain types, the
//! WebSocket protocol and the views the UI renders. Behind the `server` feature live the parts
//! only the server runs: the store (sqlx), authentication (argon2 + JWT) and the message hub.
//!
//! Data flows one way: app (server functions) or server (/ws) -> core -> store/hub. The core
//! never imports the app or the server crate.

pub mod device;
pub mod error;
pub mod files;
pub mod ids;
pub mod markup;
pub mod mentions;
pub mod model;
pub mod navigation;
pub mod permissions;
pub mod profiles;
pub mod protocol;
pub mod reactions;
pub mod search;
pub mod text;
pub mod time;
pub mod validate;

#[cfg(feature = "server")]
pub mod server;

pub use error::CoreError;
pub use ids::{ConversationId, InviteId, Seq, SessionId, UserId};
pub use time::Timestamp;
pub use validate::{
    ConversationTitle, InviteCode, MessageBody, Password, Username, ValidationError,
};
