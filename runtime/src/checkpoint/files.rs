//! Where checkpoint and savepoint files live: a local directory, or an object store named by
//! URL (`s3://bucket/prefix`, with rill's `s3` feature), as Flink's `state.checkpoints.dir`
//! takes either. Paths stay [`Path`]s everywhere else (a URL joins like a directory), and
//! only this module tells the two apart.
//!
//! An object store has no directories and no rename: a "directory" is a key prefix, and
//! `_metadata` completes a checkpoint by being the last object written (a PUT is atomic:
//! the object is there whole or not at all, and so is a multipart upload, which large files
//! take).
//!
//! S3 is reached through the `object_store` crate, configured as the AWS tools are, from
//! the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, and
//! `AWS_ENDPOINT` with `AWS_ALLOW_HTTP=true` for an S3-compatible server (MinIO, moto).

use std::io::{self, Write};
use std::path::Path;

/// Where a path points.
enum Place<'a> {
    Local(&'a Path),
    /// `s3://bucket/key`: the bucket's URL and the key.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    S3 {
        bucket: &'a str,
        key: &'a str,
    },
}

fn place(path: &Path) -> io::Result<Place<'_>> {
    let Some(text) = path.to_str() else { return Ok(Place::Local(path)) };
    let Some((scheme, rest)) = text.split_once("://") else { return Ok(Place::Local(path)) };
    if scheme != "s3" {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{text}: checkpoints go to a local directory or to s3://bucket/prefix, not to {scheme}://"),
        ));
    }
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{text}: no bucket (s3://bucket/prefix)")));
    }
    Ok(Place::S3 { bucket, key: key.trim_matches('/') })
}

/// Writes a file (a task's state, a worker's share): not synced, since `_metadata` holds its
/// CRC and a file lost with the machine's power fails it.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match place(path)? {
        Place::Local(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, bytes)
        }
        Place::S3 { bucket, key } => s3::put(bucket, key, bytes),
    }
}

/// Writes a file that must be there whole or not at all (`_metadata`, a worker's list):
/// locally under a temporary name, synced, renamed into place, the directory synced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match place(path)? {
        Place::Local(path) => {
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".inprogress");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Place::S3 { bucket, key } => s3::put(bucket, key, bytes),
    }
}

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    match place(path)? {
        Place::Local(path) => std::fs::read(path),
        Place::S3 { bucket, key } => s3::get(bucket, key),
    }
}

/// Whether a file is there.
pub(crate) fn is_file(path: &Path) -> bool {
    match place(path) {
        Ok(Place::Local(path)) => path.is_file(),
        Ok(Place::S3 { bucket, key }) => s3::exists(bucket, key),
        Err(_) => false,
    }
}

