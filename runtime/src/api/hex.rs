//! Text as hex digits, so that any text (an argument, a metric's name) travels inside one
//! word of a line-based protocol.

/// `text`'s bytes as lowercase hex digits.
pub(crate) fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// What [`hex`] made; `None` if `hex` is not hex digits of UTF-8 text.
pub(crate) fn unhex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    let bytes =
        (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect::<Option<_>>()?;
    String::from_utf8(bytes).ok()
}
