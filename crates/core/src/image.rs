//! What an uploaded picture really is, read from its bytes alone. A name or a
//! `Content-Type` is only a claim: the magic number must match and the header
//! must parse to a width and a height, and the file must be whole (a PNG ends
//! with `IEND`, a JPEG with `EOI` after its scan, a WebP fills its RIFF size).
//! Nothing is decoded: browsers do that, the platform only refuses garbage.

use serde::Serialize;

/// The largest picture a conversation accepts.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The longest side accepted, in pixels (WebP's own limit is 16,383).
pub const MAX_SIDE: u32 = 16_384;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageType {
    Png,
    Jpeg,
    Webp,
}

impl ImageType {
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Webp => "image/webp",
        }
    }

    /// A `Content-Type` as a client sends it (`image/PNG; charset=…` included).
    /// `None` for anything that is not one of the three.
    pub fn from_mime(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "image/png" => Some(ImageType::Png),
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(ImageType::Jpeg),
            "image/webp" => Some(ImageType::Webp),
            _ => None,
        }
    }

    /// The type a file name's extension claims; `None` for an unknown one.
    pub fn from_extension(file_name: &str) -> Option<Self> {
        let (_, ext) = file_name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "png" => Some(ImageType::Png),
            "jpg" | "jpeg" | "jpe" | "jfif" => Some(ImageType::Jpeg),
            "webp" => Some(ImageType::Webp),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub kind: ImageType,
    pub width: u32,
    pub height: u32,
}

/// Why bytes were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("larger than {MAX_BYTES} bytes")]
    TooLarge,
    #[error("not a PNG, JPEG or WebP file")]
    Unknown,
    #[error("the header does not parse")]
    Malformed,
    #[error("the file ends early")]
    Truncated,
    #[error("the content is not what its name or type says")]
    Mismatch,
    #[error("wider or taller than {MAX_SIDE} pixels")]
    TooManyPixels,
}

/// What a client said the file is. Unknown or generic claims
/// (`application/octet-stream`, no extension) claim nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Claim<'a> {
    pub content_type: Option<&'a str>,
    pub file_name: Option<&'a str>,
}

impl Claim<'_> {
    /// Whether the claim contradicts what the bytes are.
    fn contradicts(&self, actual: ImageType) -> bool {
        let by_type = self
            .content_type
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.starts_with("application/octet-stream"))
            .is_some_and(|t| ImageType::from_mime(t) != Some(actual));
        let by_name =
            self.file_name.filter(|n| n.contains('.')).is_some_and(|n| ImageType::from_extension(n) != Some(actual));
        by_type || by_name
    }
}

/// Checks an upload: size, content, and that the claim agrees with the content.
pub fn check(bytes: &[u8], claim: Claim<'_>) -> Result<ImageInfo, Refused> {
    if bytes.len() > MAX_BYTES {
        return Err(Refused::TooLarge);
    }
    let info = sniff(bytes)?;
    if claim.contradicts(info.kind) {
        return Err(Refused::Mismatch);
    }
    if info.width > MAX_SIDE || info.height > MAX_SIDE {
        return Err(Refused::TooManyPixels);
    }
    Ok(info)
}

/// The type and dimensions of a whole PNG, JPEG or WebP file.
pub fn sniff(bytes: &[u8]) -> Result<ImageInfo, Refused> {
    let (kind, (width, height)) = if bytes.starts_with(PNG_MAGIC) {
        (ImageType::Png, png(bytes)?)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (ImageType::Jpeg, jpeg(bytes)?)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        (ImageType::Webp, webp(bytes)?)
    } else {
        return Err(Refused::Unknown);
    };
    if width == 0 || height == 0 {
        return Err(Refused::Malformed);
    }
    Ok(ImageInfo { kind, width, height })
}

