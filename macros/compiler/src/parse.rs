//! Parse: the `#[rill::job]` function body as a pipeline.
//!
//! Statements that define streams are `let` bindings (or expression statements) of method
//! chains rooted at `env.<source>(..)` or at a stream bound earlier. Every other statement
//! is kept as it is and runs before the graph is built. Closures are never interpreted: they
//! are carried as syntax to the generated code.

use crate::diag::Diagnostics;
use proc_macro2::Span;
use std::collections::HashSet;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, Pat, Stmt};

/// The job function.
pub struct JobFn {
    /// The function as written.
    pub item: ItemFn,
    /// Its name.
    pub name: Ident,
    /// Its `env` parameter's name.
    pub env: Ident,
    /// Its body, statement by statement.
    pub statements: Vec<Statement>,
}

/// A statement of the job function.
pub enum Statement {
    /// Kept as written: runs before the graph is built.
    Plain(Box<Stmt>),
    /// Defines a stream, bound to a name or not.
    Stream {
        /// The `let` name, if any.
        binding: Option<Ident>,
        /// The chain of calls.
        chain: CallChain,
    },
}

/// `root.call(..).call(..)...`
#[derive(Clone)]
pub struct CallChain {
    /// What the chain starts from.
    pub root: Root,
    /// The calls, first to last.
    pub calls: Vec<Call>,
}

/// Where a chain of calls starts.
#[derive(Clone)]
pub enum Root {
    /// `env`: a source follows.
    Env(Span),
    /// A stream bound earlier.
    Stream(Ident),
}

/// One method call in a chain.
#[derive(Clone)]
pub struct Call {
    /// The method.
    pub method: Ident,
    /// Its arguments as written.
    pub args: Vec<Expr>,
    /// From the method name to the closing parenthesis.
    pub span: Span,
}

/// Parses the job function; `is_source` tells the sources among the methods called on `env`.
pub fn parse_job(item: ItemFn, diags: &mut Diagnostics, is_source: &dyn Fn(&str) -> bool) -> Option<JobFn> {
    let name = item.sig.ident.clone();
    let env = match item.sig.inputs.iter().collect::<Vec<_>>().as_slice() {
        [FnArg::Typed(arg)] => match &*arg.pat {
            Pat::Ident(p) => Some(p.ident.clone()),
            other => {
                diags.error(other.span(), "the job's parameter must be a plain name, as in `env: &mut Env`");
                None
            }
        },
        _ => {
            diags.error(
                item.sig.inputs.span().join(item.sig.ident.span()).unwrap_or(item.sig.ident.span()),
                "a #[rill::job] function takes one parameter: `fn job(env: &mut Env)`",
            );
            None
        }
    }?;
    if !item.sig.generics.params.is_empty() {
        diags.error(item.sig.generics.span(), "a #[rill::job] function cannot be generic");
    }
    if item.sig.asyncness.is_some() {
        diags.error(
            item.sig.asyncness.span(),
            "a #[rill::job] function is not async: it describes the job, the runtime runs it",
        );
    }
    let mut streams: HashSet<String> = HashSet::new();
    let mut statements = Vec::new();
    for stmt in &item.block.stmts {
        statements.push(classify(stmt, &env, &mut streams, is_source));
    }
    Some(JobFn { name, env, statements, item })
}

fn classify(stmt: &Stmt, env: &Ident, streams: &mut HashSet<String>, is_source: &dyn Fn(&str) -> bool) -> Statement {
    let (binding, expr) = match stmt {
        Stmt::Local(local) => {
            let Some(init) = &local.init else { return Statement::Plain(Box::new(stmt.clone())) };
            let Pat::Ident(p) = &local.pat else { return Statement::Plain(Box::new(stmt.clone())) };
            (Some(p.ident.clone()), &*init.expr)
        }
        Stmt::Expr(expr, _) => (None, expr),
        _ => return Statement::Plain(Box::new(stmt.clone())),
    };
    match call_chain(expr, env, streams, is_source) {
        Some(chain) => {
            if let Some(b) = &binding {
                streams.insert(b.to_string());
            }
            Statement::Stream { binding, chain }
        }
        None => {
            // A name rebound by a plain statement is no longer a stream.
            if let Some(b) = &binding {
                streams.remove(&b.to_string());
            }
            Statement::Plain(Box::new(stmt.clone()))
        }
    }
}

/// The chain of calls in `expr`, if it is rooted at `env.<source>` or at a stream name.
pub fn call_chain(
    expr: &Expr,
    env: &Ident,
    streams: &HashSet<String>,
    is_source: &dyn Fn(&str) -> bool,
) -> Option<CallChain> {
    let mut calls = Vec::new();
    let mut cur = expr;
    loop {
        match cur {
            Expr::MethodCall(m) => {
                let end = m.paren_token.span.close();
                calls.push(Call {
                    method: m.method.clone(),
                    args: m.args.iter().cloned().collect(),
                    span: m.method.span().join(end).unwrap_or(m.method.span()),
                });
                cur = &m.receiver;
            }
            Expr::Paren(p) => cur = &p.expr,
            Expr::Group(g) => cur = &g.expr,
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let ident = &p.path.segments[0].ident;
                calls.reverse();
                if ident == env {
                    // `env.set_parallelism(..)` and friends are settings, not streams.
                    let first = calls.first()?;
                    if !is_source(&first.method.to_string()) && !looks_like_source(&first.method) {
                        return None;
                    }
                    return Some(CallChain { root: Root::Env(ident.span()), calls });
                }
                if streams.contains(&ident.to_string()) {
                    return Some(CallChain { root: Root::Stream(ident.clone()), calls });
                }
                return None;
            }
            _ => return None,
        }
    }
}

/// A method on `env` that is not an `Env` setting: treated as a (misspelled or unknown)
/// source so the user hears about it.
fn looks_like_source(method: &Ident) -> bool {
    let m = method.to_string();
    (m.starts_with("from_") || m.starts_with("read_") || m.contains("stream") || m.contains("source"))
        && !m.starts_with("set_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> (Option<JobFn>, Diagnostics) {
        let mut d = Diagnostics::default();
        let job = parse_job(syn::parse2(tokens).unwrap(), &mut d, &crate::ops::is_source);
        (job, d)
    }

    #[test]
    fn separates_stream_statements_from_plain_ones() {
        let (job, d) = parse(quote! {
            fn j(env: &mut Env) {
                let limit = 3;
                env.set_parallelism(2);
                let words = env.from_elements(["a b"]).flat_map(|l| l.split(' ').collect::<Vec<_>>());
                words.filter(move |w| w.len() < limit).print();
            }
        });
        assert!(d.is_empty());
        let job = job.unwrap();
        let kinds: Vec<&str> = job
            .statements
            .iter()
            .map(|s| match s {
                Statement::Plain(_) => "plain",
                Statement::Stream { .. } => "stream",
            })
            .collect();
        assert_eq!(kinds, ["plain", "plain", "stream", "stream"]);
        let Statement::Stream { chain, .. } = &job.statements[3] else { unreachable!() };
        assert!(matches!(&chain.root, Root::Stream(i) if i == "words"));
        let methods: Vec<String> = chain.calls.iter().map(|c| c.method.to_string()).collect();
        assert_eq!(methods, ["filter", "print"]);
    }

    #[test]
    fn rejects_a_job_without_the_env_parameter() {
        let (job, d) = parse(quote! { fn j() {} });
        assert!(job.is_none());
        assert!(d.errors[0].message.contains("takes one parameter"));
    }
}
