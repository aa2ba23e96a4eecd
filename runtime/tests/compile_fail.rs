//! Invalid pipelines are compile errors at the offending call. Each case in `ui/` has the
//! exact error rustc prints next to it (`*.stderr`).

#[test]
fn invalid_pipelines_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// Jobs that compile and run: `tests/pass/*.rs` (each a binary whose `main` the macro writes).
#[test]
fn valid_jobs_compile_and_run() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
}
