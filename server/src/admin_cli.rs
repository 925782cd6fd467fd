//! `palaver admin ...`: administration from the command line, on the database the flags
//! name, with or without a server running on it. The rescue for an instance with no enabled
//! administrator (issue 14).

use crate::config::{AdminCommand, Config};
use std::process::ExitCode;

/// Runs one admin command and says what it did on standard output (errors on standard
/// error). Exit status 0 when done, 1 when refused or failed.
pub async fn run(config: &Config, command: &AdminCommand) -> ExitCode {
    let store = match palaver::server::store::open(
        &config.database_url(),
        config.db_pool_size.min(2),
        config.durability,
    )
    .await
    {
        Ok(store) => store,
        Err(e) => {
            eprintln!("palaver admin: cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    match command {
        AdminCommand::Grant { username } => {
            match palaver::server::grant_admin(store.as_ref(), username).await {
                Ok(true) => {
                    println!("{username} is now an administrator (and enabled).");
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    println!("{username} already was an enabled administrator.");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("palaver admin grant: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
