//! The question bank, edited by an admin. Questions are retired, never
//! deleted; every change is an evidence event.

use serde_json::json;

use super::{Question, QuestionDraft};
use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;

const SUBJECT: &str = "quiz:bank";

fn payload(id: i64, q: &QuestionDraft) -> serde_json::Value {
    json!({ "id": id, "text": q.text(), "options": q.options(), "correct": q.correct(), "explanation": q.explanation() })
}

pub fn add(tx: &mut dyn Tx, now: Timestamp, actor: &User, q: &QuestionDraft) -> Result<Question> {
    authz::admin(actor)?;
    let id = tx.insert_quiz_question(q, actor.id, now)?;
    tx.append(NewEvent::new(now, Some(actor.id), "quiz.question_added", SUBJECT, payload(id, q)))?;
    tx.quiz_question(id)?.ok_or(Error::NotFound)
}

pub fn edit(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: i64, q: &QuestionDraft) -> Result<Question> {
    authz::admin(actor)?;
    tx.quiz_question(id)?.ok_or(Error::NotFound)?;
    tx.update_quiz_question(id, q, actor.id, now)?;
    tx.append(NewEvent::new(now, Some(actor.id), "quiz.question_changed", SUBJECT, payload(id, q)))?;
    tx.quiz_question(id)?.ok_or(Error::NotFound)
}

/// Takes a question out of future draws; attempts that drew it keep their copy.
pub fn retire(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: i64) -> Result<Question> {
    authz::admin(actor)?;
    let q = tx.quiz_question(id)?.ok_or(Error::NotFound)?;
    if !q.active {
        return Err(Error::Conflict(Conflict::QuestionRetired));
    }
    tx.retire_quiz_question(id, actor.id, now)?;
    tx.append(NewEvent::new(now, Some(actor.id), "quiz.question_retired", SUBJECT, json!({ "id": id })))?;
    tx.quiz_question(id)?.ok_or(Error::NotFound)
}
