//! The web verifier: anyone uploads an evidence bundle (the exported zip or
//! its `evidence.json`) and reads each check in words, with the altered event
//! named. Only the result is kept, under a random id, for 30 days; the file
//! itself never is. The page (`pages::verify`) and the JSON endpoint
//! (`api::evidence`) both call here.

use std::io::{Cursor, Read};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use youying_core::Timestamp;
use youying_core::bundle::port::Verification;
use youying_core::bundle::{self, Bundle, Checks, Report};
use youying_core::ports::Store;

use crate::error::AppError;
use crate::security::random_token;
use crate::state::App;

/// The largest upload: bundles of the busiest orders stay far below.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// How long a result stays readable.
pub const KEEP_DAYS: i64 = 30;

/// The verdict, in words, as the report page and the JSON endpoint show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    /// Every check passed.
    pub ok: bool,
    pub order_no: String,
    /// SHA-256 of the uploaded file, hex.
    pub bundle_sha256: String,
    pub events: usize,
    pub checks: Vec<CheckLine>,
    /// The first record that does not hold: the altered one.
    pub broken: Option<BrokenEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckLine {
    /// 文件完整, 哈希链连续, 锚点证明成立, 与平台公布的锚点一致.
    pub name: String,
    /// `None`: could not be checked yet (no anchor covers the events so far).
    pub ok: Option<bool>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BrokenEvent {
    /// The record's number in the chain (第 N 条).
    pub seq: i64,
    /// Beijing time, as the file states it.
    pub at: String,
    pub who: String,
    /// What the record says now, in words.
    pub what: String,
}

/// An upload that is not a bundle, with the message shown beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// The HTTP status the transports answer with.
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

pub const EMPTY: Rejected = Rejected { status: 422, code: "empty", message: "请选择要核验的证据文件。" };
pub const TOO_LARGE: Rejected = Rejected {
    status: 413,
    code: "too_large",
    message: "文件超过 8 MB，不是有应平台导出的证据文件。请上传订单页下载的 evidence-订单号.zip。",
};
pub const NOT_A_BUNDLE: Rejected = Rejected {
    status: 422,
    code: "not_a_bundle",
    message: "无法读取这个文件：请上传订单页下载的 evidence-订单号.zip（或其中的 evidence.json），不要解压后再压缩或修改格式。",
};

pub const TOO_MANY: Rejected =
    Rejected {
        status: 429, code: "rate_limited", message: "核验太频繁：同一网络每小时最多核验 30 次，请稍后再试。"
    };

/// Checks a client may run at once, refilled at this many an hour: each one
/// unpacks up to 8 MB and keeps a row, and nobody needs more by hand.
pub const PER_HOUR: f64 = crate::ratelimit::VERIFY_PER_HOUR;

/// One token from the uploading address's allowance (per instance).
pub fn throttle<S: Store>(app: &App<S>, ip: &str) -> Result<(), Rejected> {
    let key = ip.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    #[allow(clippy::cast_possible_wrap)]
    app.verify_limiter.take(key as i64, app.now()).map_err(|_| TOO_MANY)
}

/// The bundle in an uploaded zip or `evidence.json`, read with the size limit
/// applied to what the zip unpacks to as well.
pub fn read(bytes: &[u8]) -> Result<Bundle, Rejected> {
    if bytes.is_empty() {
        return Err(EMPTY);
    }
    if bytes.len() > MAX_BYTES {
        return Err(TOO_LARGE);
    }
    let json = if bytes.starts_with(b"PK") {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| NOT_A_BUNDLE)?;
        let file = zip.by_name("evidence.json").map_err(|_| NOT_A_BUNDLE)?;
        let mut out = Vec::new();
        file.take(MAX_BYTES as u64 + 1).read_to_end(&mut out).map_err(|_| NOT_A_BUNDLE)?;
        if out.len() > MAX_BYTES {
            return Err(TOO_LARGE);
        }
        out
    } else {
        bytes.to_vec()
    };
    serde_json::from_slice(&json).map_err(|_| NOT_A_BUNDLE)
}

