//! The expanded code of every example job.

use quote::ToTokens;
use std::path::Path;

/// The example's source with each `#[rill::job]` and `#[rill::fragment]` function replaced
/// by what it expands to. A job that calls fragments is compiled as rustc would: each
/// fragment's macro hands its definition to `__expand_job!`, here taken from the file.
fn expand(source: &str) -> String {
    let mut file = syn::parse_file(source).expect("example parses");
    let fragments: Vec<syn::ItemFn> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(f) if f.attrs.iter().any(|a| is_attr(a, "fragment")) => {
                let mut f = f.clone();
                f.attrs.retain(|a| !is_attr(a, "fragment"));
                Some(f)
            }
            _ => None,
        })
        .collect();
    let mut items = Vec::new();
    for item in file.items.drain(..) {
        match item {
            syn::Item::Fn(mut f) if f.attrs.iter().any(|a| is_attr(a, "job")) => {
                let pos = f.attrs.iter().position(|a| is_attr(a, "job")).expect("job attribute");
                let args = attr_args(f.attrs.remove(pos));
                let mut out = rill_compiler::compile(args, f.into_token_stream());
                while let Some((name, state)) = fragment_callback(&out) {
                    let def = fragments.iter().find(|f| f.sig.ident == name).expect("the fragment is in the file");
                    let mut state = state;
                    state.extend(quote::quote!(def = { #def }));
                    out = rill_compiler::expand_job(state);
                }
                let expanded: syn::File = syn::parse2(out).expect("expansion parses as items");
                items.extend(expanded.items);
            }
            syn::Item::Fn(mut f) if f.attrs.iter().any(|a| is_attr(a, "fragment")) => {
                let pos = f.attrs.iter().position(|a| is_attr(a, "fragment")).expect("fragment attribute");
                let args = attr_args(f.attrs.remove(pos));
                let out = rill_compiler::define_fragment(args, f.into_token_stream());
                let expanded: syn::File = syn::parse2(out).expect("fragment expansion parses as items");
                items.extend(expanded.items);
            }
            other => items.push(other),
        }
    }
    file.items = items;
    prettyplease::unparse(&file)
}

/// `__rill_fragment_NAME! { STATE }`: the fragment's name and the state it is handed.
fn fragment_callback(out: &proc_macro2::TokenStream) -> Option<(String, proc_macro2::TokenStream)> {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = out.clone().into_iter().collect();
    let name = tokens.iter().find_map(|t| match t {
        TokenTree::Ident(i) => i.to_string().strip_prefix("__rill_fragment_").map(str::to_owned),
        _ => None,
    })?;
    match tokens.last()? {
        TokenTree::Group(g) => Some((name, g.stream())),
        _ => None,
    }
}

fn attr_args(attr: syn::Attribute) -> proc_macro2::TokenStream {
    match attr.meta {
        syn::Meta::List(l) => l.tokens,
        _ => proc_macro2::TokenStream::new(),
    }
}

fn is_attr(a: &syn::Attribute, name: &str) -> bool {
    let segs: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
    segs == ["rill", name] || segs == [name]
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
