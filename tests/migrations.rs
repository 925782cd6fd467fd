//! migrations/sqlite and migrations/postgres must describe the same schema: the same
//! versions, tables, columns, named indexes and foreign keys, with types that differ only by
//! dialect. Both stores read rows by column name and map unique violations by index name, so
//! a column or index present in one directory only is a bug in the other store.
//!
//! Needs PostgreSQL: PALAVER_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).

mod support;

use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use std::collections::BTreeSet;
use std::path::Path;
use support::PgDatabase;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Columns SQLite stores as INTEGER 0/1 and PostgreSQL as BOOLEAN.
const BOOLEANS: &[(&str, &str)] = &[
    ("conversations", "public"),
    ("attachments", "thumbnail"),
    ("file_removals", "thumbnail"),
    ("users", "is_admin"),
    ("users", "erasing"),
    ("throttle_places", "counted"),
];

/// The text index of message search is each dialect's own (migrations 0008 and 0018):
/// SQLite's FTS5 index lives in a file of its own, kept from the log of changes
/// `search_log` that triggers fill (`store::search_index`); PostgreSQL's is a pg_trgm GIN
/// index on the messages. Neither has a counterpart.
const SQLITE_SEARCH_INDEX: &str = "search_log";
const POSTGRES_SEARCH_INDEX: &str = "messages_body_trgm";

