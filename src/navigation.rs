//! Where a link inside Palaver may send the browser. Shared by the server (the `Location` of
//! a sign-in's redirect) and the browser app (which follows the same value after hydration).

/// The base `next` is resolved against: any origin works, only sameness is compared.
const BASE: &str = "http://palaver.invalid/";

/// The path to go to after signing in, from an untrusted `next` parameter: `next` itself when
/// it is a same-origin, path-absolute reference, `/` otherwise (OWASP Unvalidated Redirects
/// and Forwards; SECURITY 30).
///
/// Accepted: `/` followed by anything but `/` or `\`, in visible ASCII only (no control
/// character, no white space, no `\` anywhere) (browsers drop tabs and newlines from URLs and read `\` as `/`, so
/// `/\t/evil.example` and `/\evil.example` are the host `evil.example`), and which, parsed
/// as a URL relative to an origin (WHATWG URL, the `url` crate), keeps that origin. The
/// result is always a valid HTTP header value.
pub fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .map(str::to_owned)
        .unwrap_or_else(|| "/".to_owned())
}

fn is_local_path(next: &str) -> bool {
    let mut chars = next.chars();
    if chars.next() != Some('/') || matches!(chars.next(), Some('/' | '\\')) {
        return false;
    }
    // Visible ASCII only: no control character or white space of any kind, and nothing a
    // header value cannot carry (non-ASCII arrives percent-encoded from Palaver's own links).
    if !next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return false;
    }
    let Ok(base) = url::Url::parse(BASE) else {
        return false;
    };
    matches!(base.join(next), Ok(u) if u.origin() == base.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        for ok in [
            "/",
            "/invite/abc",
            "/c/3?x=1",
            "/c/3#m-5",
            "/a/b%2Fc",
            "/%F0%9F%98%80",
        ] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn every_way_out_of_the_origin_is_refused() {
        let mut corpus: Vec<String> = [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "",
            "c/3",
            "?x",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x",
            " /c/1",
            "/c/1 ",
            "/\u{a0}/evil",
            "/\u{2028}/evil",
            "/\u{feff}/evil",
            "/\u{3000}/evil",
            "http:/evil.example",
            "/ /evil.example",
        ]
        .map(str::to_owned)
        .to_vec();
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            corpus.push(format!("/c/1{}", char::from_u32(c).unwrap()));
        }
        for bad in &corpus {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
    }

    fn http_header_safe(s: &str) -> bool {
        s.bytes().all(|b| (0x20..0x7f).contains(&b))
    }

    #[test]
    fn what_is_kept_is_always_a_valid_header_value() {
        for c in 0u32..0x3000 {
            let Some(ch) = char::from_u32(c) else {
                continue;
            };
            let out = safe_next(Some(&format!("/x{ch}y")));
            assert!(http_header_safe(&out), "{c:x}");
        }
    }
}
