//! What an upload is, and its thumbnail: the type is sniffed from the first bytes (the
//! `infer` crate; what the browser claimed is ignored), and images of the inline types are
//! decoded with the `image` crate under limits. The header is read first and an image over
//! [`IMAGE_MAX_SIDE`] or [`IMAGE_MAX_PIXELS`] is refused before a pixel is decoded, so a
//! 100,000 x 100,000 PNG of a few hundred bytes costs nothing. Blocking: run it on
//! `spawn_blocking`.

use crate::files::{is_inline, IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::{BufReader, Read};
use std::path::Path;

/// Longest side of a thumbnail, in pixels (twice the 320 CSS pixels a bubble shows, for
/// high-density screens).
pub const THUMBNAIL_MAX_SIDE: u32 = 640;
/// The most a decoder may allocate for one image: 50 megapixels of 8-bit RGBA and change.
pub const DECODE_MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// JPEG quality of thumbnails (opaque images; those with transparency become PNG).
const JPEG_QUALITY: u8 = 82;

/// What an upload turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// The sniffed type; `application/octet-stream` when unknown.
    pub content_type: String,
    /// Pixels after the EXIF orientation, for images that decoded.
    pub dimensions: Option<(u32, u32)>,
    /// The thumbnail's bytes (JPEG or PNG), for images that decoded.
    pub thumbnail: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// Not a picture of an inline type, or one that did not decode (avatars only).
    #[error("not a decodable picture")]
    NotImage,
    /// The image's header declares more pixels than allowed: (width, height).
    #[error("image of {0} x {1} pixels is over the limit")]
    TooLarge(u32, u32),
    #[error("reading the upload: {0}")]
    Io(#[from] std::io::Error),
}

/// Sniffs the file at `path` and, for an image of an inline type, decodes it and makes its
/// thumbnail. An image that fails to decode (truncated, corrupt, or over the allocation
/// limit) is kept as a plain file: no dimensions, no thumbnail.
pub fn inspect(path: &Path) -> Result<Inspected, InspectError> {
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path)?
        .take(8192)
        .read_to_end(&mut head)?;
    let content_type = infer::get(&head)
        .map(|t| t.mime_type())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let Some(format) = is_inline(&content_type)
        .then(|| ImageFormat::from_mime_type(&content_type))
        .flatten()
    else {
        return Ok(Inspected {
            content_type,
            dimensions: None,
            thumbnail: None,
        });
    };
    let (width, height) = match header_dimensions(path, format) {
        Ok(d) => d,
        Err(_) => return Ok(plain(content_type)),
    };
    if width > IMAGE_MAX_SIDE
        || height > IMAGE_MAX_SIDE
        || u64::from(width) * u64::from(height) > IMAGE_MAX_PIXELS
    {
        return Err(InspectError::TooLarge(width, height));
    }
    match decode(path, format) {
        Ok(image) => {
            let dimensions = (image.width(), image.height());
            match encode_thumbnail(&image) {
                Ok(bytes) => Ok(Inspected {
                    content_type,
                    dimensions: Some(dimensions),
                    thumbnail: Some(bytes),
                }),
                Err(_) => Ok(plain(content_type)),
            }
        }
        Err(e) => {
            tracing::info!(error = %e, "an uploaded image did not decode; kept as a file");
            Ok(plain(content_type))
        }
    }
}

fn plain(content_type: String) -> Inspected {
    Inspected {
        content_type,
        dimensions: None,
        thumbnail: None,
    }
}

fn reader(
    path: &Path,
    format: ImageFormat,
) -> std::io::Result<ImageReader<BufReader<std::fs::File>>> {
    let mut reader = ImageReader::new(BufReader::new(std::fs::File::open(path)?));
    reader.set_format(format);
    Ok(reader)
}

/// The width and height the header declares; nothing is decoded.
fn header_dimensions(path: &Path, format: ImageFormat) -> image::ImageResult<(u32, u32)> {
    reader(path, format)?.into_dimensions()
}

fn decode(path: &Path, format: ImageFormat) -> image::ImageResult<DynamicImage> {
    let mut reader = reader(path, format)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(IMAGE_MAX_SIDE);
    limits.max_image_height = Some(IMAGE_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// An avatar from the picture at `path`: the largest centred square, scaled to
/// [`crate::profiles::AVATAR_SIDE`] (never enlarged), upright by its EXIF orientation, encoded
/// like a thumbnail. `NotImage` for anything but a decodable picture of an inline type.
pub fn avatar(path: &Path) -> Result<Vec<u8>, InspectError> {
    let inspected = inspect(path)?;
    let format = ImageFormat::from_mime_type(&inspected.content_type)
        .filter(|_| inspected.thumbnail.is_some())
        .ok_or(InspectError::NotImage)?;
    let image = decode(path, format).map_err(|_| InspectError::NotImage)?;
    let side = image.width().min(image.height());
    let square = image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    let target = crate::profiles::AVATAR_SIDE.min(side);
    let scaled = square.resize_exact(target, target, image::imageops::FilterType::Lanczos3);
    encode(&scaled).map_err(|_| InspectError::NotImage)
}

/// A thumbnail at most [`THUMBNAIL_MAX_SIDE`] on its longest side (never enlarged): JPEG
/// when the image is opaque, PNG when it has an alpha channel.
fn encode_thumbnail(image: &DynamicImage) -> image::ImageResult<Vec<u8>> {
    if image.width().max(image.height()) > THUMBNAIL_MAX_SIDE {
        encode(&image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE))
    } else {
        encode(image)
    }
}

/// JPEG when the image is opaque, PNG when it has an alpha channel.
fn encode(small: &DynamicImage) -> image::ImageResult<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    if small.color().has_alpha() {
        small.to_rgba8().write_to(&mut out, ImageFormat::Png)?;
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        small.to_rgb8().write_with_encoder(encoder)?;
    }
    Ok(out.into_inner())
}

/// The content type of a thumbnail's bytes (they are JPEG or PNG).
pub fn thumbnail_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    }
}
