//! The expanded code of every example job.

use quote::ToTokens;
use std::path::Path;

/// The example's source with each `#[rill::job]` function replaced by what it expands to.
fn expand(source: &str) -> String {
    let mut file = syn::parse_file(source).expect("example parses");
    let mut items = Vec::new();
    for item in file.items.drain(..) {
        match item {
            syn::Item::Fn(mut f) if f.attrs.iter().any(is_job_attr) => {
                let pos = f.attrs.iter().position(is_job_attr).expect("job attribute");
                let attr = f.attrs.remove(pos);
                let args = match attr.meta {
                    syn::Meta::List(l) => l.tokens,
                    _ => proc_macro2::TokenStream::new(),
                };
                let out = rill_compiler::compile(args, f.into_token_stream());
                let expanded: syn::File = syn::parse2(out).expect("expansion parses as items");
                items.extend(expanded.items);
            }
            other => items.push(other),
        }
    }
    file.items = items;
    prettyplease::unparse(&file)
}

fn is_job_attr(a: &syn::Attribute) -> bool {
    let segs: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
    segs == ["rill", "job"] || segs == ["job"]
}

#[test]
fn every_example_expands_to_its_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/src/bin");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    assert!(names.len() >= 3, "examples found: {names:?}");
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        // Tools beside the jobs (metrics_gen) have nothing the compiler expands.
        if !source.contains("#[rill::job") {
            continue;
        }
        let expanded = expand(&source);
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("expanded__{name}"), expanded);
        });
    }
}
