// Migrations are embedded by `sqlx::migrate!("../migrations")`; rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
