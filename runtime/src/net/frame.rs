//! The wire format of an exchange between processes: one frame per [`Message`].
//!
//! ```text
//! frame     = length:u32 payload            (length of the payload in bytes)
//! payload   = channel:u32 kind:u8 body
//! kind 0    = count:u32 (timestamp:i64 value)*count   a batch of records
//! kind 1..5 = watermark:i64 | barrier:u64 | end of input | idle | active
//! ```
//!
//! A connection starts with a [`Handshake`] that names the consumer subtask and input it
//! feeds, and the job it belongs to, so that a connection from another job binary (or
//! another parallelism) is refused with a message rather than decoded into garbage.

use crate::api::codec::{Codec, DecodeError, Decoder};
use crate::core::element::{Control, Message, Record};

/// Frames above this size are a damaged stream, not a batch (a batch of 1,024 records of
/// a megabyte each would still fit).
pub const MAX_FRAME: usize = 1 << 30;

const RECORDS: u8 = 0;
const WATERMARK: u8 = 1;
const BARRIER: u8 = 2;
const END_OF_INPUT: u8 = 3;
const IDLE: u8 = 4;
const ACTIVE: u8 = 5;

/// Appends one frame holding `message`, sent on input channel `channel`, to `out`; a batch
/// whose frame would pass [`MAX_FRAME`] is an error that says so (and `out` is left as it
/// was).
pub fn encode_message<T: Codec>(channel: u32, message: &Message<T>, out: &mut Vec<u8>) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&channel.to_le_bytes());
    match message {
        Message::Records(batch) => {
            out.push(RECORDS);
            crate::api::codec::encode_len(batch.len(), out);
            for r in batch {
                out.extend_from_slice(&r.timestamp.to_le_bytes());
                r.value.encode(out);
            }
        }
        Message::Encoded(batch) => {
            // Already in the frame's record format.
            out.push(RECORDS);
            crate::api::codec::encode_len(batch.count, out);
            out.extend_from_slice(&batch.bytes);
        }
        Message::Control(c) => match *c {
            Control::Watermark(w) => {
                out.push(WATERMARK);
                out.extend_from_slice(&w.to_le_bytes());
            }
            Control::Barrier(id) => {
                out.push(BARRIER);
                out.extend_from_slice(&id.to_le_bytes());
            }
            Control::EndOfInput => out.push(END_OF_INPUT),
            Control::Idle => out.push(IDLE),
            Control::Active => out.push(ACTIVE),
            // A task's own notice: exchanges never send it (see `Channels::broadcast_control`).
            Control::CheckpointComplete(_) | Control::FinalSnapshot => {
                out.truncate(start);
                return Err("a checkpoint's completion is not sent over an exchange".into());
            }
        },
    }
    let bytes = out.len() - start - 4;
    let Some(len) = u32::try_from(bytes).ok().filter(|n| (*n as usize) <= MAX_FRAME) else {
        out.truncate(start);
        return Err(format!(
            "a batch of {bytes} bytes cannot cross an exchange (at most {MAX_FRAME} bytes a frame): make records smaller"
        ));
    };
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Decodes a frame's payload (without its length) into the channel and the message.
pub fn decode_message<T: Codec>(payload: &[u8]) -> Result<(u32, Message<T>), DecodeError> {
    let mut d = Decoder::new(payload);
    let channel = u32::decode(&mut d)?;
    let message = match u8::decode(&mut d)? {
        RECORDS => {
            // Each record takes at least its 8-byte timestamp.
            let n = d.len(8, "a batch's record count")?;
            let mut batch = Vec::with_capacity(n);
            for _ in 0..n {
                let timestamp = i64::decode(&mut d)?;
                batch.push(Record { value: T::decode(&mut d)?, timestamp });
            }
            Message::Records(batch)
        }
        WATERMARK => Message::Control(Control::Watermark(i64::decode(&mut d)?)),
        BARRIER => Message::Control(Control::Barrier(u64::decode(&mut d)?)),
        END_OF_INPUT => Message::Control(Control::EndOfInput),
        IDLE => Message::Control(Control::Idle),
        ACTIVE => Message::Control(Control::Active),
        k => return Err(DecodeError(format!("unknown frame kind {k}"))),
    };
    if d.remaining() != 0 {
        return Err(DecodeError(format!("{} bytes left over after a frame", d.remaining())));
    }
    Ok((channel, message))
}

const MAGIC: &[u8; 4] = b"RILL";
const VERSION: u16 = 1;

