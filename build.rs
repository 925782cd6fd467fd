//! sqlx's `migrate!` embeds the migration files when this crate compiles, but on stable Rust
//! cargo does not know it read them: without this, a changed or added migration would leave
//! a stale set embedded until something else in the crate changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
