//! Pipeline fragments: a `#[rill::fragment]` function takes streams (and plain values) and
//! returns a stream; a job that calls one gets its body inlined where the call stands, so
//! the compiler still sees one pipeline and fuses across the fragment's edges.
//!
//! A proc-macro cannot read another item's body, so the fragment hands it over: its
//! attribute defines a hidden `macro_rules!` (named `__rill_fragment_NAME`, imported where
//! the function is, with its visibility, so that the function's path names it) that holds
//! the function's tokens. A job that calls a fragment it does not have yet expands to a call
//! of that macro with the job's own tokens; the macro calls `rill::__expand_job!` with the
//! job and the fragment's definition, and the job is compiled again, once per fragment.
//!
//! Inlining renames what the fragment binds (its parameters, its `let`s) after the call
//! (`__rill_NAME_K_x`), so that two calls of one fragment, or a job's own names, never
//! shadow each other: the closures of a job are built after all its statements ran.

use crate::diag::Diagnostics;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use std::collections::{HashMap, HashSet};
use syn::visit_mut::VisitMut;
use syn::{Expr, FnArg, Ident, ItemFn, Pat, ReturnType, Stmt, Type};

/// The most fragment calls one job inlines: past this, fragments call each other in a cycle.
const MAX_INLINED: usize = 256;

/// The last segment of the types that make a parameter a stream.
const STREAM_TYPES: [&str; 2] = ["DataStream", "KeyedStream"];

/// A fragment's definition as its macro handed it over, with the path the job called it by.
pub struct Fragment {
    /// The call's path as written in the job (`parse_metrics`, `metrics::parse_metrics`).
    pub path: String,
    /// The fragment function.
    pub item: ItemFn,
}

impl Fragment {
    /// The fragment with every token resolved at `anchor` (the job's), located where written.
    pub fn resolved_at(&self, anchor: Span) -> Fragment {
        // `$crate` resolves by its own hygiene, to the fragment's crate.
        let tokens =
            resolve_at(self.item.to_token_stream(), anchor, &|tt| !matches!(tt, TokenTree::Ident(i) if i == "$crate"));
        Fragment { path: self.path.clone(), item: syn::parse2(tokens).unwrap_or_else(|_| self.item.clone()) }
    }
}

/// The tokens with those `which` picks (a group's own delimiters included) resolved at
/// `anchor`, where names are looked up, and still located where they were written.
pub(crate) fn resolve_at(tokens: TokenStream, anchor: Span, which: &dyn Fn(&TokenTree) -> bool) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            let picked = which(&tt);
            if let TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), resolve_at(g.stream(), anchor, which));
                group.set_span(g.span());
                tt = TokenTree::Group(group);
            }
            if picked {
                tt.set_span(tt.span().resolved_at(anchor));
            }
            tt
        })
        .collect()
}

/// What inlining found.
pub enum Inlined {
    /// Every fragment call is inlined: the job's body now holds their statements.
    Done(Box<ItemFn>),
    /// The job calls a fragment it has not been handed yet: expand to this callback.
    Needs(syn::Path),
}

