//! A PostgreSQL database of a bench's own on `PALAVER_TEST_POSTGRES` (default
//! postgres://postgres@127.0.0.1:5432/postgres), dropped when the bench is done with it.

use sqlx::Connection;

pub struct ScratchPg {
    /// Where the bench connects.
    pub url: String,
    name: String,
    admin: sqlx::PgConnection,
}

impl ScratchPg {
    /// Creates `<prefix>_<pid>`; panics when PostgreSQL does not answer.
    pub async fn create(prefix: &str) -> Self {
        let admin_url = std::env::var("PALAVER_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("{prefix}_{}", std::process::id());
        let mut url = url::Url::parse(&admin_url).expect("PALAVER_TEST_POSTGRES is a URL");
        url.set_path(&name);
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL answers");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("bench database created");
        ScratchPg {
            url: url.to_string(),
            name,
            admin,
        }
    }

    /// Drops the database, closing what is still connected to it.
    pub async fn drop_database(mut self) {
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut self.admin)
            .await
            .expect("bench database dropped");
    }
}