/// (table, column, type, not null) with the type in words both dialects map to.
type Column = (String, String, &'static str, bool);

fn file_names(dir: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn versions(migrator: &Migrator) -> Vec<(i64, String)> {
    migrator
        .iter()
        .map(|m| (m.version, m.description.to_string()))
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_files() {
    assert_eq!(
        file_names("migrations/sqlite"),
        file_names("migrations/postgres")
    );
    assert_eq!(versions(&SQLITE), versions(&POSTGRES));
    assert!(!versions(&SQLITE).is_empty(), "no migrations embedded");
}

/// Both schemas migrated from scratch; the guards keep them alive for the test.
struct Schemas {
    sqlite: SqliteConnection,
    postgres: PgConnection,
    _dir: tempfile::TempDir,
    _database: PgDatabase,
}

async fn migrated() -> Schemas {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sqlite = SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(dir.path().join("schema.db"))
            .create_if_missing(true)
            .foreign_keys(true),
    )
    .await
    .expect("open SQLite");
    SQLITE
        .run(&mut sqlite)
        .await
        .expect("SQLite migrations run");
    let database = PgDatabase::create("palaver_migrations_").await;
    let mut postgres = PgConnection::connect(&database.url)
        .await
        .expect("connect to the test database");
    POSTGRES
        .run(&mut postgres)
        .await
        .expect("PostgreSQL migrations run");
    Schemas {
        sqlite,
        postgres,
        _dir: dir,
        _database: database,
    }
}

async fn sqlite_columns(conn: &mut SqliteConnection) -> BTreeSet<Column> {
    let rows = sqlx::query(
        "SELECT m.name AS tbl, p.name AS col, upper(p.type) AS ty, p.\"notnull\" AS nn, p.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
           AND m.name <> $1 AND m.name NOT LIKE $1 || '\\_%' ESCAPE '\\'",
    )
    .bind(SQLITE_SEARCH_INDEX)
    .fetch_all(conn)
    .await
    .expect("SQLite columns");
    rows.iter()
        .map(|r| {
            let (table, column): (String, String) = (r.get("tbl"), r.get("col"));
            let ty = match r.get::<String, _>("ty").as_str() {
                "INTEGER" if BOOLEANS.contains(&(table.as_str(), column.as_str())) => "boolean",
                "INTEGER" => "integer",
                "TEXT" => "text",
                "BLOB" => "bytes",
                other => panic!("{table}.{column}: SQLite type {other} has no mapping here"),
            };
            // SQLite lets a non-INTEGER primary key of a rowid table hold NULL (a
            // compatibility quirk); the schema means NOT NULL, as PostgreSQL enforces.
            let not_null = r.get::<bool, _>("nn") || r.get::<i64, _>("pk") > 0;
            (table, column, ty, not_null)
        })
        .collect()
}

async fn postgres_columns(conn: &mut PgConnection) -> BTreeSet<Column> {
    let rows = sqlx::query(
        "SELECT table_name::text AS tbl, column_name::text AS col, data_type::text AS ty, \
                is_nullable::text AS nullable \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(conn)
    .await
    .expect("PostgreSQL columns");
    rows.iter()
        .map(|r| {
            let (table, column): (String, String) = (r.get("tbl"), r.get("col"));
            let ty = match r.get::<String, _>("ty").as_str() {
                // Every integer is BIGINT: the stores read them all as i64.
                "bigint" => "integer",
                "boolean" => "boolean",
                "text" => "text",
                "bytea" => "bytes",
                other => panic!("{table}.{column}: PostgreSQL type {other} has no mapping here"),
            };
            let not_null = r.get::<String, _>("nullable") == "NO";
            (table, column, ty, not_null)
        })
        .collect()
}

#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    let mut s = migrated().await;
    let names = |columns: BTreeSet<Column>| -> BTreeSet<(String, String)> {
        columns.into_iter().map(|(t, c, _, _)| (t, c)).collect()
    };
    let sqlite = names(sqlite_columns(&mut s.sqlite).await);
    let postgres = names(postgres_columns(&mut s.postgres).await);
    assert!(sqlite.contains(&("users".into(), "username_skeleton".into())));
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn both_schemas_agree_on_types_and_nullability() {
    let mut s = migrated().await;
    let sqlite = sqlite_columns(&mut s.sqlite).await;
    let postgres = postgres_columns(&mut s.postgres).await;
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn each_schema_has_its_search_text_index() {
    let mut s = migrated().await;
    let log: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = $1")
        .bind(SQLITE_SEARCH_INDEX)
        .fetch_one(&mut s.sqlite)
        .await
        .expect("the log the FTS5 index file is kept from");
    assert!(log.contains("AUTOINCREMENT"), "{log}");
    let triggers: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%search_log%' \
         ORDER BY name",
    )
    .fetch_all(&mut s.sqlite)
    .await
    .expect("triggers");
    assert_eq!(
        triggers,
        [
            "messages_search_delete",
            "messages_search_insert",
            "messages_search_update"
        ]
    );
    let trgm: String = sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = $1")
        .bind(POSTGRES_SEARCH_INDEX)
        .fetch_one(&mut s.postgres)
        .await
        .expect("the trigram index (pg_trgm is installed on the test server)");
    assert!(trgm.contains("gin_trgm_ops"), "{trgm}");
}

#[tokio::test]
async fn both_schemas_have_the_same_named_indexes() {
    let mut s = migrated().await;
    // (table, index, unique). Indexes SQLite makes for a primary key have no SQL and
    // PostgreSQL's are named <table>_pkey: neither is ours to name, so both are left out.
    let sqlite: BTreeSet<(String, String, bool)> = sqlx::query(
        "SELECT tbl_name AS tbl, name, sql LIKE 'CREATE UNIQUE INDEX%' AS uniq \
         FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .fetch_all(&mut s.sqlite)
    .await
    .expect("SQLite indexes")
    .iter()
    .map(|r| (r.get("tbl"), r.get("name"), r.get("uniq")))
    .collect();
    let postgres: BTreeSet<(String, String, bool)> = sqlx::query(
        "SELECT t.relname::text AS tbl, i.relname::text AS name, x.indisunique AS uniq \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT x.indisprimary AND t.relname <> '_sqlx_migrations' \
           AND i.relname <> $1",
    )
    .bind(POSTGRES_SEARCH_INDEX)
    .fetch_all(&mut s.postgres)
    .await
    .expect("PostgreSQL indexes")
    .iter()
    .map(|r| (r.get("tbl"), r.get("name"), r.get("uniq")))
    .collect();
    assert!(sqlite.contains(&("users".into(), "users_username_key".into(), true)));
    assert!(sqlite.contains(&("messages".into(), "messages_search".into(), true)));
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn both_schemas_have_the_same_foreign_keys() {
    let mut s = migrated().await;
    // (table, column, referenced table, referenced column, ON DELETE)
    type ForeignKey = (String, String, String, String, String);
    let sqlite: BTreeSet<ForeignKey> = sqlx::query(
        "SELECT m.name AS tbl, f.\"from\" AS col, f.\"table\" AS ref_tbl, f.\"to\" AS ref_col, \
                f.on_delete AS on_delete \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
    )
    .fetch_all(&mut s.sqlite)
    .await
    .expect("SQLite foreign keys")
    .iter()
    .map(|r| {
        let row = |c: &str| r.get::<String, _>(c);
        (
            row("tbl"),
            row("col"),
            row("ref_tbl"),
            row("ref_col"),
            row("on_delete"),
        )
    })
    .collect();
    // Every foreign key here has one column, so conkey[1] and confkey[1] are the whole key
    // (a composite one would show fewer columns here than in SQLite, and fail the test).
    let postgres: BTreeSet<ForeignKey> = sqlx::query(
        "SELECT t.relname::text AS tbl, a.attname::text AS col, rt.relname::text AS ref_tbl, \
                ra.attname::text AS ref_col, rc.delete_rule::text AS on_delete \
         FROM pg_constraint c \
         JOIN pg_namespace n ON n.oid = c.connamespace \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_class rt ON rt.oid = c.confrelid \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
         JOIN information_schema.referential_constraints rc \
           ON rc.constraint_schema = n.nspname AND rc.constraint_name = c.conname \
         WHERE c.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_all(&mut s.postgres)
    .await
    .expect("PostgreSQL foreign keys")
    .iter()
    .map(|r| {
        let row = |c: &str| r.get::<String, _>(c);
        (
            row("tbl"),
            row("col"),
            row("ref_tbl"),
            row("ref_col"),
            row("on_delete"),
        )
    })
    .collect();
    assert!(sqlite.contains(&(
        "bans".into(),
        "banned_by".into(),
        "users".into(),
        "id".into(),
        "SET NULL".into()
    )));
    assert_eq!(sqlite, postgres);
}
