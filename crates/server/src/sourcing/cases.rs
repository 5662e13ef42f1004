//! Relayed cases' network side (`youying_core::sourcing::relay`): a case on
//! a sourced order is opened at the upstream on this shop's behalf — with the
//! buyer's description and screenshots — and asked about until it closes
//! there; callbacks about it (`/dock/callback/{connection}`) are applied the
//! same way. Claimed in the database, called with no transaction open,
//! answered in one transaction by `sourcing::case_answered`.

use base64::Engine as _;
use reqwest::StatusCode;
use youying_core::cases::CaseType;
use youying_core::error::{Error, Result};
use youying_core::ports::{Store, Tx};
use youying_core::sourcing::{self, CaseAnswer, Connection, ConnectionId, SourceCase, UpstreamCase};
use youying_core::stock::{ClaimedUnit, RawUnit};
use youying_core::values::CaseId;
use youying_dock::wire::{self, ErrorBody};

use super::client::{DockClient, Raw};
use super::{allow_private, client_for};
use crate::state::App;

const BATCH: usize = 10;
const LEASE_SECS: i64 = 120;
/// Screenshots forwarded with a relayed case, at most this many bytes in all
/// (the upstream's open API takes 8 MiB per case, base64 included).
const FORWARD_BYTES: usize = 5 * 1024 * 1024;

impl DockClient {
    /// `POST /orders/{no}/cases`.
    pub async fn open_case(&self, downstream_order_no: &str, case: &wire::NewCase) -> Raw {
        let body = serde_json::to_vec(case).map_err(|e| e.to_string())?;
        self.send("POST", &format!("/orders/{downstream_order_no}/cases"), Some(body)).await
    }

    /// `GET /cases/{id}`.
    pub async fn case(&self, id: i64) -> Raw {
        self.send("GET", &format!("/cases/{id}"), None).await
    }

    /// The order's open case there, if any (`GET /orders/{no}`).
    pub async fn open_case_of(&self, downstream_order_no: &str) -> std::result::Result<Option<i64>, String> {
        let (status, body) = self.send("GET", &format!("/orders/{downstream_order_no}"), None).await?;
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        let o: wire::Order = serde_json::from_slice(&body).map_err(|e| format!("answer not understood: {e}"))?;
        Ok(o.open_case_id)
    }
}

/// A case as the upstream shows it, or why not.
enum Seen {
    Case(Box<wire::Case>),
    Refused(ErrorBody),
    Unknown(String),
}

fn seen(raw: Raw) -> Seen {
    let (status, body) = match raw {
        Ok(r) => r,
        Err(e) => return Seen::Unknown(e),
    };
    if status.is_success() {
        return match serde_json::from_slice::<wire::Case>(&body) {
            Ok(c) => Seen::Case(Box::new(c)),
            Err(e) => Seen::Unknown(format!("answer not understood: {e}")),
        };
    }
    match (status, serde_json::from_slice::<ErrorBody>(&body).ok()) {
        (StatusCode::NOT_FOUND | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY, Some(e)) => Seen::Refused(e),
        (s, e) => Seen::Unknown(format!("HTTP {}: {}", s.as_u16(), e.map(|e| e.code).unwrap_or_default())),
    }
}

/// Asks about the upstream case; opens it first when it is not open yet
/// (after a lost answer, the order there says which case is ours).
async fn ask(client: &DockClient, row: &UpstreamCase, new: Option<&wire::NewCase>) -> Seen {
    if let Some(id) = row.upstream_case_id {
        return match seen(client.case(id).await) {
            Seen::Refused(e) => Seen::Unknown(format!("upstream case {id}: {}", e.code)),
            other => other,
        };
    }
    let no = &row.downstream_order_no;
    let adopt = |id: Option<i64>| async move {
        match id {
            Some(id) => Some(seen(client.case(id).await)),
            None => None,
        }
    };
    if row.attempts > 1 {
        match client.open_case_of(no).await {
            Ok(id) => {
                if let Some(s) = adopt(id).await {
                    return s;
                }
            }
            Err(e) => return Seen::Unknown(e),
        }
    }
    let Some(new) = new else { return Seen::Unknown("the case here is gone".into()) };
    match seen(client.open_case(no, new).await) {
        Seen::Refused(e) if e.reason.as_deref() == Some("case_already_open") => match client.open_case_of(no).await {
            Ok(id) => adopt(id).await.unwrap_or(Seen::Unknown("case_already_open".into())),
            Err(e) => Seen::Unknown(e),
        },
        other => other,
    }
}

