//! What an upload is and its thumbnail (`palaver::server::files::thumbnail::inspect`): the
//! type comes from the bytes, EXIF orientation is applied, transparency keeps a PNG
//! thumbnail, a broken image stays a plain file, and an image whose header declares too many
//! pixels is refused without the decoder allocating them: this binary counts every
//! allocation made on the measuring thread (a counting global allocator; the test harness
//! runs the other tests on other threads at the same time) and the refusal must stay under
//! 1 MiB at peak.

use palaver::server::files::thumbnail::{inspect, InspectError, THUMBNAIL_MAX_SIDE};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    /// Whether this thread's allocations are being counted: only the measuring thread's are,
    /// so tests running in parallel do not add to the figure.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}
/// One measurement at a time: the counters are global.
static MEASURE: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counting() {
            LIVE.fetch_sub(
                layout.size().min(LIVE.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes it held allocated at once.
fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _one = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (out, PEAK.load(Ordering::SeqCst))
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("written");
    path
}

/// A PNG of a few dozen bytes whose header declares `width` x `height`.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], ihdr),
        (b"IDAT", vec![0x78, 0x9c, 0x63, 0x00, 0x00]),
        (b"IEND", Vec::new()),
    ] {
        out.extend((data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend(&data);
        out.extend(&chunk);
        out.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    out
}

fn encoded(image: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// A JPEG with an EXIF APP1 segment saying "rotate 90° clockwise to display" (orientation 6).
fn jpeg_rotated(width: u32, height: u32) -> Vec<u8> {
    let image = image::DynamicImage::ImageRgb8(image::RgbImage::new(width, height));
    let jpeg = encoded(&image, image::ImageFormat::Jpeg);
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend([0, 1]); // one entry
    tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation, SHORT, 1, 6
    tiff.extend([0, 0, 0, 0]); // no next IFD
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

#[test]
fn a_pixel_bomb_is_refused_from_its_header_without_allocating_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = write(&dir, "bomb.png", &png_bomb(100_000, 100_000));
    let (result, peak) = peak_bytes(|| inspect(&bomb));
    assert!(
        matches!(result, Err(InspectError::TooLarge(100_000, 100_000))),
        "{result:?}"
    );
    println!("peak allocation refusing a 100,000 x 100,000 PNG: {peak} bytes");
    assert!(peak < 1024 * 1024, "{peak} bytes allocated");
    // Narrow but very long, and many pixels within the side limit, are refused too.
    assert!(matches!(
        inspect(&write(&dir, "tall.png", &png_bomb(1, 20_000))),
        Err(InspectError::TooLarge(1, 20_000))
    ));
    assert!(matches!(
        inspect(&write(&dir, "wide.png", &png_bomb(16_000, 16_000))),
        Err(InspectError::TooLarge(16_000, 16_000))
    ));
}

#[test]
fn images_get_thumbnails_in_their_display_orientation_and_other_files_none() {
    let dir = tempfile::tempdir().unwrap();
    let photo = jpeg_rotated(1200, 800);
    let out = inspect(&write(&dir, "p.jpg", &photo)).unwrap();
    assert_eq!(out.content_type, "image/jpeg");
    assert_eq!(
        out.dimensions,
        Some((800, 1200)),
        "EXIF orientation applied"
    );
    let thumb = image::load_from_memory(&out.thumbnail.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (427, THUMBNAIL_MAX_SIDE));

    let clear = image::DynamicImage::ImageRgba8(image::RgbaImage::new(100, 50));
    let out = inspect(&write(
        &dir,
        "c.png",
        &encoded(&clear, image::ImageFormat::Png),
    ))
    .unwrap();
    let bytes = out.thumbnail.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "transparency keeps PNG");
    assert_eq!(
        out.dimensions,
        Some((100, 50)),
        "small images are not enlarged"
    );

    let gif = image::DynamicImage::ImageRgb8(image::RgbImage::new(30, 20));
    let out = inspect(&write(
        &dir,
        "g.gif",
        &encoded(&gif, image::ImageFormat::Gif),
    ))
    .unwrap();
    assert_eq!(
        (out.content_type.as_str(), out.dimensions),
        ("image/gif", Some((30, 20)))
    );

    let mut truncated = encoded(&clear, image::ImageFormat::Png);
    truncated.truncate(truncated.len() / 2);
    let out = inspect(&write(&dir, "t.png", &truncated)).unwrap();
    assert_eq!(
        (out.content_type.as_str(), out.thumbnail),
        ("image/png", None)
    );

    let text = inspect(&write(&dir, "n.png", b"just some text")).unwrap();
    assert_eq!(text.content_type, "application/octet-stream");
    assert!(text.thumbnail.is_none() && text.dimensions.is_none());
    let svg = inspect(&write(
        &dir,
        "s.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    ))
    .unwrap();
    assert!(svg.thumbnail.is_none());
}