/// A cursor that reports running off the end as truncation.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    fn new(data: &'a [u8], at: usize) -> Self {
        Self { data, at }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.at)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Refused> {
        let end = self.at.checked_add(n).ok_or(Refused::Truncated)?;
        let s = self.data.get(self.at..end).ok_or(Refused::Truncated)?;
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, Refused> {
        Ok(self.take(1)?[0])
    }

    fn be16(&mut self) -> Result<u16, Refused> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn be32(&mut self) -> Result<u32, Refused> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn le32(&mut self) -> Result<u32, Refused> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn usize_of(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

// ---- PNG -------------------------------------------------------------------

const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// IHDR first (13 bytes, CRC checked, a valid depth/colour pair), then whole
/// chunks up to `IEND`, with image data among them.
fn png(data: &[u8]) -> Result<(u32, u32), Refused> {
    let mut r = Bytes::new(data, PNG_MAGIC.len());
    let len = r.be32()?;
    let kind_and_body = r.data.get(r.at..r.at + 4 + 13).ok_or(Refused::Truncated)?;
    if len != 13 || r.take(4)? != b"IHDR" {
        return Err(Refused::Malformed);
    }
    let (width, height) = (r.be32()?, r.be32()?);
    let (depth, colour, compression, filter, interlace) = (r.u8()?, r.u8()?, r.u8()?, r.u8()?, r.u8()?);
    if r.be32()? != crc32(kind_and_body) {
        return Err(Refused::Malformed);
    }
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    let limit = 1 << 31;
    if !depth_ok || compression != 0 || filter != 0 || interlace > 1 || width >= limit || height >= limit {
        return Err(Refused::Malformed);
    }
    let mut has_data = false;
    loop {
        let len = usize_of(r.be32()?);
        let kind = r.take(4)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(Refused::Malformed);
        }
        r.take(len)?;
        r.take(4)?; // CRC
        match kind {
            b"IDAT" => has_data = true,
            b"IEND" if has_data => return Ok((width, height)),
            b"IEND" => return Err(Refused::Malformed),
            _ => {}
        }
    }
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it; only the 17 bytes of IHDR go
/// through it, so the bitwise form is fast enough.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

// ---- JPEG ------------------------------------------------------------------

/// Walks the marker segments to a start-of-frame (any of SOF0–SOF15 but DHT,
/// JPG and DAC), then to the start of scan, and requires an `EOI` after the
/// scan: a file cut short in its entropy-coded data has none.
fn jpeg(data: &[u8]) -> Result<(u32, u32), Refused> {
    let mut r = Bytes::new(data, 2);
    let mut size = None;
    loop {
        if r.u8()? != 0xFF {
            return Err(Refused::Malformed);
        }
        let mut marker = r.u8()?;
        while marker == 0xFF {
            marker = r.u8()?; // fill bytes
        }
        match marker {
            0xD8 | 0x00 => return Err(Refused::Malformed),
            0xD9 => return Err(Refused::Truncated), // EOI before any scan
            0x01 | 0xD0..=0xD7 => continue,         // no length
            _ => {}
        }
        let len = usize::from(r.be16()?);
        let body = r.take(len.checked_sub(2).ok_or(Refused::Malformed)?)?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => size = Some(frame_size(body)?),
            0xDA => {
                let size = size.ok_or(Refused::Malformed)?;
                return if has_eoi(data.get(r.at..).unwrap_or_default()) { Ok(size) } else { Err(Refused::Truncated) };
            }
            _ => {}
        }
    }
}

/// A frame header: precision, height, width, then three bytes per component.
fn frame_size(body: &[u8]) -> Result<(u32, u32), Refused> {
    let mut f = Bytes::new(body, 0);
    let precision = f.u8().map_err(|_| Refused::Malformed)?;
    let height = f.be16().map_err(|_| Refused::Malformed)?;
    let width = f.be16().map_err(|_| Refused::Malformed)?;
    let components = f.u8().map_err(|_| Refused::Malformed)?;
    let fits = body.len() == 6 + 3 * usize::from(components);
    if !matches!(precision, 8 | 12 | 16) || !(1..=4).contains(&components) || !fits {
        return Err(Refused::Malformed);
    }
    Ok((u32::from(width), u32::from(height)))
}

/// In entropy-coded data a 0xFF is followed by 0x00 (stuffing) or a restart
/// marker, so `FF D9` is the end of the image, wherever it falls.
fn has_eoi(scan: &[u8]) -> bool {
    scan.windows(2).any(|w| w == [0xFF, 0xD9])
}

// ---- WebP ------------------------------------------------------------------

/// The RIFF container must be whole; its first chunk says which bitstream
/// follows: lossy `VP8 `, lossless `VP8L`, or extended `VP8X` with a canvas.
fn webp(data: &[u8]) -> Result<(u32, u32), Refused> {
    let mut r = Bytes::new(data, 4);
    let riff = usize_of(r.le32()?);
    let end = riff.checked_add(8).ok_or(Refused::Malformed)?;
    if riff < 4 + 8 {
        return Err(Refused::Malformed);
    }
    if end > data.len() {
        return Err(Refused::Truncated);
    }
    let mut r = Bytes::new(&data[..end], 12);
    let (kind, body) = chunk(&mut r)?;
    match kind {
        b"VP8 " => vp8(body),
        b"VP8L" => vp8l(body),
        b"VP8X" => {
            let size = vp8x(body)?;
            // An extended file still needs a frame: a still image or an animation.
            while r.remaining() > 0 {
                let (kind, body) = chunk(&mut r)?;
                match kind {
                    b"VP8 " => return vp8(body).map(|_| size),
                    b"VP8L" => return vp8l(body).map(|_| size),
                    b"ANMF" => return Ok(size),
                    _ => {}
                }
            }
            Err(Refused::Truncated)
        }
        _ => Err(Refused::Malformed),
    }
}

/// One RIFF chunk: fourcc, little-endian size, body, a pad byte to even length.
fn chunk<'a>(r: &mut Bytes<'a>) -> Result<(&'a [u8], &'a [u8]), Refused> {
    let kind = r.take(4)?;
    let len = usize_of(r.le32()?);
    let body = r.take(len)?;
    if len % 2 == 1 && r.remaining() > 0 {
        r.take(1)?;
    }
    Ok((kind, body))
}