fn mark(ok: bool) -> Option<bool> {
    Some(ok)
}

fn check_lines(r: &Report, c: Checks) -> Vec<CheckLine> {
    let line = |name: &str, ok: Option<bool>, yes: String, no: &str, unknown: &str| CheckLine {
        name: name.to_owned(),
        ok,
        detail: match ok {
            Some(true) => yes,
            Some(false) => no.to_owned(),
            None => unknown.to_owned(),
        },
    };
    vec![
        line(
            "文件完整",
            mark(c.file),
            "这是有应平台导出的证据文件，交易快照与付款时记录的指纹一致。".into(),
            "文件格式不对，或交易快照（买家付款时看到的商品页面）被替换过。",
            "",
        ),
        line(
            "哈希链连续",
            mark(c.chain),
            format!("共 {} 条记录，每条都与自己的哈希一致，前后相接。", r.events),
            "有记录的内容与它的哈希对不上，或与前一条接不上：记录被改动过（见下方）。",
            "",
        ),
        line(
            "锚点证明成立",
            mark(c.anchors),
            format!("{} 条记录已纳入整点锚点，每条的证明都指向锚点。", r.anchored),
            "有记录的证明指不到它的锚点，或锚点之间接不上：文件被改动过。",
            "",
        ),
        line(
            "与平台公布的锚点一致",
            c.published,
            "文件中的锚点与平台公布的锚点完全相同。".into(),
            "文件中的锚点不是平台公布的那一个：文件被伪造或改动过。",
            "这些记录还没有纳入整点锚点；下一个整点之后重新导出并核验即可。",
        ),
    ]
}

/// An order number as shown and stored: printable, at most 64 characters.
fn clean(no: &str) -> String {
    no.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// Checks `bytes` against the platform's own anchors.
pub async fn check<S: Store>(app: &App<S>, bytes: &[u8]) -> Result<Result<Verdict, Rejected>, AppError> {
    let b = match read(bytes) {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    let from = b.anchors.iter().map(|a| a.id).min();
    let platform = match from {
        Some(id) => app.store.read(move |tx| tx.anchors_from(id)).await?,
        None => Vec::new(),
    };
    let r = bundle::verify_against(&b, &platform);
    let broken = r.broken.and_then(|seq| b.events.iter().find(|e| e.seq == seq)).map(|e| {
        let l = crate::evidence::line(&b, e);
        BrokenEvent { seq: l.seq, at: l.at, who: l.who, what: l.what }
    });
    Ok(Ok(Verdict {
        ok: r.ok(),
        order_no: clean(&b.order.no),
        bundle_sha256: hex::encode(Sha256::digest(bytes)),
        events: r.events,
        checks: check_lines(&r, r.checks),
        broken,
    }))
}

/// Keeps `v` under a fresh random id and returns the id.
pub async fn keep<S: Store>(app: &App<S>, v: &Verdict) -> Result<String, AppError> {
    let id = random_token("")?;
    let row = Verification {
        id: id.clone(),
        checked_at: app.now(),
        order_no: v.order_no.clone(),
        bundle_sha256: v.bundle_sha256.clone(),
        ok: v.ok,
        result: serde_json::to_string(v).map_err(|e| youying_core::StorageError(format!("verdict: {e}")))?,
    };
    app.store.write(move |tx| tx.insert_verification(&row)).await?;
    Ok(id)
}

/// The result `id` and when it was checked; `None` when unknown or older than
/// [`KEEP_DAYS`].
pub async fn load<S: Store>(app: &App<S>, id: String) -> Result<Option<(Verdict, Timestamp)>, AppError> {
    let since = app.now().plus_secs(-KEEP_DAYS * 86_400);
    let row = app.store.read(move |tx| tx.verification(&id, since)).await?;
    Ok(row.and_then(|v| serde_json::from_str(&v.result).ok().map(|d| (d, v.checked_at))))
}
