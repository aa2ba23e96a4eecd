//! Mutual authentication of the connections between the processes of a job: every control
//! and exchange connection starts with a challenge-response on a per-job secret, so a
//! process that does not hold the secret (another local user, a port scanner, another job)
//! learns nothing and is refused before it can send or receive a record.
//!
//! The secret is 32 random bytes from the operating system, made by the process that starts
//! the job and handed to its workers out of band: in their environment
//! ([`SECRET_ENV`]), which only their user can read, never on the command line, which every
//! user can. A worker takes it out of its environment as it starts.
//!
//! ```text
//! client → server   "RILLAUTH" nonce_c                      (24 bytes)
//! server → client   nonce_s  HMAC(secret, "server" nonce_c nonce_s)   (48 bytes)
//! client → server            HMAC(secret, "client" nonce_c nonce_s)   (32 bytes)
//! ```
//!
//! Both sides prove the secret on fresh nonces (no replay), every read has a fixed length
//! (nothing from the wire sizes an allocation), and tags are compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{Read, Write};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The environment variable a worker finds the job's secret in (hex).
pub const SECRET_ENV: &str = "RILL_JOB_SECRET";

/// How long a connecting peer has to prove itself before it is dropped.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(5);

const MAGIC: &[u8; 8] = b"RILLAUTH";
const NONCE: usize = 16;
const TAG: usize = 32;
const HELLO: usize = MAGIC.len() + NONCE;
const REPLY: usize = NONCE + TAG;

/// A job's shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A new secret from the operating system's random source.
    pub fn generate() -> std::io::Result<Secret> {
        let mut bytes = [0u8; 32];
        random(&mut bytes)?;
        Ok(Secret(bytes))
    }

    /// The secret as its hex form, to hand to a worker.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A secret from its hex form.
    pub fn from_hex(hex: &str) -> Result<Secret, String> {
        let bad = || format!("the job secret must be 64 hex digits ({SECRET_ENV})");
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Secret(bytes))
    }

    /// This worker's secret, taken out of its environment so that nothing it starts inherits it.
    pub fn from_env() -> Result<Secret, String> {
        let hex = std::env::var(SECRET_ENV).map_err(|_| {
            format!("no job secret in {SECRET_ENV}: a worker is started by its job's coordinator, which hands it one")
        })?;
        std::env::remove_var(SECRET_ENV);
        Secret::from_hex(&hex)
    }

    fn tag(&self, role: &[u8], client: &[u8], server: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(role);
        mac.update(client);
        mac.update(server);
        mac
    }
}

/// Fills `bytes` from the operating system's random source.
fn random(bytes: &mut [u8]) -> std::io::Result<()> {
    std::fs::File::open("/dev/urandom")?.read_exact(bytes)
}

fn nonce() -> std::io::Result<[u8; NONCE]> {
    let mut n = [0u8; NONCE];
    random(&mut n)?;
    Ok(n)
}

/// The client's first message.
fn hello(client: &[u8; NONCE]) -> [u8; HELLO] {
    let mut out = [0u8; HELLO];
    out[..MAGIC.len()].copy_from_slice(MAGIC);
    out[MAGIC.len()..].copy_from_slice(client);
    out
}

/// The server's answer to a hello: its nonce and its proof; the client's nonce.
fn reply(secret: &Secret, hello: &[u8; HELLO], server: &[u8; NONCE]) -> Result<([u8; REPLY], [u8; NONCE]), String> {
    if &hello[..MAGIC.len()] != MAGIC {
        return Err("it does not speak Rill's authenticated protocol".into());
    }
    let client: [u8; NONCE] = hello[MAGIC.len()..].try_into().expect("nonce length");
    let mut out = [0u8; REPLY];
    out[..NONCE].copy_from_slice(server);
    out[NONCE..].copy_from_slice(&secret.tag(b"server", &client, server).finalize().into_bytes());
    Ok((out, client))
}

/// The client checks the server's proof and answers with its own.
fn finish(secret: &Secret, client: &[u8; NONCE], reply: &[u8; REPLY]) -> Result<[u8; TAG], String> {
    let server = &reply[..NONCE];
    secret
        .tag(b"server", client, server)
        .verify_slice(&reply[NONCE..])
        .map_err(|_| "it does not hold this job's secret".to_owned())?;
    Ok(secret.tag(b"client", client, server).finalize().into_bytes().into())
}

/// The server checks the client's proof.
fn check(secret: &Secret, client: &[u8; NONCE], server: &[u8; NONCE], proof: &[u8; TAG]) -> Result<(), String> {
    secret
        .tag(b"client", client, server)
        .verify_slice(proof)
        .map_err(|_| "it does not hold this job's secret".to_owned())
}