/// A lossy key frame: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit
/// width and height (the top two bits are scaling).
fn vp8(body: &[u8]) -> Result<(u32, u32), Refused> {
    let mut b = Bytes::new(body, 0);
    let tag = b.take(3).map_err(|_| Refused::Truncated)?;
    let key_frame = tag[0] & 1 == 0;
    if !key_frame || b.take(3).map_err(|_| Refused::Truncated)? != [0x9D, 0x01, 0x2A] {
        return Err(Refused::Malformed);
    }
    let w = b.take(2).map_err(|_| Refused::Truncated)?;
    let h = b.take(2).map_err(|_| Refused::Truncated)?;
    let side = |p: &[u8]| u32::from(u16::from_le_bytes([p[0], p[1]]) & 0x3FFF);
    Ok((side(w), side(h)))
}

/// A lossless stream: signature 0x2F, then 14 bits of width − 1, 14 of
/// height − 1, one alpha hint and a 3-bit version that must be 0.
fn vp8l(body: &[u8]) -> Result<(u32, u32), Refused> {
    let mut b = Bytes::new(body, 0);
    if b.u8()? != 0x2F {
        return Err(Refused::Malformed);
    }
    let bits = b.le32()?;
    if bits >> 29 != 0 {
        return Err(Refused::Malformed);
    }
    Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
}