/// The names of the entries directly under a directory (none if it is not there).
pub(crate) fn children(dir: &Path) -> Vec<String> {
    match place(dir) {
        Ok(Place::Local(dir)) => std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default(),
        Ok(Place::S3 { bucket, key }) => s3::children(bucket, key).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Removes a directory and everything under it, as far as it can.
pub(crate) fn remove_all(dir: &Path) {
    match place(dir) {
        Ok(Place::Local(dir)) => {
            let _ = std::fs::remove_dir_all(dir);
        }
        Ok(Place::S3 { bucket, key }) => {
            let _ = s3::remove_prefix(bucket, key);
        }
        Err(_) => {}
    }
}

/// Makes sure checkpoints can be written under `dir` before the job starts, as Flink sets
/// up its checkpoint storage at submission: a local directory is created, a bucket is
/// listed (a missing bucket or credentials that do not reach it fail here, not at the
/// first checkpoint).
pub(crate) fn prepare(dir: &Path) -> io::Result<()> {
    match place(dir)? {
        Place::Local(dir) => std::fs::create_dir_all(dir),
        Place::S3 { bucket, key } => s3::children(bucket, key).map(drop),
    }
}

/// Whether checkpoints can go to `path` at all (a flag's value, checked before the job
/// starts): a local path, or `s3://bucket/..` in a binary built with S3 support.
pub(crate) fn check(path: &Path) -> Result<(), String> {
    match place(path).map_err(|e| e.to_string())? {
        Place::Local(_) => Ok(()),
        #[cfg(feature = "s3")]
        Place::S3 { .. } => Ok(()),
        #[cfg(not(feature = "s3"))]
        Place::S3 { bucket, .. } => Err(s3::missing(bucket).to_string()),
    }
}

#[cfg(not(feature = "s3"))]
mod s3 {
    use std::io;

    pub(super) fn missing(bucket: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            format!("s3://{bucket}: this binary was built without S3 support (enable rill's `s3` feature)"),
        )
    }

    pub(super) fn put(bucket: &str, _: &str, _: &[u8]) -> io::Result<()> {
        Err(missing(bucket))
    }
    pub(super) fn get(bucket: &str, _: &str) -> io::Result<Vec<u8>> {
        Err(missing(bucket))
    }
    pub(super) fn exists(_: &str, _: &str) -> bool {
        false
    }
    pub(super) fn children(bucket: &str, _: &str) -> io::Result<Vec<String>> {
        Err(missing(bucket))
    }
    pub(super) fn remove_prefix(bucket: &str, _: &str) -> io::Result<()> {
        Err(missing(bucket))
    }
}

#[cfg(feature = "s3")]
mod s3 {
    //! Blocking calls on `object_store`'s async API: each runs on a thread of its own with a
    //! runtime of its own, since callers may be inside a task's runtime, where blocking on
    //! another future would panic. Checkpoint files are few and large, so a thread per call
    //! costs nothing that shows.

    use object_store::aws::AmazonS3Builder;
    use object_store::path::Path as Key;
    use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
    use std::collections::HashMap;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// One client per bucket, made on first use.
    fn store(bucket: &str) -> io::Result<Arc<dyn ObjectStore>> {
        static STORES: Mutex<Option<HashMap<String, Arc<dyn ObjectStore>>>> = Mutex::new(None);
        let mut stores = STORES.lock().unwrap_or_else(|e| e.into_inner());
        let stores = stores.get_or_insert_with(HashMap::new);
        if let Some(store) = stores.get(bucket) {
            return Ok(store.clone());
        }
        let store: Arc<dyn ObjectStore> = Arc::new(
            AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| io::Error::other(format!("s3://{bucket}: {e}")))?,
        );
        stores.insert(bucket.to_owned(), store.clone());
        Ok(store)
    }

    /// Runs `f` on the bucket's client to its end, on a thread and runtime of its own.
    fn call<T: Send, F>(bucket: &str, key: &str, f: impl FnOnce(Arc<dyn ObjectStore>, Key) -> F + Send) -> io::Result<T>
    where
        F: std::future::Future<Output = object_store::Result<T>>,
    {
        let store = store(bucket)?;
        let what = format!("s3://{bucket}/{key}");
        let key = Key::from(key);
        std::thread::scope(|s| {
            s.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(f(store, key)).map_err(|e| match e {
                    object_store::Error::NotFound { .. } => io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{what}: not found (is there a bucket named {bucket}?)"),
                    ),
                    e => io::Error::other(format!("{what}: {e}")),
                })
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other(format!("{what}: the S3 client panicked"))))
        })
    }

    /// A file larger than this goes up in parts: S3 takes at most 5 GiB in one PUT, and a
    /// part that fails is all that is lost (Flink's S3 file systems upload the same way).
    const ONE_PUT_UP_TO: usize = 64 << 20;
    /// The size of a part (S3 wants at least 5 MiB for every part but the last).
    const PART: usize = 16 << 20;
    /// Parts sent at once: enough to keep a link busy, few enough to bound the memory.
    const PARTS_IN_FLIGHT: usize = 4;

    pub(super) fn put(bucket: &str, key: &str, bytes: &[u8]) -> io::Result<()> {
        put_sized(bucket, key, bytes, ONE_PUT_UP_TO, PART)
    }

    /// [`put`] with its sizes given: one PUT up to `one_put_up_to` bytes, else a multipart
    /// upload in `part`-sized parts, aborted (its parts deleted) if one fails.
    pub(super) fn put_sized(
        bucket: &str,
        key: &str,
        bytes: &[u8],
        one_put_up_to: usize,
        part: usize,
    ) -> io::Result<()> {
        if bytes.len() <= one_put_up_to {
            let payload = PutPayload::from(bytes.to_vec());
            return call(bucket, key, |store, key| async move { store.put(&key, payload).await.map(drop) });
        }
        call(bucket, key, |store, key| async move {
            let mut upload = WriteMultipart::new_with_chunk_size(store.put_multipart(&key).await?, part);
            for chunk in bytes.chunks(part) {
                if let Err(e) = upload.wait_for_capacity(PARTS_IN_FLIGHT).await {
                    let _ = upload.abort().await;
                    return Err(e);
                }
                upload.write(chunk);
            }
            upload.finish().await.map(drop)
        })
    }

    pub(super) fn get(bucket: &str, key: &str) -> io::Result<Vec<u8>> {
        call(bucket, key, |store, key| async move { Ok(store.get(&key).await?.bytes().await?.to_vec()) })
    }

    /// The object's ETag.
    #[cfg(test)]
    pub(super) fn e_tag(bucket: &str, key: &str) -> io::Result<String> {
        call(bucket, key, |store, key| async move { Ok(store.head(&key).await?.e_tag.unwrap_or_default()) })
    }

    pub(super) fn exists(bucket: &str, key: &str) -> bool {
        call(bucket, key, |store, key| async move { store.head(&key).await.map(drop) }).is_ok()
    }

    pub(super) fn children(bucket: &str, key: &str) -> io::Result<Vec<String>> {
        call(bucket, key, |store, key| async move {
            let listed = store.list_with_delimiter(Some(&key)).await?;
            let dirs = listed.common_prefixes.into_iter().filter_map(|p| p.filename().map(str::to_owned));
            let files = listed.objects.into_iter().filter_map(|o| o.location.filename().map(str::to_owned));
            Ok(dirs.chain(files).collect())
        })
    }

    pub(super) fn remove_prefix(bucket: &str, key: &str) -> io::Result<()> {
        call(bucket, key, |store, key| async move {
            use futures_util::StreamExt;
            let mut listed = store.list(Some(&key));
            while let Some(object) = listed.next().await {
                store.delete(&object?.location).await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file over the single-PUT size goes up in parts, to the S3-compatible store that
    /// `scripts/test` starts (`RILL_S3_ENDPOINT`), and reads back whole.
    #[cfg(feature = "s3")]
    #[test]
    fn a_large_file_goes_to_s3_in_parts_and_reads_back_whole() {
        use std::io::Read;
        let endpoint = std::env::var("RILL_S3_ENDPOINT").unwrap_or_else(|_| {
            panic!(
                "RILL_S3_ENDPOINT is not set: run the tests with ./scripts/test, which starts an S3-compatible server"
            )
        });
        for (k, v) in [
            ("AWS_ENDPOINT", endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "rill-test"),
            ("AWS_SECRET_ACCESS_KEY", "rill-test"),
        ] {
            std::env::set_var(k, v);
        }
        let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let bucket = format!("parts-{}", std::process::id());
        let mut conn = std::net::TcpStream::connect(host).unwrap();
        write!(conn, "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "creating bucket {bucket}: {answer}");

        let bytes: Vec<u8> = (0..12u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        s3::put_sized(&bucket, "chk-1/state", &bytes, 1 << 20, 5 << 20).unwrap();
        assert!(s3::get(&bucket, "chk-1/state").unwrap() == bytes, "the file reads back as written");
        // S3 marks an object uploaded in N parts with an ETag ending in "-N".
        let tag = s3::e_tag(&bucket, "chk-1/state").unwrap();
        assert!(tag.trim_matches('"').ends_with("-3"), "three parts: {tag}");
        s3::put_sized(&bucket, "chk-1/small", b"small", 1 << 20, 5 << 20).unwrap();
        let tag = s3::e_tag(&bucket, "chk-1/small").unwrap();
        assert!(!tag.contains('-'), "one PUT: {tag}");
    }

    #[test]
    fn urls_name_a_bucket_and_a_key_and_paths_a_directory() {
        assert!(matches!(place(Path::new("/var/lib/rill")).unwrap(), Place::Local(_)));
        assert!(matches!(place(Path::new("checkpoints/x")).unwrap(), Place::Local(_)));
        let url = Path::new("s3://bucket/some/prefix/").join("chk-3");
        match place(&url).unwrap() {
            Place::S3 { bucket, key } => assert_eq!((bucket, key), ("bucket", "some/prefix/chk-3")),
            Place::Local(_) => panic!("local"),
        }
        assert!(matches!(place(Path::new("s3://bucket")).unwrap(), Place::S3 { bucket: "bucket", key: "" }));
        let err = place(Path::new("gs://bucket/x")).err().unwrap().to_string();
        assert!(err.contains("not to gs://"), "{err}");
        assert!(place(Path::new("s3:///x")).is_err());
    }

    #[test]
    fn a_local_atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/_metadata");
        write_atomic(&path, b"done").unwrap();
        assert_eq!(read(&path).unwrap(), b"done");
        assert_eq!(children(&dir.path().join("a/b")), ["_metadata"]);
        remove_all(&dir.path().join("a"));
        assert!(!is_file(&path));
    }
}
