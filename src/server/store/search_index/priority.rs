//! The index connection's thread runs at the lowest CPU priority: applying the log, and the
//! merges of index segments FTS5 does inside some of those commits (milliseconds each on a
//! large index), use the time the chat's own threads leave. On a server with one core they
//! would otherwise share it half and half with whatever sends and deliveries are due then
//! (the load bench pins the server to one core: the acks' tail after 150,000 messages was
//! those merges). Databases treat their background compaction the same way (RocksDB's
//! `Env::LowerThreadPoolCPUPriority`). Nice 19 rather than `SCHED_IDLE`: a saturated machine
//! still gives the thread about 1.5% of a core (CFS weight 15 against 1,024; `SCHED_IDLE`'s
//! weight 3 leaves a fifth of that), so the index falls behind but keeps going, and searches
//! and deletions waiting on it finish.

/// The name of the index connection's thread (sqlx runs each SQLite connection on a thread
/// of its own): how the thread is found, and what `top -H` shows.
pub(super) const THREAD_NAME: &str = "palaver-index";

/// The nice value the thread runs at: the lowest priority (`setpriority(2)`).
pub(super) const NICE: i32 = 19;

/// Lowers every thread of this process named [`THREAD_NAME`] to [`NICE`]. Linux only (a
/// thread's id is read from `/proc/self/task`); elsewhere nothing. Never fails: a thread that
/// cannot be found or changed keeps the default priority, logged at `warn`.
pub(super) fn lower() {
    #[cfg(target_os = "linux")]
    linux::lower(THREAD_NAME);
}

#[cfg(target_os = "linux")]
mod linux {
    use super::NICE;

    /// Lowers every thread of this process named `name` to [`NICE`].
    pub(super) fn lower(name: &str) {
        let tasks = match std::fs::read_dir("/proc/self/task") {
            Ok(tasks) => tasks,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list threads to lower the index's priority");
                return;
            }
        };
        for task in tasks.flatten() {
            let named = std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.trim_end() == name);
            if !named {
                continue;
            }
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            // SAFETY: setpriority reads its three integer arguments and nothing else.
            if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, NICE) } != 0 {
                let e = std::io::Error::last_os_error();
                tracing::warn!(error = %e, tid, "cannot lower the index thread's priority");
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value of thread `tid`.
    fn nice_of(tid: libc::id_t) -> i32 {
        // SAFETY: getpriority reads its two integer arguments and nothing else.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, tid) }
    }

    #[test]
    fn the_named_thread_is_lowered_and_no_other() {
        // A name of this test's own (the index's threads of other tests are lowered too).
        const NAME: &str = "palaver-nicetst";
        let (tell, told) = std::sync::mpsc::channel();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(NAME.to_owned())
            .spawn(move || {
                // SAFETY: gettid takes no argument.
                tell.send(unsafe { libc::gettid() } as libc::id_t).unwrap();
                let _ = stopped.recv();
            })
            .unwrap();
        let tid = told.recv().unwrap();
        // SAFETY: as above.
        let this = unsafe { libc::gettid() } as libc::id_t;
        let before = nice_of(this);
        assert_ne!(
            nice_of(tid),
            NICE,
            "a new thread starts at the process's priority"
        );
        linux::lower(NAME);
        assert_eq!(nice_of(tid), NICE);
        assert_eq!(nice_of(this), before, "other threads keep their priority");
        stop.send(()).unwrap();
        thread.join().unwrap();
    }
}
