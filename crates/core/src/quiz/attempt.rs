//! Taking the quiz: start an attempt, submit it once, hold a certificate.

use serde_json::json;

use super::{Attempt, CERTIFICATE_SECS, Certificate, draw, order_answers, score};
use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::{ReadTx, Tx};
use crate::quiz::QuizRead;
use crate::shops::port::ShopRead;
use crate::values::{Role, ShopId, UserId};

/// Who answers buyers takes the quiz: merchant agents and shop owners.
/// Buyers who own no shop and platform staff do not.
pub fn may_take(tx: &mut dyn ShopRead, actor: &User) -> Result<()> {
    let ok = match actor.role {
        Role::MerchantAgent => actor.shop_id.is_some(),
        Role::Buyer => !tx.shops_owned_by(actor.id)?.is_empty(),
        Role::PlatformAgent | Role::Admin => false,
    };
    if ok { Ok(()) } else { Err(Error::Forbidden) }
}

fn subject(user: UserId) -> String {
    format!("quiz:user:{user}")
}

/// Starts an attempt of questions drawn with `seed` (the caller's randomness).
pub fn start(tx: &mut dyn Tx, now: Timestamp, actor: &User, seed: u64) -> Result<Attempt> {
    may_take(tx, actor)?;
    let items = draw(&tx.quiz_questions(false)?, seed)?;
    let id = tx.insert_attempt(actor.id, now, &items)?;
    let ids: Vec<i64> = items.iter().map(|i| i.question_id).collect();
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "quiz.started",
        subject(actor.id),
        json!({ "attempt": id, "questions": ids }),
    ))?;
    Ok(Attempt {
        id,
        user_id: actor.id,
        started_at: now,
        items,
        answers: None,
        submitted_at: None,
        score: None,
        passed: None,
    })
}

/// The actor's own attempt; anyone else's is `NotFound`.
pub fn load(tx: &mut dyn QuizRead, actor: &User, id: i64) -> Result<Attempt> {
    tx.attempt(id)?.filter(|a| a.user_id == actor.id).ok_or(Error::NotFound)
}

/// A finished attempt and, on a pass, the certificate it granted or renewed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempt: Attempt,
    pub certificate: Option<Certificate>,
}

/// Submits every answer at once: `(question_id, option index as shown)`.
/// Once only (`attempt_finished`), within 30 minutes (`attempt_expired`).
pub fn submit(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: i64, answers: &[(i64, usize)]) -> Result<Outcome> {
    let mut attempt = load(tx, actor, id)?;
    if attempt.submitted_at.is_some() {
        return Err(Error::Conflict(Conflict::AttemptFinished));
    }
    if now >= attempt.expires_at() {
        return Err(Error::Conflict(Conflict::AttemptExpired));
    }
    let chosen = order_answers(&attempt.items, answers)?;
    let (right, passed) = score(&attempt.items, &chosen);
    if !tx.finish_attempt(id, now, &chosen, right, passed)? {
        return Err(Error::Conflict(Conflict::AttemptFinished));
    }
    let certificate = passed.then(|| Certificate {
        user_id: actor.id,
        passed_at: now,
        valid_until: now.plus_secs(CERTIFICATE_SECS),
        attempt_id: id,
    });
    if let Some(c) = &certificate {
        tx.put_certificate(c)?;
    }
    let total = attempt.items.len();
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        if passed { "quiz.passed" } else { "quiz.failed" },
        subject(actor.id),
        json!({ "attempt": id, "right": right, "total": total,
                "valid_until": certificate.as_ref().map(|c| c.valid_until.millis()) }),
    ))?;
    attempt.answers = Some(chosen);
    attempt.submitted_at = Some(now);
    attempt.score = Some(right);
    attempt.passed = Some(passed);
    Ok(Outcome { attempt, certificate })
}

/// The user's certificate as stored (possibly expired).
pub fn certificate(tx: &mut dyn QuizRead, user: UserId) -> Result<Option<Certificate>> {
    tx.certificate(user)
}

/// The user's certificate if still valid at `now`.
pub fn valid_certificate(tx: &mut dyn QuizRead, user: UserId, now: Timestamp) -> Result<Option<Certificate>> {
    Ok(tx.certificate(user)?.filter(|c| c.valid_at(now)))
}

/// A shop's staff (owner + enabled agents) holding a valid certificate, and
/// all of them: `(certified, total)`; `None` for an unknown shop.
pub fn certified_share(tx: &mut dyn ReadTx, shop: ShopId, now: Timestamp) -> Result<Option<(usize, usize)>> {
    let Some(s) = tx.shop(shop)? else { return Ok(None) };
    let mut staff = vec![s.owner_id];
    staff.extend(tx.shop_agents(shop)?.into_iter().filter(|u| !u.disabled).map(|u| u.id));
    let mut certified = 0;
    for user in &staff {
        if valid_certificate(tx, *user, now)?.is_some() {
            certified += 1;
        }
    }
    Ok(Some((certified, staff.len())))
}
