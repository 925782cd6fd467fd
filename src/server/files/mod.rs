//! Where attachments' bytes live: the [`FileStore`] interface and its default, [`LocalFiles`],
//! a directory (`<data-dir>/files`). An object store (S3 and the like, through the
//! `object_store` crate) implements the same four calls; uploads are always staged on local
//! disk first, so their type can be sniffed and images decoded before anything is stored.
//!
//! Keys are attachment ids (`<id>`, and `<id>.thumbnail` for a thumbnail): random, so never
//! a path an uploader chose.

pub mod thumbnail;

use async_trait::async_trait;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use tokio::io::AsyncRead;

/// A stored file opened for reading: its bytes and length.
pub struct Blob {
    pub len: u64,
    pub body: Pin<Box<dyn AsyncRead + Send>>,
}

/// An upload being received: a file in the staging directory, deleted when dropped unless it
/// was handed to [`FileStore::put`].
pub struct Staged {
    path: PathBuf,
    kept: bool,
}

impl Staged {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The storage interface (errors are I/O errors; a missing key is `Ok(None)` or, for
/// `remove`, success).
#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// A new, empty staging file.
    async fn stage(&self) -> io::Result<(Staged, tokio::fs::File)>;
    /// Stores a finished upload under `key`.
    async fn put(&self, key: &str, staged: Staged) -> io::Result<()>;
    /// Stores `bytes` (a thumbnail) under `key`.
    async fn put_bytes(&self, key: &str, bytes: &[u8]) -> io::Result<()>;
    async fn get(&self, key: &str) -> io::Result<Option<Blob>>;
    async fn remove(&self, key: &str) -> io::Result<()>;
}

/// Files in a directory: `<root>/<first two characters of the key>/<key>`, staging in
/// `<root>/staging` (emptied at start: what is there is an upload a crash interrupted).
/// A stored file is renamed into place from staging, so it is whole or absent.
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let staging = root.join("staging");
        match tokio::fs::remove_dir_all(&staging).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        tokio::fs::create_dir_all(&staging).await?;
        Ok(Self { root })
    }

    fn path_of(&self, key: &str) -> io::Result<PathBuf> {
        let safe = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !key.starts_with('.');
        if !safe || key.len() < 2 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a file key: {key:?}"),
            ));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

#[async_trait]
impl FileStore for LocalFiles {
    async fn stage(&self) -> io::Result<(Staged, tokio::fs::File)> {
        let mut name = [0u8; 16];
        getrandom::fill(&mut name).map_err(io::Error::other)?;
        let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
        let path = self.root.join("staging").join(hex);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok((Staged { path, kept: false }, file))
    }

    async fn put(&self, key: &str, mut staged: Staged) -> io::Result<()> {
        let path = self.path_of(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(&staged.path, &path).await?;
        staged.kept = true;
        Ok(())
    }

    async fn put_bytes(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let (staged, mut file) = self.stage().await?;
        tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
        tokio::io::AsyncWriteExt::flush(&mut file).await?;
        drop(file);
        self.put(key, staged).await
    }

    async fn get(&self, key: &str) -> io::Result<Option<Blob>> {
        let path = self.path_of(key)?;
        match tokio::fs::File::open(&path).await {
            Ok(file) => {
                let len = file.metadata().await?.len();
                Ok(Some(Blob {
                    len,
                    body: Box::pin(file),
                }))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn remove(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path_of(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The key of an attachment's thumbnail.
pub fn thumbnail_key(id: &crate::files::AttachmentId) -> String {
    format!("{id}.thumbnail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn files_are_staged_then_stored_whole_and_keys_never_escape_the_root() {
        let dir = std::env::temp_dir().join(format!("palaver-files-{}", std::process::id()));
        let files = LocalFiles::open(&dir).await.unwrap();
        let (staged, mut f) = files.stage().await.unwrap();
        f.write_all(b"hello").await.unwrap();
        drop(f);
        files.put("abcdef", staged).await.unwrap();
        let mut blob = files.get("abcdef").await.unwrap().unwrap();
        assert_eq!(blob.len, 5);
        let mut s = String::new();
        blob.body.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "hello");
        // A dropped stage leaves nothing behind.
        let (staged, _f) = files.stage().await.unwrap();
        let path = staged.path().to_owned();
        drop(staged);
        assert!(!path.exists());
        for bad in ["../x", "..", "a/b", "", ".hidden", "x"] {
            assert!(files.get(bad).await.is_err(), "{bad}");
        }
        files.remove("abcdef").await.unwrap();
        files.remove("abcdef").await.unwrap();
        assert!(files.get("abcdef").await.unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
