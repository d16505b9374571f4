//! `sqlx::migrate!` embeds `../migrations/{sqlite,postgres}` at compile time, but cargo does not
//! know the macro read them: this tells it to rebuild when a migration changes or is added.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