fn io(e: std::io::Error) -> String {
    format!("the connection failed while proving the job's secret ({e})")
}

/// The connecting side, on a blocking socket: proves the secret and checks that the other
/// side holds it too.
pub fn client(stream: &mut (impl Read + Write), secret: &Secret) -> Result<(), String> {
    let n = nonce().map_err(io)?;
    stream.write_all(&hello(&n)).map_err(io)?;
    let mut answer = [0u8; REPLY];
    stream.read_exact(&mut answer).map_err(io)?;
    let proof = finish(secret, &n, &answer)?;
    stream.write_all(&proof).map_err(io)
}

/// The accepting side, on a blocking socket.
pub fn server(stream: &mut (impl Read + Write), secret: &Secret) -> Result<(), String> {
    let mut first = [0u8; HELLO];
    stream.read_exact(&mut first).map_err(io)?;
    let s = nonce().map_err(io)?;
    let (answer, c) = reply(secret, &first, &s)?;
    stream.write_all(&answer).map_err(io)?;
    let mut proof = [0u8; TAG];
    stream.read_exact(&mut proof).map_err(io)?;
    check(secret, &c, &s, &proof)
}

/// The connecting side, on an async socket.
pub async fn client_async(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), secret: &Secret) -> Result<(), String> {
    let n = nonce().map_err(io)?;
    stream.write_all(&hello(&n)).await.map_err(io)?;
    let mut answer = [0u8; REPLY];
    stream.read_exact(&mut answer).await.map_err(io)?;
    let proof = finish(secret, &n, &answer)?;
    stream.write_all(&proof).await.map_err(io)
}

/// The accepting side, on an async socket.
pub async fn server_async(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), secret: &Secret) -> Result<(), String> {
    let mut first = [0u8; HELLO];
    stream.read_exact(&mut first).await.map_err(io)?;
    let s = nonce().map_err(io)?;
    let (answer, c) = reply(secret, &first, &s)?;
    stream.write_all(&answer).await.map_err(io)?;
    let mut proof = [0u8; TAG];
    stream.read_exact(&mut proof).await.map_err(io)?;
    check(secret, &c, &s, &proof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    /// Runs the server side on one end of a loopback connection and `peer` on the other.
    fn against(
        server_secret: Secret,
        peer: impl FnOnce(&mut TcpStream) -> Result<(), String> + Send + 'static,
    ) -> (Result<(), String>, Result<(), String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            peer(&mut stream)
        });
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let served = server(&mut stream, &server_secret);
        drop(stream);
        (served, peer.join().unwrap())
    }

    #[test]
    fn processes_with_the_same_secret_accept_each_other() {
        let secret = Secret::generate().unwrap();
        let theirs = secret.clone();
        let (served, connected) = against(secret, move |s| client(s, &theirs));
        assert_eq!((served, connected), (Ok(()), Ok(())));
    }

    #[test]
    fn a_peer_without_the_secret_is_refused_and_refuses_in_turn() {
        let (served, connected) = against(Secret::generate().unwrap(), |s| client(s, &Secret::generate().unwrap()));
        // The client sees first that the server does not hold its secret, and stops.
        assert_eq!(connected.unwrap_err(), "it does not hold this job's secret");
        assert!(served.is_err());
    }

    #[test]
    fn a_peer_that_sends_anything_else_or_nothing_is_refused() {
        let (served, _) = against(Secret::generate().unwrap(), |s| {
            s.write_all(b"hello 1 127.0.0.1:9999\n__padding___").map_err(|e| e.to_string())
        });
        assert!(served.unwrap_err().contains("does not speak Rill's authenticated protocol"));
        // Silent: the read times out, the connection is dropped.
        let (served, _) = against(Secret::generate().unwrap(), |_| {
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        });
        assert!(served.unwrap_err().contains("the connection failed while proving"));
    }

    #[test]
    fn a_worker_takes_its_secret_out_of_its_environment() {
        let secret = Secret::generate().unwrap();
        std::env::set_var(SECRET_ENV, secret.to_hex());
        assert_eq!(Secret::from_env().unwrap(), secret);
        // Gone, so nothing the worker starts inherits it; and without one, a clear message.
        assert!(std::env::var(SECRET_ENV).is_err());
        assert!(Secret::from_env().unwrap_err().contains("started by its job's coordinator"));
    }

    #[test]
    fn secrets_travel_as_hex_and_are_never_printed() {
        let secret = Secret::generate().unwrap();
        assert_eq!(Secret::from_hex(&secret.to_hex()).unwrap(), secret);
        assert!(Secret::from_hex("zz").is_err());
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        assert_ne!(Secret::generate().unwrap(), secret);
    }
}
