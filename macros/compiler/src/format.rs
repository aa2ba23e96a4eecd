//! Rewrites `format!(..)` in the job's body to `::rill::codegen::format!(..)`, which sizes
//! its string from the last one its call site produced (see `rill::api::format` for why).
//! The arguments keep their tokens and spans, so a wrong format string is reported where
//! the user wrote it. Only the unqualified macro is rewritten: `std::format!`, and a
//! crate's own macro called by a path, stay as written.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

/// The body with each unqualified `format!` call rewritten, at any depth.
pub fn presize(body: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Ident(name) if name == "format" && is_call(&tokens, i) && !qualified(&tokens, i) => {
                out.extend(path(name.span()));
                out.push(tokens[i].clone());
            }
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), presize(g.stream()));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// `format` followed by `!` and a delimited group: a macro call, not a function or a field.
fn is_call(tokens: &[TokenTree], i: usize) -> bool {
    matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
        && matches!(tokens.get(i + 2), Some(TokenTree::Group(g)) if g.delimiter() != Delimiter::None)
}

/// Preceded by `::`: a path such as `std::format!`.
fn qualified(tokens: &[TokenTree], i: usize) -> bool {
    i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == ':')
}

/// `::rill::codegen::` with the call's span.
fn path(span: Span) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for segment in ["rill", "codegen"] {
        out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
        out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
        out.push(TokenTree::Ident(Ident::new(segment, span)));
    }
    out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
    out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn rewritten(tokens: TokenStream) -> String {
        presize(tokens).to_string()
    }

    #[test]
    fn rewrites_calls_at_any_depth() {
        let body = quote!({
            let a = format!("{} {}", x, y);
            let e = !format!("{x}").is_empty();
            s.map(|i| vec![format!("{i}")]);
        });
        let out = rewritten(body);
        assert_eq!(out.matches(":: rill :: codegen :: format !").count(), 3, "{out}");
        assert!(out.contains("(\"{} {}\" , x , y)"), "{out}");
    }

    #[test]
    fn leaves_paths_functions_fields_and_definitions_alone() {
        let body = quote!({
            let a = std::format!("{}", x);
            let b = format(x);
            let c = r.format;
            macro_rules! format {
                () => {};
            }
        });
        assert_eq!(rewritten(body.clone()), body.to_string());
    }
}
