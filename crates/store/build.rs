// `sqlx::migrate!` embeds the migration files at compile time but cannot tell Cargo to watch
// them on stable Rust: without this, adding or renaming a migration leaves an incremental
// build running the old list.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
