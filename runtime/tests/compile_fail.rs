//! Invalid pipelines are compile errors at the offending call. Each case in `ui/` has the
//! exact error rustc prints next to it (`*.stderr`).

#[test]
fn invalid_pipelines_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
