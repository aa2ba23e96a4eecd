//! Record formats: how bytes from a connector become records and back (Flink's
//! `DeserializationSchema` and `SerializationSchema`). The connectors (Kafka) take any of
//! them; a record that does not parse is an `Err` with the reason, which the connector
//! handles as the user chose (fail, skip and count, or route it to a side output).
//!
//! ```
//! use rill::connectors::formats::{Deserializer, Serializer, Text};
//! let mut text = Text;
//! assert_eq!(text.deserialize(b"cpu 0.93").unwrap(), "cpu 0.93");
//! let mut out = Vec::new();
//! Serializer::<&str>::serialize(&mut text, &"ok", &mut out).unwrap();
//! assert_eq!(out, b"ok");
//! ```

/// Bytes to a record.
pub trait Deserializer: Clone + Send + 'static {
    /// The record a message's bytes become.
    type Out: Send + 'static;
    /// The record these bytes hold, or why they hold none.
    fn deserialize(&mut self, bytes: &[u8]) -> Result<Self::Out, String>;
}

/// A record to bytes, appended to `out`.
pub trait Serializer<T>: Clone + Send + 'static {
    /// Appends `value`'s bytes to `out`, or says why it cannot be written.
    fn serialize(&mut self, value: &T, out: &mut Vec<u8>) -> Result<(), String>;
}

/// UTF-8 text (Flink's `SimpleStringSchema`): a record is a `String`; any `AsRef<str>`
/// writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text;

impl Deserializer for Text {
    type Out = String;
    fn deserialize(&mut self, bytes: &[u8]) -> Result<String, String> {
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| format!("not UTF-8 text: {e}"))
    }
}

impl<T: AsRef<str>> Serializer<T> for Text {
    fn serialize(&mut self, value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(value.as_ref().as_bytes());
        Ok(())
    }
}

/// Raw bytes, as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bytes;

impl Deserializer for Bytes {
    type Out = Vec<u8>;
    fn deserialize(&mut self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        Ok(bytes.to_vec())
    }
}

impl<T: AsRef<[u8]>> Serializer<T> for Bytes {
    fn serialize(&mut self, value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(value.as_ref());
        Ok(())
    }
}

#[cfg(feature = "json")]
pub use json::Json;

#[cfg(feature = "json")]
mod json {
    use super::{Deserializer, Serializer};
    use std::marker::PhantomData;

    /// JSON through serde, for any `Deserialize` or `Serialize` type (Flink's
    /// `JsonDeserializationSchema`): `Json::<Metric>::new()`.
    ///
    /// ```
    /// use rill::connectors::formats::{Deserializer, Json};
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Metric { host: String, value: f64 }
    /// let m = Json::<Metric>::new().deserialize(br#"{"host":"web-1","value":0.5}"#).unwrap();
    /// assert_eq!((m.host.as_str(), m.value), ("web-1", 0.5));
    /// assert!(Json::<Metric>::new().deserialize(b"{").unwrap_err().contains("EOF"));
    /// ```
    pub struct Json<T>(PhantomData<fn() -> T>);

    impl<T> Json<T> {
        /// The JSON format of records of type `T`.
        pub fn new() -> Self {
            Json(PhantomData)
        }
    }

    impl<T> Default for Json<T> {
        fn default() -> Self {
            Json::new()
        }
    }

    impl<T> Clone for Json<T> {
        fn clone(&self) -> Self {
            Json::new()
        }
    }

    impl<T> std::fmt::Debug for Json<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Json<{}>", std::any::type_name::<T>())
        }
    }

    impl<T: serde::de::DeserializeOwned + Send + 'static> Deserializer for Json<T> {
        type Out = T;
        fn deserialize(&mut self, bytes: &[u8]) -> Result<T, String> {
            serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))
        }
    }

    impl<T: serde::Serialize + 'static, U: 'static> Serializer<T> for Json<U> {
        fn serialize(&mut self, value: &T, out: &mut Vec<u8>) -> Result<(), String> {
            serde_json::to_writer(out, value).map_err(|e| format!("cannot write JSON: {e}"))
        }
    }
}
