//! `rill::ide` (the IDE's view of the operators) is generated from the compiler's
//! operator specs: this test fails when the two disagree. `RILL_BLESS=1` writes the file.

#[test]
fn the_ide_view_has_every_operator_of_the_catalog() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime/src/ide.rs");
    let want = rill_compiler::ops::ide::facade();
    if std::env::var_os("RILL_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what the compiler's operator specs make; run RILL_BLESS=1 cargo test -p rill-compiler --test \
         ide_facade and review the change",
        path.display()
    );
    for spec in rill_compiler::ops::CATALOG {
        assert!(have.contains(&format!("pub fn {}", spec.method())), "{}", spec.method());
    }
}
