//! The compiled site under `--site-root`, and what the build named its files.
//!
//! `make build` has cargo-leptos put a content hash in the names of the JS, WASM and CSS
//! (`pkg/palaver.<hash>.wasm`) and list the hashes in `hash.txt` beside the binary, where
//! leptos' `HydrationScripts` reads them for every page. A new build means new names, so
//! browsers may keep those files for a year (`middleware::cache_control`).
//!
//! `cargo leptos watch` does not hash: its rebuilds write plain names and would leave a hash
//! file naming the first build's files, so hashing is the release build's switch
//! (`LEPTOS_HASH_FILES=true` in the Makefile), not the project's. The server follows what is on
//! disk: hashed names only when the hash file names files that exist, never a stale one.

use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tower_http::services::ServeFile;

/// cargo-leptos' hash file, beside the binary (the name leptos reads by default).
const HASH_FILE: &str = "hash.txt";

/// Where the site's files are and whether their names carry content hashes.
#[derive(Debug, Clone)]
pub struct Site {
    root: PathBuf,
    pkg_dir: String,
    output_name: String,
    /// The hashed stylesheet when the build hashed its files.
    hashed_css: Option<PathBuf>,
    hashed: bool,
}

impl Site {
    /// Reads the names cargo-leptos gave the build (`LEPTOS_OUTPUT_NAME`, `LEPTOS_SITE_PKG_DIR`,
    /// which `cargo leptos watch` sets; the defaults match `Cargo.toml`) and its hash file.
    pub fn find(root: &Path) -> Self {
        let output_name =
            std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "palaver".to_owned());
        let pkg_dir = std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".to_owned());
        let hash_file = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE)));
        Self::new(root, pkg_dir, output_name, hash_file.as_deref())
    }

    fn new(root: &Path, pkg_dir: String, output_name: String, hash_file: Option<&Path>) -> Self {
        let hashes = hash_file
            .and_then(|f| std::fs::read_to_string(f).ok())
            .map(|text| parse_hashes(&text))
            .unwrap_or_default();
        let pkg = root.join(&pkg_dir);
        let named = |ext: &str| {
            hashes
                .iter()
                .find(|(kind, _)| kind == ext)
                .map(|(_, hash)| pkg.join(format!("{output_name}.{hash}.{ext}")))
        };
        let (js, wasm) = (named("js"), named("wasm"));
        let hashed =
            matches!((&js, &wasm), (Some(js), Some(wasm)) if js.is_file() && wasm.is_file());
        if !hashes.is_empty() && !hashed {
            tracing::info!(
                hash_file = ?hash_file,
                "the hash file names files that are not in the site: serving plain names"
            );
        }
        Self {
            root: root.to_owned(),
            hashed_css: named("css").filter(|css| hashed && css.is_file()),
            pkg_dir,
            output_name,
            hashed,
        }
    }

    pub fn leptos_options(&self, addr: SocketAddr) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.root.display().to_string())
            .site_pkg_dir(self.pkg_dir.as_str())
            .site_addr(addr)
            .hash_files(self.hashed)
            .build()
    }

    /// The stylesheet's plain path (`/pkg/palaver.css`) serving the hashed file, for a page
    /// that links the plain name (leptos_meta's `Stylesheet`; `HashedStylesheet` in the shell
    /// links the hashed one). Not immutable: the name outlives the build.
    pub fn css_alias(&self) -> Option<(String, ServeFile)> {
        let css = self.hashed_css.as_ref()?;
        let path = format!("/{}/{}.css", self.pkg_dir, self.output_name);
        Some((
            path,
            ServeFile::new(css).precompressed_br().precompressed_gzip(),
        ))
    }
}

/// `ext: hash` lines, as cargo-leptos writes them (`js: …`, `wasm: …`, `css: …`).
fn parse_hashes(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(kind, hash)| (kind.trim().to_owned(), hash.trim().to_owned()))
        .filter(|(kind, hash)| !kind.is_empty() && !hash.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(hashes: &str, files: &[&str]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        for f in files {
            std::fs::write(dir.path().join("pkg").join(f), "x").unwrap();
        }
        let hash_file = dir.path().join("hash.txt");
        std::fs::write(&hash_file, hashes).unwrap();
        Site::new(dir.path(), "pkg".into(), "palaver".into(), Some(&hash_file))
    }

    #[test]
    fn hashed_names_only_when_the_hash_file_names_files_that_exist() {
        let hashes = "js: J\nwasm: W\ncss: C\n";
        let built = site(hashes, &["palaver.J.js", "palaver.W.wasm", "palaver.C.css"]);
        assert!(built.hashed);
        let (path, _) = built.css_alias().expect("the plain stylesheet path");
        assert_eq!(path, "/pkg/palaver.css");
        // `cargo leptos watch` after a hashed build: the old hash file, plain names.
        let stale = site(hashes, &["palaver.js", "palaver.wasm", "palaver.css"]);
        assert!(!stale.hashed && stale.css_alias().is_none());
        assert!(!site("", &["palaver.js", "palaver.wasm"]).hashed);
    }

    #[test]
    fn reads_the_hash_file_cargo_leptos_writes() {
        let text = "js: Ab3_x-9ZyQ2bC4dE5fG6hI\nwasm: W4sm\ncss: Cs5\n\n";
        assert_eq!(
            parse_hashes(text),
            [
                ("js", "Ab3_x-9ZyQ2bC4dE5fG6hI"),
                ("wasm", "W4sm"),
                ("css", "Cs5")
            ]
            .map(|(k, h)| (k.to_owned(), h.to_owned()))
        );
        assert!(parse_hashes("garbage\n: x\njs:\n").is_empty());
    }
}
