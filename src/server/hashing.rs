//! Argon2id password hashing with bounded memory (SECURITY 1, 26).
//!
//! Hashes run on their own threads, one per core, fed by a bounded queue: a burst of
//! sign-ins waits its turn or is refused with `Busy`, never computed all at once. Each
//! thread keeps one Argon2 work area (19 MiB at OWASP's parameters) and reuses it: the
//! `argon2` crate's convenience API allocates it per hash, and under a burst the allocator
//! then keeps fragments of many of them (measured here: +350 MiB after 70 hashes on two
//! threads). The PHC strings are built and parsed with the `password-hash` types, and the
//! comparison is its constant-time `Output` equality.

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("blocking task failed: {0}")]
    Join(String),
    /// More password hashes are waiting than [`QUEUE_PER_CORE`] per core
    /// allows.
    #[error("too many password checks waiting")]
    Busy,
}

/// Hashes waiting for a core, per core, before more are refused: a burst queues for at most
/// about this many hash times (tens of milliseconds each).
pub const QUEUE_PER_CORE: usize = 32;

/// OWASP's Argon2id minimum: m = 19 MiB, t = 2, p = 1.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("static Argon2 parameters are valid")
}

fn hash_error(e: impl std::fmt::Display) -> AuthError {
    AuthError::Hash(e.to_string())
}

type Job = Box<dyn FnOnce() + Send>;

fn queue() -> &'static std::sync::mpsc::SyncSender<Job> {
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::SyncSender<Job>> =
        std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, waiting) = std::sync::mpsc::sync_channel::<Job>(cores * QUEUE_PER_CORE);
        let waiting = std::sync::Arc::new(std::sync::Mutex::new(waiting));
        for i in 0..cores {
            let waiting = waiting.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match waiting.lock() {
                        Ok(w) => w.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        jobs
    })
}

/// Runs `work` on a hashing thread; `Busy` when the queue is full.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
) -> Result<T, AuthError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    match queue().try_send(job) {
        Ok(()) => {}
        Err(std::sync::mpsc::TrySendError::Full(_)) => return Err(AuthError::Busy),
        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
            return Err(AuthError::Join("no password hashing thread".into()))
        }
    }
    rx.await
        .map_err(|_| AuthError::Join("password hashing thread stopped".into()))?
}

thread_local! {
    /// This thread's Argon2 work area, grown to the largest `m` seen and reused.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn with_blocks<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        f(&mut blocks[..count])
    })
}

fn compute(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), AuthError> {
    with_blocks(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password, salt, out, blocks)
    })
    .map_err(hash_error)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) for `password`, with a
/// fresh random salt. Call on a hashing thread ([`run`]).
pub fn hash(password: &[u8]) -> Result<String, AuthError> {
    let params = params();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(hash_error)?;
    let mut out = [0u8; 32];
    compute(&argon, &params, password, salt_bytes, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hash_error)?,
        salt: Some(Salt::from(&salt)),
        hash: Some(Output::new(&out).map_err(hash_error)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc` (any Argon2 variant, version and
/// parameters it names). Call on a hashing thread ([`run`]).
pub fn verify(password: &[u8], phc: &str) -> Result<bool, AuthError> {
    let parsed = PasswordHash::new(phc).map_err(hash_error)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(hash_error)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(hash_error)?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(hash_error)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(AuthError::Hash("PHC string without salt or hash".into()));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    compute(&argon, &params, password, salt_bytes, &mut out)?;
    Ok(Output::new(&out).map_err(hash_error)? == expected)
}

/// A valid Argon2id hash of a random password, made once per process: unknown users are
/// checked against it so that they take as long as known ones.
pub fn dummy_hash() -> Result<String, AuthError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h.clone());
    }
    // A random salt string is as good a random password as any.
    let made = hash(SaltString::generate(&mut OsRng).as_str().as_bytes())?;
    Ok(DUMMY.get_or_init(|| made).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[test]
    fn hashes_are_standard_phc_strings_that_argon2_itself_verifies() {
        let phc = hash(b"correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(verify(b"correct horse", &phc).unwrap());
        assert!(!verify(b"wrong horse", &phc).unwrap());
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_verify_with_other_parameters_too() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let small = Params::new(8 * 1024, 1, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, small)
            .hash_password(b"pw-123456", &salt)
            .unwrap()
            .to_string();
        assert!(verify(b"pw-123456", &theirs).unwrap());
        assert!(!verify(b"pw-1234567", &theirs).unwrap());
        assert!(verify(b"x", "not a phc string").is_err());
    }
}