/// The case as the upstream is asked to open it: the buyer's words and screenshots.
fn new_case(tx: &mut dyn Tx, id: CaseId) -> Result<wire::NewCase> {
    let case = tx.case(id)?.ok_or(Error::NotFound)?;
    let mut screenshots = Vec::new();
    let mut total = 0;
    for e in tx.case_evidence(id)?.into_iter().filter(|e| e.kind == "screenshot") {
        let Some((ct, body)) = tx.case_evidence_body(id, e.id)? else { continue };
        total += body.len();
        if total > FORWARD_BYTES {
            break;
        }
        let data = base64::engine::general_purpose::STANDARD.encode(&body);
        screenshots.push(format!("data:{ct};base64,{data}"));
    }
    let kind = if case.kind == CaseType::AccountMismatch { CaseType::Other } else { case.kind };
    let mut description = case.description.clone();
    if case.kind == CaseType::AccountMismatch {
        description = format!("账号与描述不符：{}。{description}", case.mismatched.join("、"));
    }
    Ok(wire::NewCase {
        kind: kind.as_str().to_owned(),
        description: description.chars().take(2_000).collect(),
        screenshots,
    })
}

/// The upstream's case in the core's words: reissued units sealed here.
fn answer_of<S: Store>(app: &App<S>, s: Seen) -> CaseAnswer {
    match s {
        Seen::Unknown(error) => CaseAnswer::Unknown { error },
        Seen::Refused(e) => CaseAnswer::Refused { code: e.reason.unwrap_or(e.code), message: e.message },
        Seen::Case(c) => {
            let mut units = Vec::with_capacity(c.reissued.len());
            for (line, u) in c.reissued.into_iter().enumerate() {
                match app.vault.seal(&RawUnit { line: line + 1, code: u.code, secret: u.secret }) {
                    Ok(s) => units.push(ClaimedUnit {
                        fingerprint: s.fingerprint,
                        code_enc: s.code_enc,
                        secret_enc: s.secret_enc,
                    }),
                    Err(e) => return CaseAnswer::Unknown { error: e.to_string() },
                }
            }
            CaseAnswer::Seen(SourceCase {
                id: c.id,
                state: c.state,
                remedy: c.remedy,
                refund_fen: c.refund_fen,
                outcome: c.outcome,
                units,
                closed: c.closed_at.is_some(),
            })
        }
    }
}

/// Works the due relayed cases; returns how many.
pub async fn run_cases<S: Store>(app: &App<S>) -> Result<usize> {
    let allow = allow_private(app).await?;
    let mut done = 0;
    loop {
        let now = app.now();
        let claimed = app
            .store
            .write(move |tx| {
                let rows = tx.claim_upstream_cases(now, now.plus_secs(LEASE_SECS), BATCH)?;
                let mut out: Vec<(Option<Connection>, UpstreamCase, Option<wire::NewCase>)> = Vec::new();
                for r in rows {
                    let new = if r.upstream_case_id.is_none() { Some(new_case(tx, r.case_id)?) } else { None };
                    out.push((tx.connection(r.connection_id)?, r, new));
                }
                Ok(out)
            })
            .await?;
        let count = claimed.len();
        for (connection, row, new) in claimed {
            let answer = match connection.map(|c| client_for(app, &c, allow)) {
                Some(Ok(client)) => answer_of(app, ask(&client, &row, new.as_ref()).await),
                Some(Err(e)) => CaseAnswer::Unknown { error: e.to_string() },
                None => CaseAnswer::Unknown { error: "connection missing".into() },
            };
            let (now, id) = (app.now(), row.case_id);
            app.store.write(move |tx| sourcing::case_answered(tx, now, id, &answer).map(|_| ())).await?;
            done += 1;
        }
        if count < BATCH {
            return Ok(done);
        }
    }
}

/// A verified callback about an upstream case of connection `id`; `NotFound`
/// when no case here was relayed as that one.
pub async fn apply_callback<S: Store>(app: &App<S>, id: ConnectionId, case: wire::Case) -> Result<()> {
    let upstream_id = case.id;
    let row = app.store.read(move |tx| tx.upstream_case_by_source(id, upstream_id)).await?.ok_or(Error::NotFound)?;
    let answer = answer_of(app, Seen::Case(Box::new(case)));
    let now = app.now();
    app.store.write(move |tx| sourcing::case_answered(tx, now, row.case_id, &answer).map(|_| ())).await
}