/// The first bytes on a connection: who sends, which consumer subtask input it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake {
    /// A fingerprint of the job and its parallelism: both ends must run the same plan.
    pub job: u64,
    /// The sending process.
    pub from_process: u32,
    /// The consumer chain.
    pub chain: u32,
    /// Its input (0, or 1 for the second of a two-input chain).
    pub input: u8,
    /// The consumer subtask.
    pub subtask: u32,
}

impl Handshake {
    /// Its length on the wire.
    pub const LEN: usize = 4 + 2 + 8 + 4 + 4 + 1 + 4;

    /// Its bytes on the wire.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.job.to_le_bytes());
        out.extend_from_slice(&self.from_process.to_le_bytes());
        out.extend_from_slice(&self.chain.to_le_bytes());
        out.push(self.input);
        out.extend_from_slice(&self.subtask.to_le_bytes());
        out.try_into().expect("handshake length")
    }

    /// Reads a handshake, refusing one that is not of this version.
    pub fn decode(bytes: &[u8; Self::LEN]) -> Result<Self, DecodeError> {
        if &bytes[..4] != MAGIC {
            return Err(DecodeError("not a Rill exchange connection (bad magic bytes)".into()));
        }
        let mut d = Decoder::new(&bytes[4..]);
        let version = u16::decode(&mut d)?;
        if version != VERSION {
            return Err(DecodeError(format!("exchange protocol version {version}, this binary speaks {VERSION}")));
        }
        Ok(Handshake {
            job: u64::decode(&mut d)?,
            from_process: u32::decode(&mut d)?,
            chain: u32::decode(&mut d)?,
            input: u8::decode(&mut d)?,
            subtask: u32::decode(&mut d)?,
        })
    }
}

/// FNV-1a: a stable fingerprint (std's hasher is randomly seeded per process).
pub fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(channel: u32, message: Message<(String, i64)>) -> (u32, Message<(String, i64)>) {
        let mut bytes = Vec::new();
        encode_message(channel, &message, &mut bytes).unwrap();
        let len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert_eq!(len, bytes.len() - 4);
        decode_message(&bytes[4..]).unwrap()
    }

    #[test]
    fn an_encoded_batch_is_framed_as_the_records_it_holds() {
        let mut batch = crate::core::element::EncodedBatch::<(String, i64)>::with_capacity(0);
        let records = [(("a".to_owned(), 1i64), 5i64), (("bc".to_owned(), 2), 6)];
        for (v, ts) in &records {
            batch.push(v, *ts);
        }
        let mut bytes = Vec::new();
        encode_message(3, &Message::Encoded(batch), &mut bytes).unwrap();
        let (channel, message) = decode_message::<(String, i64)>(&bytes[4..]).unwrap();
        assert_eq!(channel, 3);
        let Message::Records(got) = message else { panic!("{message:?}") };
        let want: Vec<_> = records.iter().map(|(v, ts)| Record { value: v.clone(), timestamp: *ts }).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn batches_and_control_elements_round_trip() {
        let batch = vec![
            Record { value: ("flink".to_owned(), 3), timestamp: 1_000 },
            Record { value: ("hello".to_owned(), -1), timestamp: crate::NO_TIMESTAMP },
        ];
        match round_trip(7, Message::Records(batch.clone())) {
            (7, Message::Records(got)) => assert_eq!(got, batch),
            other => panic!("{other:?}"),
        }
        for c in [
            Control::Watermark(-5),
            Control::Watermark(crate::MAX_WATERMARK),
            Control::Barrier(42),
            Control::EndOfInput,
            Control::Idle,
            Control::Active,
        ] {
            match round_trip(1, Message::Control(c)) {
                (1, Message::Control(got)) => assert_eq!(got, c),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn damaged_frames_are_errors() {
        let mut bytes = Vec::new();
        encode_message(0, &Message::Records(vec![Record { value: ("a".to_owned(), 1i64), timestamp: 0 }]), &mut bytes)
            .unwrap();
        let payload = &bytes[4..];
        let cut = decode_message::<(String, i64)>(&payload[..payload.len() - 3]).unwrap_err();
        assert!(cut.0.contains("i64: needs 8 bytes"), "{cut}");
        let mut kind = payload.to_vec();
        kind[4] = 9;
        assert!(decode_message::<(String, i64)>(&kind).unwrap_err().0.contains("unknown frame kind 9"));
    }

    #[test]
    fn handshakes_round_trip_and_refuse_strangers() {
        let h = Handshake { job: fingerprint("word_count"), from_process: 1, chain: 2, input: 1, subtask: 3 };
        assert_eq!(Handshake::decode(&h.encode()).unwrap(), h);
        let mut http = h.encode();
        http[..4].copy_from_slice(b"GET ");
        assert!(Handshake::decode(&http).unwrap_err().0.contains("not a Rill exchange"));
    }
}