/// The extended header: flags, three reserved bytes, then the canvas width − 1
/// and height − 1 in 24 bits each.
fn vp8x(body: &[u8]) -> Result<(u32, u32), Refused> {
    if body.len() < 10 {
        return Err(Refused::Malformed);
    }
    let u24 = |p: &[u8]| u32::from(p[0]) | (u32::from(p[1]) << 8) | (u32::from(p[2]) << 16);
    Ok((u24(&body[4..7]) + 1, u24(&body[7..10]) + 1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub mod fixtures {
    //! Small, valid pictures built byte by byte, for the tests below.

    use super::crc32;

    fn png_chunk(out: &mut Vec<u8>, kind: &[u8], body: &[u8]) {
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }

    /// A grey `w`×`h` PNG (8-bit greyscale), its pixels in one stored deflate block.
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = super::PNG_MAGIC.to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        png_chunk(&mut out, b"IHDR", &ihdr);
        let raw: Vec<u8> = (0..h).flat_map(|_| std::iter::once(0).chain((0..w).map(|_| 0x80))).collect();
        let len = u16::try_from(raw.len()).unwrap();
        let mut z = vec![0x78, 0x01, 1];
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(&raw);
        let (mut a, mut b) = (1u32, 0u32);
        for &x in &raw {
            a = (a + u32::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        z.extend_from_slice(&((b << 16) | a).to_be_bytes());
        png_chunk(&mut out, b"IDAT", &z);
        png_chunk(&mut out, b"IEND", &[]);
        out
    }

    /// A grey baseline JPEG, `w` and `h` multiples of 8: one-symbol Huffman
    /// tables, every block "DC unchanged, end of block".
    pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        out.extend_from_slice(&[0xFF, 0xDB, 0, 67, 0]);
        out.extend_from_slice(&[1; 64]);
        out.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8]);
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&[1, 1, 0x11, 0]);
        for class in [0x00, 0x10] {
            out.extend_from_slice(&[0xFF, 0xC4, 0, 20, class, 1]);
            out.extend_from_slice(&[0; 15]);
            out.push(0);
        }
        out.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0]);
        let blocks = usize::from(w / 8) * usize::from(h / 8);
        let mut bits = vec![false; blocks * 2];
        while !bits.len().is_multiple_of(8) {
            bits.push(true);
        }
        out.extend(bits.chunks(8).map(|c| c.iter().fold(0u8, |acc, &b| (acc << 1) | u8::from(b))));
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    /// 1×1 WebP files: lossy, lossless, and extended (alpha + lossy).
    pub const WEBP_LOSSY: &str = "52494646220000005745425056503820160000003001009d012a010001000ec0fe25a400037000000000";
    pub const WEBP_LOSSLESS: &str = "524946461a000000574542505650384c0d0000002f00000010071011118888fe0700";
    pub const WEBP_EXTENDED: &str = "524946464a00000057454250565038580a00000010000000000000000000414c50480c00000011071011fd0f4444ff03000056503820180000001401009d012a010001000000fe00000dc000fee6b5000000";

    pub fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::fixtures::{WEBP_EXTENDED, WEBP_LOSSLESS, WEBP_LOSSY, hex, jpeg, png};
    use super::*;

    fn info(kind: ImageType, width: u32, height: u32) -> Result<ImageInfo, Refused> {
        Ok(ImageInfo { kind, width, height })
    }

    #[test]
    fn whole_pictures_give_their_type_and_size() {
        assert_eq!(sniff(&png(3, 2)), info(ImageType::Png, 3, 2));
        assert_eq!(sniff(&jpeg(16, 8)), info(ImageType::Jpeg, 16, 8));
        assert_eq!(sniff(&hex(WEBP_LOSSY)), info(ImageType::Webp, 1, 1));
        assert_eq!(sniff(&hex(WEBP_LOSSLESS)), info(ImageType::Webp, 1, 1));
        assert_eq!(sniff(&hex(WEBP_EXTENDED)), info(ImageType::Webp, 1, 1));
    }

    #[test]
    fn jpeg_frames_are_found_past_other_segments() {
        // An APP0 (JFIF) segment and fill bytes before the frame, a progressive SOF2.
        let mut j = jpeg(8, 8);
        let app0 = [0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF];
        j.splice(2..2, app0);
        assert_eq!(sniff(&j), info(ImageType::Jpeg, 8, 8));
        let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        j[sof + 1] = 0xC2;
        assert_eq!(sniff(&j), info(ImageType::Jpeg, 8, 8));
        j[sof + 1] = 0xC4; // now a Huffman table, and no frame before the scan
        assert_eq!(sniff(&j), Err(Refused::Malformed));
    }

    #[test]
    fn right_magic_wrong_body_is_refused() {
        let p = png(4, 4);
        assert_eq!(sniff(&p[..p.len() - 12]), Err(Refused::Truncated), "no IEND");
        assert_eq!(sniff(&p[..20]), Err(Refused::Truncated), "cut inside IHDR");
        let mut bad_crc = p.clone();
        bad_crc[29] ^= 1;
        assert_eq!(sniff(&bad_crc), Err(Refused::Malformed));
        let mut zero = png(4, 4);
        zero[16..20].copy_from_slice(&0u32.to_be_bytes());
        let crc = crc32(&zero[12..29]);
        zero[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(sniff(&zero), Err(Refused::Malformed), "zero width");
        let mut garbage = PNG_MAGIC.to_vec();
        garbage.extend_from_slice(b"this is not a png at all, only its first eight bytes");
        assert_eq!(sniff(&garbage), Err(Refused::Malformed));

        let j = jpeg(8, 8);
        assert_eq!(sniff(&j[..j.len() - 2]), Err(Refused::Truncated), "no EOI");
        assert_eq!(sniff(&j[..30]), Err(Refused::Truncated), "cut in a segment");
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xD9]), Err(Refused::Truncated));
        let mut bad_frame = j.clone();
        let sof = bad_frame.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bad_frame[sof + 4] = 7; // precision
        assert_eq!(sniff(&bad_frame), Err(Refused::Malformed));

        let w = hex(WEBP_LOSSY);
        assert_eq!(sniff(&w[..w.len() - 4]), Err(Refused::Truncated), "shorter than its RIFF size");
        let mut no_start_code = w.clone();
        no_start_code[23] = 0;
        assert_eq!(sniff(&no_start_code), Err(Refused::Malformed));
        let mut version = hex(WEBP_LOSSLESS);
        version[24] = 0xE0;
        assert_eq!(sniff(&version), Err(Refused::Malformed), "VP8L version must be 0");
        let x = hex(WEBP_EXTENDED);
        let mut header_only = x[..30].to_vec();
        header_only[4..8].copy_from_slice(&22u32.to_le_bytes());
        assert_eq!(sniff(&header_only), Err(Refused::Truncated), "VP8X without a frame");
    }

    #[test]
    fn anything_else_is_unknown() {
        for bytes in
            [&b""[..], b"GIF89a\x01\x00\x01\x00", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"\x89PN", b"RIFF"]
        {
            assert_eq!(sniff(bytes), Err(Refused::Unknown), "{bytes:?}");
        }
        assert_eq!(sniff(b"RIFF\x04\x00\x00\x00WAVEfmt "), Err(Refused::Unknown));
    }

    #[test]
    fn claims_must_agree_with_content() {
        let p = png(2, 2);
        let claim = |content_type, file_name| Claim { content_type, file_name };
        assert!(check(&p, claim(Some("image/png"), Some("shot.PNG"))).is_ok());
        assert!(check(&p, claim(Some("application/octet-stream"), None)).is_ok());
        assert!(check(&p, claim(None, Some("screenshot"))).is_ok(), "no extension claims nothing");
        assert_eq!(check(&p, claim(Some("image/jpeg"), None)), Err(Refused::Mismatch));
        assert_eq!(check(&p, claim(None, Some("photo.jpg"))), Err(Refused::Mismatch));
        assert_eq!(check(&p, claim(Some("text/plain"), None)), Err(Refused::Mismatch));
        assert_eq!(check(b"hello", claim(Some("image/png"), Some("a.png"))), Err(Refused::Unknown));
        assert!(check(&jpeg(8, 8), claim(Some("image/JPG; q=1"), Some("a.jpeg"))).is_ok());
        let big = vec![0; MAX_BYTES + 1];
        assert_eq!(check(&big, Claim::default()), Err(Refused::TooLarge));
        assert_eq!(check(&png(MAX_SIDE + 1, 1), Claim::default()), Err(Refused::TooManyPixels));
    }

    #[test]
    fn no_input_panics() {
        // Every prefix of every fixture, and a byte flipped at every position.
        let all = [png(3, 2), jpeg(16, 8), hex(WEBP_LOSSY), hex(WEBP_LOSSLESS), hex(WEBP_EXTENDED)];
        for f in &all {
            for n in 0..f.len() {
                let _ = sniff(&f[..n]);
                let mut g = f.clone();
                g[n] ^= 0xFF;
                let _ = sniff(&g);
            }
        }
    }
}
