//! The backup file: a zip of `manifest.json` and the members it lists, each
//! with its size and SHA-256. Written beside its final name and renamed; read
//! back only after every member matched the manifest.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use super::{FORMAT, MANIFEST, Manifest, Member, Result};

/// `FILE.partial`: where a backup is written until it is complete.
pub fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    file.with_file_name(name)
}

/// Size and SHA-256 of one file, read in a stream.
pub fn describe(name: &str, path: &Path) -> Result<Member> {
    let mut f = File::open(path).map_err(|e| format!("read {name}: {e}"))?;
    let (size, sha256) = hash(&mut f).map_err(|e| format!("read {name}: {e}"))?;
    Ok(Member { name: name.to_owned(), size, sha256 })
}

fn hash(r: &mut impl Read) -> std::io::Result<(u64, String)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok((size, hex::encode(h.finalize())));
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
}

/// Writes `manifest` and `members` to `FILE.partial` (mode 0600, never over an
/// existing file), flushes it to disk, then renames it to `file`.
pub fn write(file: &Path, manifest: &Manifest, members: &[(String, PathBuf)]) -> Result<()> {
    let partial = partial_path(file);
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let written = write_zip(out, manifest, members).and_then(|()| {
        if file.exists() {
            return Err(format!("{} appeared while the backup was written", file.display()));
        }
        std::fs::rename(&partial, file).map_err(|e| format!("rename to {}: {e}", file.display()))?;
        if let Some(dir) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            // The rename itself must survive a power cut.
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("sync {}: {e}", dir.display()))?;
        }
        Ok(())
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

fn write_zip(out: File, manifest: &Manifest, members: &[(String, PathBuf)]) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| format!("write the backup: {e}");
    let mut zip = zip::ZipWriter::new(out);
    let text = serde_json::to_vec_pretty(manifest).map_err(|e| err(&e))?;
    let opts = SimpleFileOptions::default().unix_permissions(0o600);
    zip.start_file(MANIFEST, opts.compression_method(zip::CompressionMethod::Deflated)).map_err(|e| err(&e))?;
    zip.write_all(&text).map_err(|e| err(&e))?;
    for (m, (name, path)) in manifest.members.iter().zip(members) {
        // Stored: a database copy is read back at disk speed, and a damaged
        // byte stays one damaged byte for the checksum to name.
        let o = opts.compression_method(zip::CompressionMethod::Stored).large_file(m.size >= u64::from(u32::MAX));
        zip.start_file(name.as_str(), o).map_err(|e| err(&e))?;
        let mut f = File::open(path).map_err(|e| format!("read {name}: {e}"))?;
        std::io::copy(&mut f, &mut zip).map_err(|e| err(&e))?;
    }
    let out = zip.finish().map_err(|e| err(&e))?;
    out.sync_all().map_err(|e| err(&e))
}

/// A backup file whose members all matched its manifest.
pub struct Checked {
    pub manifest: Manifest,
    zip: zip::ZipArchive<File>,
}

impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked").field("manifest", &self.manifest).finish_non_exhaustive()
    }
}

/// Opens `file` and checks every member's size and SHA-256 against the
/// manifest; writes nothing. The error names the first member that differs.
pub fn open_checked(file: &Path) -> Result<Checked> {
    let f = File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let not_backup = |why: String| format!("{} is not a youying backup, or it is truncated: {why}", file.display());
    let mut zip = zip::ZipArchive::new(f).map_err(|e| not_backup(e.to_string()))?;
    let manifest: Manifest = {
        let mut m = zip.by_name(MANIFEST).map_err(|_| not_backup(format!("it holds no {MANIFEST}")))?;
        let mut text = Vec::new();
        m.read_to_end(&mut text).map_err(|e| format!("{MANIFEST} is damaged: {e}"))?;
        serde_json::from_slice(&text).map_err(|e| format!("{MANIFEST} is damaged: {e}"))?
    };
    if manifest.format > FORMAT {
        return Err(format!("backup format {} is newer than this youying reads ({FORMAT})", manifest.format));
    }
    let mut names = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<zip::result::ZipResult<Vec<String>>>()
        .map_err(|e| not_backup(e.to_string()))?;
    names.retain(|n| n != MANIFEST);
    names.sort();
    let mut listed: Vec<String> = manifest.members.iter().map(|m| m.name.clone()).collect();
    listed.sort();
    if names != listed {
        return Err(format!("the backup holds {names:?} but its manifest lists {listed:?}"));
    }
    for m in &manifest.members {
        let mut entry = zip.by_name(&m.name).map_err(|e| format!("member {} is damaged: {e}", m.name))?;
        let (size, sha) = hash(&mut entry).map_err(|e| format!("member {} is damaged: {e}", m.name))?;
        if size != m.size || sha != m.sha256 {
            return Err(format!(
                "member {} does not match its checksum (sha256 {sha}, {size} bytes; the manifest says {}, {} bytes): the file was changed or damaged",
                m.name, m.sha256, m.size
            ));
        }
    }
    Ok(Checked { manifest, zip })
}

impl Checked {
    /// Writes member `name` to `dest` (a new file of mode 0600), checking its
    /// checksum again on the way: the file may have changed since it was checked.
    pub fn extract(&mut self, name: &str, dest: &Path) -> Result<()> {
        let want = self.manifest.members.iter().find(|m| m.name == name).ok_or(format!("no member {name}"))?.clone();
        let mut entry = self.zip.by_name(name).map_err(|e| format!("member {name} is damaged: {e}"))?;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dest)
            .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = entry.read(&mut buf).map_err(|e| format!("member {name} is damaged: {e}"))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| format!("write {}: {e}", dest.display()))?;
        }
        if hex::encode(h.finalize()) != want.sha256 {
            return Err(format!("member {name} changed while it was restored"));
        }
        out.sync_all().map_err(|e| format!("sync {}: {e}", dest.display()))
    }
}
