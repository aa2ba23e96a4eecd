//! `#[derive(Codec)]`: encodes a struct field by field in declaration order, an enum as its
//! variant's index followed by the variant's fields. Each type parameter gets a `Codec`
//! bound. The type owns heap memory (`Codec::OWNS_HEAP`) if one of its fields does.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{parse_quote, Data, DeriveInput, Fields};

/// Expands `#[derive(Codec)]` on `input`.
pub fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match expand(input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(mut input: DeriveInput) -> syn::Result<TokenStream> {
    let name = &input.ident;
    for p in input.generics.type_params_mut() {
        p.bounds.push(parse_quote!(::rill::Codec));
    }
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // The type owns heap memory if any field's type does.
    let field_types: Vec<&syn::Type> = match &input.data {
        Data::Struct(s) => s.fields.iter().map(|f| &f.ty).collect(),
        Data::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter().map(|f| &f.ty)).collect(),
        Data::Union(_) => Vec::new(),
    };
    let (encode, decode) = match &input.data {
        Data::Struct(s) => {
            let (bindings, pattern) = destructure(&s.fields, quote!(#name));
            let encode = quote! {
                let #pattern = self;
                #(::rill::Codec::encode(#bindings, out);)*
            };
            (encode, construct(&s.fields, quote!(#name)))
        }
        Data::Enum(e) => {
            if e.variants.is_empty() {
                return Err(syn::Error::new_spanned(name, "Codec cannot be derived for an enum without variants"));
            }
            let mut encode_arms = Vec::new();
            let mut decode_arms = Vec::new();
            for (i, v) in e.variants.iter().enumerate() {
                let index = i as u32;
                let vname = &v.ident;
                let (bindings, pattern) = destructure(&v.fields, quote!(#name::#vname));
                encode_arms.push(quote! {
                    #pattern => {
                        ::rill::Codec::encode(&#index, out);
                        #(::rill::Codec::encode(#bindings, out);)*
                    }
                });
                let build = construct(&v.fields, quote!(#name::#vname));
                decode_arms.push(quote!(#index => { #build }));
            }
            let what = format!("{name}: variant");
            let encode = quote! {
                match self { #(#encode_arms)* }
            };
            let decode = quote! {
                match <u32 as ::rill::Codec>::decode(input)? {
                    #(#decode_arms)*
                    other => ::core::result::Result::Err(::rill::codec::DecodeError(
                        ::std::format!("{} {} does not exist", #what, other),
                    )),
                }
            };
            (encode, decode)
        }
        Data::Union(u) => {
            return Err(syn::Error::new(u.union_token.span, "Codec cannot be derived for a union"));
        }
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::rill::Codec for #name #ty_generics #where_clause {
            const OWNS_HEAP: bool = false #(|| <#field_types as ::rill::Codec>::OWNS_HEAP)*;
            fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                #encode
            }
            fn decode(input: &mut ::rill::codec::Decoder<'_>) -> ::core::result::Result<Self, ::rill::codec::DecodeError> {
                #decode
            }
        }
    })
}

/// The names each field is bound to, and the pattern that binds them.
fn destructure(fields: &Fields, path: TokenStream) -> (Vec<syn::Ident>, TokenStream) {
    match fields {
        Fields::Named(f) => {
            let names: Vec<_> = f.named.iter().map(|f| f.ident.clone().expect("named")).collect();
            let bindings: Vec<_> = names.iter().map(|n| format_ident!("__{}", n)).collect();
            (bindings.clone(), quote!(#path { #(#names: #bindings),* }))
        }
        Fields::Unnamed(f) => {
            let bindings: Vec<_> = (0..f.unnamed.len()).map(|i| format_ident!("__f{}", i)).collect();
            (bindings.clone(), quote!(#path ( #(#bindings),* )))
        }
        Fields::Unit => (Vec::new(), quote!(#path)),
    }
}

/// An expression that decodes each field in order and builds the value.
fn construct(fields: &Fields, path: TokenStream) -> TokenStream {
    let decode = quote!(::rill::Codec::decode(input)?);
    match fields {
        Fields::Named(f) => {
            let names = f.named.iter().map(|f| f.ident.clone().expect("named"));
            quote!(::core::result::Result::Ok(#path { #(#names: #decode),* }))
        }
        Fields::Unnamed(f) => {
            let each = (0..f.unnamed.len()).map(|_| decode.clone());
            quote!(::core::result::Result::Ok(#path ( #(#each),* )))
        }
        Fields::Unit => quote!(::core::result::Result::Ok(#path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_field_by_field_with_bounds_on_type_parameters() {
        let out = derive(quote! { struct Pair<T> { key: String, value: T } }).to_string();
        assert!(out.contains("impl < T : :: rill :: Codec > :: rill :: Codec for Pair < T >"), "{out}");
        assert!(out.contains("let Pair { key : __key , value : __value } = self"), "{out}");
        assert!(out.contains("Ok (Pair { key : :: rill :: Codec :: decode (input) ? , value"), "{out}");
    }

    #[test]
    fn enums_are_a_variant_index_then_fields() {
        let out = derive(quote! { enum Alert { Firing(u32), Resolved { at: i64 }, Unknown } }).to_string();
        assert!(out.contains("Alert :: Firing (__f0) =>"), "{out}");
        assert!(out.contains("2u32 => { :: core :: result :: Result :: Ok (Alert :: Unknown) }"), "{out}");
        assert!(out.contains("does not exist"), "{out}");
    }

    #[test]
    fn unions_and_empty_enums_are_errors() {
        assert!(derive(quote! { union U { a: u32 } }).to_string().contains("compile_error"));
        assert!(derive(quote! { enum Never {} }).to_string().contains("without variants"));
    }
}
