//! Diagnostics: errors gathered over the whole pipeline, each at the span of the call that
//! caused it, so that one build shows every mistake.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

/// One mistake, at the span that caused it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Where rustc shows it.
    pub span: Span,
    /// What is wrong and what to do.
    pub message: String,
}

/// The mistakes found so far.
#[derive(Debug, Default)]
pub struct Diagnostics {
    /// In the order found.
    pub errors: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Reports a mistake at `span`.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(Diagnostic { span, message: message.into() });
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per diagnostic, each at its span.
    pub fn to_tokens(&self) -> TokenStream {
        self.errors
            .iter()
            .map(|d| {
                let msg = &d.message;
                quote_spanned!(d.span=> ::core::compile_error!(#msg);)
            })
            .collect()
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("mapp", ["map", "filter"]), Some("map"));
        assert_eq!(did_you_mean("flatmap", ["flat_map", "map"]), Some("flat_map"));
        assert_eq!(did_you_mean("window_joinery", ["map", "filter"]), None);
    }
}
