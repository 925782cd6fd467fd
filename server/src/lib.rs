//! The Palaver host: configuration, the axum router (Leptos pages, server functions, /ws,
//! /healthz, /metrics), middleware and graceful shutdown. `main.rs` only parses flags and calls
//! [`Application::build`]; tests build the same application on port 0.

pub mod admin_cli;
pub mod bus;
pub mod config;
mod exports;
mod files;
mod keys;
mod middleware;
mod observe;
mod proxies;
mod serve;
mod site;
mod startup;
mod ws;

pub use config::Config;
pub use startup::{Application, StartupError};