/// `#[rill::fragment] ITEM`: the function for rustdoc and the IDE (its body replaced, as
/// the stream types are markers), and the macro that hands the job its tokens.
pub fn define(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(item) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    if !attr.is_empty() {
        return syn::Error::new_spanned(attr, "#[rill::fragment] takes no options").to_compile_error();
    }
    let mut diags = Diagnostics::default();
    check_signature(&item, &mut diags);
    if !diags.is_empty() {
        return diags.to_tokens();
    }
    let name = &item.sig.ident;
    let macro_name = macro_ident(name);
    // A `pub` fragment is for other crates too: its macro is exported (at the crate's root,
    // which is where `#[macro_export]` puts it) and re-exported where the function is, so
    // that the function's path names it from anywhere. The re-export is a glob from a
    // module of its own: at the crate's root the exported macro itself shadows it, where a
    // plain `pub use` would define the name twice.
    let import = match &item.vis {
        syn::Visibility::Inherited => quote!(use #macro_name;),
        syn::Visibility::Restricted(r) => quote!(#r use #macro_name;),
        syn::Visibility::Public(_) => {
            let module = format_ident!("{}_export", macro_name);
            quote! {
                #[doc(hidden)]
                pub mod #module {
                    pub use #macro_name;
                }
                #[doc(hidden)]
                #[allow(unused_imports)]
                pub use #module::*;
            }
        }
    };
    let export = matches!(item.vis, syn::Visibility::Public(_)).then(|| quote!(#[macro_export]));
    let attrs = &item.attrs;
    // The job needs the function, not its documentation.
    let mut def = item.clone();
    def.attrs.retain(|a| !a.path().is_ident("doc"));
    // `crate::` in the body means the fragment's crate wherever it is inlined: `$crate`.
    let def = dollar_crate(def.to_token_stream());
    let vis = &item.vis;
    let sig = &item.sig;
    let output = match &item.sig.output {
        ReturnType::Default => quote!(),
        ReturnType::Type(_, ty) if type_name(ty).as_deref() == Some("KeyedStream") => {
            quote!(::rill::KeyedStream::inlined())
        }
        ReturnType::Type(..) => quote!(::rill::DataStream::inlined()),
    };
    // The body for rust-analyzer, on the typed stand-ins of `rill::ide` (rustc never
    // compiles it): completion and hover inside a fragment.
    let inputs = &item.sig.inputs;
    let ret = &item.sig.output;
    let block = &item.block;
    let ide_view = quote! {
        #[allow(unexpected_cfgs)]
        const _: () = {
            #[cfg(rust_analyzer)]
            #[allow(unused, clippy::all)]
            fn __rill_ide_view(#inputs) #ret #block
        };
    };
    quote! {
        #ide_view
        #[doc(hidden)]
        #[allow(unused_macros)]
        #export
        macro_rules! #macro_name {
            ($($state:tt)*) => {
                ::rill::__expand_job! { $($state)* def = { #def } }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        #import

        #(#attrs)*
        ///
        /// *A pipeline fragment (`#[rill::fragment]`): a job that calls it gets its body
        /// inlined and fused with the job's own operators.*
        #[allow(unused_variables, dead_code, clippy::too_many_arguments)]
        #vis #sig {
            #output
        }
    }
}

/// Every `crate` of the tokens as `$crate`, which a `macro_rules!` body resolves to the
/// crate that defined it, in whichever crate the macro is called.
fn dollar_crate(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|tt| match tt {
            TokenTree::Ident(i) if i == "crate" => {
                let mut dollar = proc_macro2::Punct::new('$', proc_macro2::Spacing::Alone);
                dollar.set_span(i.span());
                vec![TokenTree::Punct(dollar), TokenTree::Ident(i)]
            }
            TokenTree::Group(g) => {
                let mut group = proc_macro2::Group::new(g.delimiter(), dollar_crate(g.stream()));
                group.set_span(g.span());
                vec![TokenTree::Group(group)]
            }
            other => vec![other],
        })
        .collect()
}

/// `parse_metrics` → `__rill_fragment_parse_metrics`.
fn macro_ident(name: &Ident) -> Ident {
    format_ident!("__rill_fragment_{}", name, span = name.span())
}

fn check_signature(item: &ItemFn, diags: &mut Diagnostics) {
    use syn::spanned::Spanned;
    if !item.sig.generics.params.is_empty() {
        diags.error(
            item.sig.generics.span(),
            "a #[rill::fragment] function cannot be generic: its stream types are inferred where it is inlined",
        );
    }
    if item.sig.asyncness.is_some() {
        diags.error(item.sig.asyncness.span(), "a #[rill::fragment] function is not async: it describes part of a job");
    }
    let mut streams = 0;
    for input in &item.sig.inputs {
        match input {
            FnArg::Receiver(r) => diags.error(r.span(), "a #[rill::fragment] function takes no `self`"),
            FnArg::Typed(arg) => {
                if !matches!(&*arg.pat, Pat::Ident(_)) {
                    diags.error(arg.pat.span(), "a fragment's parameter must be a plain name");
                }
                streams += usize::from(is_stream_type(&arg.ty));
            }
        }
    }
    if streams == 0 {
        diags.error(
            item.sig.ident.span(),
            "a #[rill::fragment] function takes at least one stream: a parameter of type `DataStream<T>` or `KeyedStream<K, T>`",
        );
    }
    let returns_stream = matches!(&item.sig.output, ReturnType::Type(_, ty) if is_stream_type(ty));
    if let ReturnType::Type(_, ty) = &item.sig.output {
        if !returns_stream {
            diags.error(ty.span(), "a #[rill::fragment] function returns a stream (`DataStream<T>`) or nothing");
        }
    }
    let has_tail = matches!(item.block.stmts.last(), Some(Stmt::Expr(_, None)));
    if returns_stream && !has_tail {
        let at = item.block.stmts.last().map_or(item.sig.output.span(), |s| s.span());
        diags.error(at, "this fragment returns a stream: end its body with the stream, without `;`");
    }
    if !returns_stream && has_tail {
        if let Some(Stmt::Expr(e, None)) = item.block.stmts.last() {
            diags.error(
                e.span(),
                "this fragment returns nothing: end the statement with `;`, or declare `-> DataStream<T>`",
            );
        }
    }
}

fn is_stream_type(ty: &Type) -> bool {
    type_name(ty).is_some_and(|name| STREAM_TYPES.contains(&name.as_str()))
}

/// The last segment of a type's path.
fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Paren(p) => type_name(&p.elem),
        Type::Group(g) => type_name(&g.elem),
        _ => None,
    }
}

/// Inlines every fragment call in the job's body, at any depth of fragments calling
/// fragments, with the fragments handed over so far.
pub fn inline(
    mut job: ItemFn,
    fragments: &[Fragment],
    diags: &mut Diagnostics,
    is_source: &dyn Fn(&str) -> bool,
) -> Inlined {
    let Some(env) = env_name(&job) else { return Inlined::Done(Box::new(job)) };
    let streams_of = Streams { env: &env, is_source };
    let by_path: HashMap<&str, &ItemFn> = fragments.iter().map(|f| (f.path.as_str(), &f.item)).collect();
    let mut calls = 0;
    loop {
        let mut streams: HashSet<String> = HashSet::new();
        let mut out: Vec<Stmt> = Vec::with_capacity(job.block.stmts.len());
        let mut changed = false;
        let stmts = std::mem::take(&mut job.block.stmts);
        let mut rest = stmts.into_iter();
        for stmt in rest.by_ref() {
            let found = stream_statement(&stmt).and_then(|(binding, expr)| {
                let root = chain_root(expr);
                match root {
                    Expr::Call(call) if streams_of.is_fragment_call(call, &streams) => Some((binding, call.clone())),
                    _ => {
                        if streams_of.is_stream(expr, &streams) {
                            if let Some(b) = binding {
                                streams.insert(b.to_string());
                            }
                        } else if let Some(b) = binding {
                            streams.remove(&b.to_string());
                        }
                        None
                    }
                }
            });
            let Some((binding, call)) = found else {
                out.push(stmt);
                continue;
            };
            let Expr::Path(func) = &*call.func else { unreachable!("a fragment call names its function") };
            let path = path_key(&func.path);
            let Some(fragment) = by_path.get(path.as_str()) else {
                return Inlined::Needs(func.path.clone());
            };
            calls += 1;
            if calls > MAX_INLINED {
                diags.error(
                    call_span(&call),
                    format!("more than {MAX_INLINED} fragment calls inlined: do fragments call each other in a cycle?"),
                );
                job.block.stmts = out;
                return Inlined::Done(Box::new(job));
            }
            let Some(inlined) = inline_call(fragment, &call, calls, diags) else {
                job.block.stmts = out;
                return Inlined::Done(Box::new(job));
            };
            out.extend(inlined.stmts);
            let replaced = replace_root(&stmt, inlined.output, diags, &call);
            if let Some(binding) = binding {
                streams.insert(binding.to_string());
            }
            out.extend(replaced);
            changed = true;
            // The inlined statements may call fragments themselves: start over.
            out.extend(rest.by_ref());
            break;
        }
        job.block.stmts = out;
        if !changed {
            return Inlined::Done(Box::new(job));
        }
    }
}

fn env_name(job: &ItemFn) -> Option<Ident> {
    match job.sig.inputs.first()? {
        FnArg::Typed(arg) => match &*arg.pat {
            Pat::Ident(p) => Some(p.ident.clone()),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    }
}

/// `let NAME = EXPR;` or `EXPR;`: the binding (if any) and the expression.
fn stream_statement(stmt: &Stmt) -> Option<(Option<&Ident>, &Expr)> {
    match stmt {
        Stmt::Local(local) => {
            let init = local.init.as_ref()?;
            match &local.pat {
                Pat::Ident(p) => Some((Some(&p.ident), &init.expr)),
                _ => None,
            }
        }
        Stmt::Expr(expr, _) => Some((None, expr)),
        _ => None,
    }
}

/// What a chain of method calls starts from.
fn chain_root(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::MethodCall(m) => expr = &m.receiver,
            Expr::Paren(p) => expr = &p.expr,
            Expr::Group(g) => expr = &g.expr,
            other => return other,
        }
    }
}

/// Tells streams from other values, as the parser will.
struct Streams<'a> {
    env: &'a Ident,
    is_source: &'a dyn Fn(&str) -> bool,
}

impl Streams<'_> {
    /// A stream: a chain rooted at `env.<source>`, at a stream's name, or at a fragment call.
    fn is_stream(&self, expr: &Expr, streams: &HashSet<String>) -> bool {
        match chain_root(expr) {
            Expr::Call(call) => self.is_fragment_call(call, streams),
            _ => crate::parse::call_chain(expr, self.env, streams, self.is_source).is_some(),
        }
    }

    /// A call of a function by its path with a stream among its arguments: streams exist
    /// only in a job, so such a function can only be a fragment.
    fn is_fragment_call(&self, call: &syn::ExprCall, streams: &HashSet<String>) -> bool {
        matches!(&*call.func, Expr::Path(p) if p.qself.is_none())
            && call.args.iter().any(|a| self.is_stream(a, streams))
    }
}

