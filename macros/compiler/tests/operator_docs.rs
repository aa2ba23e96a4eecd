//! The `rill::operators` page lists every operator of the compiler's catalog, generated from
//! the operator specs: this test fails when the page and the catalog disagree (an operator
//! added, removed, or its signature changed). `RILL_BLESS=1` writes the listing.

const START: &str = "<!-- generated from the compiler's operator specs";
const END: &str = "<!-- end of the generated listing -->";

#[test]
fn the_operators_page_lists_the_compilers_catalog() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime/docs/operators.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let start = page.find(START).expect("the page's start marker");
    let start = start + page[start..].find('\n').expect("a line ends the marker") + 1;
    let end = page.find(END).expect("the page's end marker");
    let want = rill_compiler::ops::listing();
    if std::env::var_os("RILL_BLESS").is_some() {
        std::fs::write(&path, format!("{}{}{}", &page[..start], want, &page[end..])).unwrap();
        return;
    }
    assert!(
        page[start..end] == want,
        "{} does not list the compiler's operators as they are; run RILL_BLESS=1 cargo test -p rill-compiler \
         --test operator_docs and review the change:\n{want}",
        path.display()
    );
    // Every method of the catalog is there.
    for spec in rill_compiler::ops::CATALOG {
        assert!(page.contains(&format!("- `{}`: ", spec.method())), "{}", spec.method());
    }
}
