//! What the compiler does to the closures it passes on.

use syn::Expr;

/// A closure argument, made `move`: the chain template outlives the job function and is
/// cloned into every subtask.
pub fn moved(expr: &Expr) -> Expr {
    let mut e = expr.clone();
    if let Expr::Closure(c) = &mut e {
        if c.capture.is_none() {
            c.capture = Some(syn::Token![move](c.or1_token.span));
        }
    }
    e
}