fn path_key(path: &syn::Path) -> String {
    path.to_token_stream().to_string()
}

fn call_span(call: &syn::ExprCall) -> Span {
    use syn::spanned::Spanned;
    call.span()
}

struct InlinedCall {
    stmts: Vec<Stmt>,
    output: Option<Expr>,
}

/// The fragment's statements for one call: its arguments bound under fresh names, its body
/// renamed to them, and the stream it returns.
fn inline_call(fragment: &ItemFn, call: &syn::ExprCall, k: usize, diags: &mut Diagnostics) -> Option<InlinedCall> {
    let name = &fragment.sig.ident;
    let params: Vec<(&Ident, &Type)> = fragment
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p) => Some((&p.ident, &*t.ty)),
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect();
    if params.len() != call.args.len() {
        diags.error(
            call_span(call),
            format!(
                "the fragment `{name}` takes {} argument{}, this call gives {}",
                params.len(),
                if params.len() == 1 { "" } else { "s" },
                call.args.len()
            ),
        );
        return None;
    }
    let fresh = |ident: &Ident| format_ident!("__rill_{}_{}_{}", name, k, ident, span = ident.span());
    let mut renames: HashMap<String, Ident> = HashMap::new();
    let mut stmts: Vec<Stmt> = Vec::new();
    for ((param, ty), arg) in params.iter().zip(call.args.iter()) {
        let new = fresh(param);
        if is_stream_type(ty) {
            // A stream is bound under the fresh name as a stream statement.
            stmts.push(syn::parse_quote!(let #new = #arg;));
        } else {
            // A plain value keeps its declared type, so a wrong argument is a type error.
            stmts.push(syn::parse_quote!(let #new: #ty = #arg;));
        }
        renames.insert(param.to_string(), new);
    }
    for stmt in &fragment.block.stmts {
        if let Stmt::Local(local) = stmt {
            for ident in bound_names(&local.pat) {
                renames.entry(ident.to_string()).or_insert_with(|| fresh(&ident));
            }
        }
    }
    let mut renamer = Renamer { renames: &renames };
    let mut body = fragment.block.stmts.clone();
    for stmt in &mut body {
        renamer.visit_stmt_mut(stmt);
    }
    let output = match body.last() {
        Some(Stmt::Expr(_, None)) => match body.pop() {
            Some(Stmt::Expr(e, None)) => Some(e),
            _ => None,
        },
        _ => None,
    };
    stmts.extend(body);
    Some(InlinedCall { stmts, output })
}

fn bound_names(pat: &Pat) -> Vec<Ident> {
    match pat {
        Pat::Ident(p) => {
            let mut names = vec![p.ident.clone()];
            if let Some((_, sub)) = &p.subpat {
                names.extend(bound_names(sub));
            }
            names
        }
        Pat::Tuple(t) => t.elems.iter().flat_map(bound_names).collect(),
        Pat::TupleStruct(t) => t.elems.iter().flat_map(bound_names).collect(),
        Pat::Struct(s) => s.fields.iter().flat_map(|f| bound_names(&f.pat)).collect(),
        Pat::Type(t) => bound_names(&t.pat),
        Pat::Reference(r) => bound_names(&r.pat),
        Pat::Slice(s) => s.elems.iter().flat_map(bound_names).collect(),
        Pat::Paren(p) => bound_names(&p.pat),
        _ => Vec::new(),
    }
}

/// The statement with its fragment call replaced by the fragment's output stream.
fn replace_root(stmt: &Stmt, output: Option<Expr>, diags: &mut Diagnostics, call: &syn::ExprCall) -> Option<Stmt> {
    let mut stmt = stmt.clone();
    let expr = match &mut stmt {
        Stmt::Local(local) => &mut *local.init.as_mut()?.expr,
        Stmt::Expr(expr, _) => expr,
        _ => return Some(stmt),
    };
    // A bare call statement of a fragment that returns nothing leaves nothing behind.
    if matches!(expr, Expr::Call(_)) && output.is_none() {
        if let Stmt::Local(_) = stmt {
            diags.error(call_span(call), "this fragment returns no stream to bind");
        }
        return None;
    }
    let Some(output) = output else {
        diags.error(call_span(call), "this fragment returns no stream to call operators on");
        return None;
    };
    let root = root_mut(expr);
    *root = Expr::Paren(syn::ExprParen { attrs: Vec::new(), paren_token: Default::default(), expr: Box::new(output) });
    Some(stmt)
}

fn root_mut(expr: &mut Expr) -> &mut Expr {
    match expr {
        Expr::MethodCall(m) => root_mut(&mut m.receiver),
        Expr::Paren(p) => root_mut(&mut p.expr),
        Expr::Group(g) => root_mut(&mut g.expr),
        other => other,
    }
}

/// Renames the fragment's own names, wherever they are read or bound.
struct Renamer<'a> {
    renames: &'a HashMap<String, Ident>,
}

impl Renamer<'_> {
    fn renamed(&self, ident: &Ident) -> Option<Ident> {
        self.renames.get(&ident.to_string()).map(|new| {
            let mut new = new.clone();
            new.set_span(ident.span());
            new
        })
    }

    /// Inside a macro's tokens: names not after `.` or `::`, and `{name}` in string
    /// literals (inline format arguments).
    fn rename_tokens(&self, tokens: TokenStream) -> TokenStream {
        let mut out = Vec::new();
        let mut prev_dot = false;
        for tt in tokens {
            let next = match tt {
                TokenTree::Ident(ident) if !prev_dot => match self.renamed(&ident) {
                    Some(new) => TokenTree::Ident(new),
                    None => TokenTree::Ident(ident),
                },
                TokenTree::Group(g) => {
                    let mut group = proc_macro2::Group::new(g.delimiter(), self.rename_tokens(g.stream()));
                    group.set_span(g.span());
                    TokenTree::Group(group)
                }
                TokenTree::Literal(lit) => TokenTree::Literal(self.rename_in_literal(lit)),
                other => other,
            };
            prev_dot = matches!(&next, TokenTree::Punct(p) if p.as_char() == '.' || p.as_char() == ':');
            out.push(next);
        }
        out.into_iter().collect()
    }

    fn rename_in_literal(&self, lit: proc_macro2::Literal) -> proc_macro2::Literal {
        let text = lit.to_string();
        if !text.starts_with('"') {
            return lit;
        }
        let mut changed = text.clone();
        for (old, new) in self.renames {
            for close in ['}', ':'] {
                changed = changed.replace(&format!("{{{old}{close}"), &format!("{{{new}{close}"));
            }
        }
        if changed == text {
            return lit;
        }
        match changed.parse::<proc_macro2::Literal>() {
            Ok(mut new) => {
                new.set_span(lit.span());
                new
            }
            Err(_) => lit,
        }
    }
}

impl VisitMut for Renamer<'_> {
    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        if e.qself.is_none() && e.path.leading_colon.is_none() && e.path.segments.len() == 1 {
            let segment = &mut e.path.segments[0];
            if segment.arguments.is_none() {
                if let Some(new) = self.renamed(&segment.ident) {
                    segment.ident = new;
                }
            }
        }
        syn::visit_mut::visit_expr_path_mut(self, e);
    }

    fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
        if let Some(new) = self.renamed(&p.ident) {
            p.ident = new;
        }
        syn::visit_mut::visit_pat_ident_mut(self, p);
    }

    fn visit_field_value_mut(&mut self, f: &mut syn::FieldValue) {
        // `Alert { host }` names a field and reads a variable: keep the field's name.
        if f.colon_token.is_none() {
            f.colon_token = Some(Default::default());
        }
        syn::visit_mut::visit_field_value_mut(self, f);
    }

    fn visit_field_pat_mut(&mut self, f: &mut syn::FieldPat) {
        if f.colon_token.is_none() {
            f.colon_token = Some(Default::default());
        }
        syn::visit_mut::visit_field_pat_mut(self, f);
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        m.tokens = self.rename_tokens(std::mem::take(&mut m.tokens));
    }
}

