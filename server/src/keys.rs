//! The JWT signing key: from configuration, or generated once and kept in the data directory.
//! There is no compiled-in fallback.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::io::Write;
use std::path::Path;

pub const KEY_FILE: &str = "jwt.key";

pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, String> {
    if let Some(key) = configured {
        if key.len() < 32 {
            return Err("PALAVER_JWT_KEY must be at least 32 bytes long".into());
        }
        return Ok(key.as_bytes().to_vec());
    }
    let path = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = STANDARD
                .decode(text.trim())
                .map_err(|e| format!("{} is not valid base64: {e}", path.display()))?;
            if key.len() < 32 {
                return Err(format!("{} holds fewer than 32 bytes", path.display()));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = palaver::server::auth::random_bytes(32);
            write_private(&path, STANDARD.encode(&key).as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new JWT signing key");
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Creates the file readable by its owner only, failing if it already exists (two nodes
/// starting at once must not overwrite each other's key).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_256_bits_persisted_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.len(), 32);
        let again = load_or_create(None, dir.path()).unwrap();
        assert_eq!(first, again, "the key must survive a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn configured_key_must_be_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_or_create(Some("short"), dir.path()).is_err());
        let key = "k".repeat(32);
        assert_eq!(
            load_or_create(Some(&key), dir.path()).unwrap(),
            key.as_bytes()
        );
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "a configured key is not written to disk"
        );
    }

    #[test]
    fn corrupt_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not base64!!").unwrap();
        assert!(load_or_create(None, dir.path()).is_err());
    }
}