/// The tokens a job passes along while it collects its fragments:
/// `attr = {..} item = {..} fragments = { path = {..} def = {..} ... } pending = {..}`.
pub fn callback(attr: &TokenStream, item: &TokenStream, fragments: &[Fragment], pending: &syn::Path) -> TokenStream {
    let mut macro_path = pending.clone();
    if let Some(last) = macro_path.segments.last_mut() {
        last.ident = macro_ident(&last.ident);
    }
    let fragments = fragments.iter().map(|f| {
        let path: TokenStream = f.path.parse().unwrap_or_default();
        let def = &f.item;
        quote!(path = { #path } def = { #def })
    });
    quote! {
        #macro_path! {
            attr = { #attr } item = { #item } fragments = { #(#fragments)* } pending = { #pending }
        }
    }
}

/// The job's tokens and its fragments, as [`callback`] wrote them and the fragment's macro
/// appended its definition (`def = {..}`).
pub struct Expansion {
    /// The job attribute's options.
    pub attr: TokenStream,
    /// The job function as written.
    pub item: TokenStream,
    /// The fragments handed over so far, the new one last.
    pub fragments: Vec<Fragment>,
}

/// Reads what [`callback`] wrote, with the definition the fragment's macro added.
pub fn parse_expansion(tokens: TokenStream) -> syn::Result<Expansion> {
    let mut groups: Vec<(String, TokenStream)> = Vec::new();
    let mut it = tokens.into_iter().peekable();
    while let Some(tt) = it.next() {
        let TokenTree::Ident(key) = tt else {
            return Err(syn::Error::new(tt.span(), "expected a key of the job's expansion"));
        };
        match it.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
            _ => return Err(syn::Error::new(key.span(), "expected `=` after a key of the job's expansion")),
        }
        let Some(TokenTree::Group(g)) = it.next() else {
            return Err(syn::Error::new(key.span(), "expected `{..}` after a key of the job's expansion"));
        };
        groups.push((key.to_string(), g.stream()));
    }
    let take = |key: &str| groups.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut fragments = Vec::new();
    let inner: Vec<TokenTree> = take("fragments").into_iter().collect();
    for pair in inner.chunks(6) {
        if let [_, _, TokenTree::Group(path), _, _, TokenTree::Group(def)] = pair {
            fragments.push(Fragment { path: path.stream().to_string(), item: syn::parse2(def.stream())? });
        }
    }
    let pending = take("pending");
    let def = take("def");
    fragments.push(Fragment { path: pending.to_string(), item: syn::parse2(def)? });
    Ok(Expansion { attr: take("attr"), item: take("item"), fragments })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(path: &str, tokens: TokenStream) -> Fragment {
        Fragment { path: path.to_owned(), item: syn::parse2(tokens).unwrap() }
    }

    fn inlined(job: TokenStream, fragments: &[Fragment]) -> String {
        let mut d = Diagnostics::default();
        match inline(syn::parse2(job).unwrap(), fragments, &mut d, &crate::ops::is_source) {
            Inlined::Done(item) => {
                let item = *item;
                assert!(d.is_empty(), "{:?}", d.errors.iter().map(|e| &e.message).collect::<Vec<_>>());
                item.block.to_token_stream().to_string()
            }
            Inlined::Needs(path) => format!("needs {}", path.to_token_stream()),
        }
    }

    #[test]
    fn a_call_with_a_stream_argument_asks_for_its_fragment() {
        let job = quote! {
            fn j(env: &mut Env) {
                let lines = env.from_elements(["a"]);
                let parsed = metrics::parse(lines, 3).print();
            }
        };
        assert_eq!(inlined(job, &[]), "needs metrics :: parse");
    }

    #[test]
    fn a_call_without_a_stream_is_plain_code() {
        let job = quote! {
            fn j(env: &mut Env) {
                let limit = threshold(3);
                env.from_elements(["a"]).print();
            }
        };
        assert!(!inlined(job, &[]).contains("needs"));
    }

    #[test]
    fn two_calls_bind_their_arguments_apart_and_chain_on_the_output() {
        let parse = fragment(
            "parse",
            quote! {
                fn parse(lines: DataStream<String>, min: usize) -> DataStream<String> {
                    let long = lines.filter(move |l| l.len() >= min);
                    long.map(|l| format!("{l}/{min}"))
                }
            },
        );
        let job = quote! {
            fn j(env: &mut Env) {
                let min = 100;
                let a = parse(env.from_elements(["a"]), 1);
                parse(a, 2).print();
            }
        };
        let body = inlined(job, &[parse]);
        for expected in [
            "let min = 100",
            "let __rill_parse_1_lines = env . from_elements ([\"a\"])",
            "let __rill_parse_1_min : usize = 1",
            "let __rill_parse_1_long = __rill_parse_1_lines . filter (move | l | l . len () >= __rill_parse_1_min)",
            "let a = (__rill_parse_1_long . map (| l | format ! (\"{l}/{__rill_parse_1_min}\")))",
            "let __rill_parse_2_lines = a",
            "let __rill_parse_2_min : usize = 2",
            "(__rill_parse_2_long . map (| l | format ! (\"{l}/{__rill_parse_2_min}\"))) . print ()",
        ] {
            assert!(body.contains(expected), "{expected}\nnot in\n{body}");
        }
    }

    #[test]
    fn format_arguments_and_field_shorthand_follow_the_rename() {
        let tag = fragment(
            "tag",
            quote! {
                fn tag(s: DataStream<i64>, host: String) -> DataStream<Alert> {
                    s.map(move |v| Alert { host: host.clone(), text: format!("{host}: {v}") })
                        .map(move |a| { let host = 1; Alert { host, ..a } })
                }
            },
        );
        let job = quote!(
            fn j(env: &mut Env) {
                tag(env.from_sequence(0, 1), "h".into()).print();
            }
        );
        let body = inlined(job, &[tag]);
        assert!(body.contains("host : __rill_tag_1_host . clone ()"), "{body}");
        assert!(body.contains("\"{__rill_tag_1_host}: {v}\""), "{body}");
        assert!(body.contains("Alert { host : __rill_tag_1_host , .. a }"), "{body}");
    }

    #[test]
    fn a_fragment_that_calls_a_fragment_is_inlined_in_turn() {
        let inner = fragment(
            "inner",
            quote!(
                fn inner(s: DataStream<i64>) -> DataStream<i64> {
                    s.map(|x| x + 1)
                }
            ),
        );
        let outer = fragment(
            "outer",
            quote!(
                fn outer(s: DataStream<i64>) -> DataStream<i64> {
                    inner(s).map(|x| x * 2)
                }
            ),
        );
        let job = quote!(
            fn j(env: &mut Env) {
                outer(env.from_sequence(0, 1)).print();
            }
        );
        assert_eq!(inlined(job.clone(), std::slice::from_ref(&outer)), "needs inner");
        let body = inlined(job, &[outer, inner]);
        assert!(body.contains("__rill_inner_2_s . map (| x | x + 1)"), "{body}");
    }

    #[test]
    fn a_sink_fragment_leaves_nothing_behind_its_call() {
        let sink = fragment(
            "show",
            quote!(
                fn show(s: DataStream<i64>) {
                    s.filter(|x| *x > 0).print();
                }
            ),
        );
        let job = quote!(
            fn j(env: &mut Env) {
                let s = env.from_sequence(0, 1);
                show(s);
            }
        );
        let body = inlined(job, &[sink]);
        assert!(body.contains("let __rill_show_1_s = s ;"), "{body}");
        assert!(body.contains("__rill_show_1_s . filter"), "{body}");
        assert!(!body.contains("show (s)"), "{body}");
    }

    #[test]
    fn the_callback_round_trips() {
        let item = quote!(
            fn j(env: &mut Env) {
                parse(env.from_sequence(0, 1)).print();
            }
        );
        let pending: syn::Path = syn::parse_quote!(a::parse);
        let known = fragment(
            "other",
            quote!(
                fn other(s: DataStream<i64>) -> DataStream<i64> {
                    s
                }
            ),
        );
        let tokens = callback(&quote!(no_main), &item, &[known], &pending);
        let text = tokens.to_string();
        assert!(text.starts_with("a :: __rill_fragment_parse !"), "{text}");
        // What the fragment's macro passes on: the state and its definition.
        let TokenTree::Group(state) = tokens.into_iter().last().unwrap() else { panic!() };
        let mut state = state.stream();
        state.extend(quote!(
            def = {
                fn parse(s: DataStream<i64>) -> DataStream<i64> {
                    s
                }
            }
        ));
        let expansion = parse_expansion(state).unwrap();
        assert_eq!(expansion.attr.to_string(), "no_main");
        assert_eq!(expansion.fragments.len(), 2);
        assert_eq!(expansion.fragments[1].path, "a :: parse");
        assert_eq!(expansion.fragments[0].path, "other");
    }

    #[test]
    fn signatures_without_streams_or_with_the_wrong_ending_are_refused() {
        for (item, message) in [
            (
                quote!(
                    fn f(x: i64) -> DataStream<i64> {
                        x
                    }
                ),
                "at least one stream",
            ),
            (
                quote!(
                    fn f(s: DataStream<i64>) -> DataStream<i64> {
                        s.map(|x| x);
                    }
                ),
                "end its body with the stream",
            ),
            (
                quote!(
                    fn f(s: DataStream<i64>) {
                        s.print()
                    }
                ),
                "returns nothing",
            ),
            (
                quote!(
                    fn f(s: DataStream<i64>) -> i64 {
                        1
                    }
                ),
                "returns a stream",
            ),
        ] {
            let out = define(TokenStream::new(), item).to_string();
            assert!(out.contains("compile_error") && out.contains(message), "{message}: {out}");
        }
    }
}
