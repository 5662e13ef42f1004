//! The rules quiz half of the port, in the SQL both backends share. Options,
//! an attempt's drawn questions and its answers are stored as JSON text.

use youying_core::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::quiz::{Attempt, AttemptItem, Certificate, Question, QuestionDraft, QuizRead, QuizTx};
use youying_core::values::UserId;

use crate::sql::{Conn, Row, params};
use crate::sqltx::SqlTx;

const Q_COLS: &str = "id, text, options, correct, explanation, active, updated_at";
const A_COLS: &str = "id, user_id, started_at, items, answers, submitted_at, score, passed";

fn bad(what: &str) -> Error {
    StorageError(format!("bad quiz {what}")).into()
}

fn index(v: i64) -> Result<usize> {
    usize::try_from(v).map_err(|_| bad("index"))
}

fn question(r: &Row) -> Result<Question> {
    Ok(Question {
        id: r.int(0)?,
        text: r.text(1)?,
        options: serde_json::from_str(&r.text(2)?).map_err(|_| bad("options"))?,
        correct: index(r.int(3)?)?,
        explanation: r.opt_text(4)?,
        active: r.int(5)? != 0,
        updated_at: r.time(6)?,
    })
}

fn attempt(r: &Row) -> Result<Attempt> {
    let answers: Option<Vec<usize>> =
        r.opt_text(4)?.map(|a| serde_json::from_str(&a).map_err(|_| bad("answers"))).transpose()?;
    Ok(Attempt {
        id: r.int(0)?,
        user_id: UserId(r.int(1)?),
        started_at: r.time(2)?,
        items: serde_json::from_str(&r.text(3)?).map_err(|_| bad("items"))?,
        answers,
        submitted_at: r.opt_time(5)?,
        score: r.opt_int(6)?,
        passed: r.opt_int(7)?.map(|p| p != 0),
    })
}

/// JSON text of a value the core defines (no `serde` dependency here).
macro_rules! json {
    ($v:expr) => {
        serde_json::to_string($v).map_err(|e| Error::from(StorageError(format!("quiz json: {e}"))))
    };
}

fn correct(q: &QuestionDraft) -> i64 {
    i64::try_from(q.correct()).unwrap_or(i64::MAX)
}

impl<C: Conn> QuizTx for SqlTx<'_, C> {
    fn insert_quiz_question(&mut self, q: &QuestionDraft, by: UserId, at: Timestamp) -> Result<i64> {
        self.insert_id(
            "INSERT INTO quiz_questions (text, options, correct, explanation, active, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
            params![q.text(), json!(q.options())?, correct(q), q.explanation(), by.0, at],
        )
    }

    fn update_quiz_question(&mut self, id: i64, q: &QuestionDraft, by: UserId, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE quiz_questions SET text = $2, options = $3, correct = $4, explanation = $5, updated_by = $6, \
             updated_at = $7 WHERE id = $1",
            params![id, q.text(), json!(q.options())?, correct(q), q.explanation(), by.0, at],
        )?;
        Ok(())
    }

    fn retire_quiz_question(&mut self, id: i64, by: UserId, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE quiz_questions SET active = 0, updated_by = $2, updated_at = $3 WHERE id = $1",
            params![id, by.0, at],
        )?;
        Ok(())
    }

    fn insert_attempt(&mut self, user: UserId, at: Timestamp, items: &[AttemptItem]) -> Result<i64> {
        self.insert_id(
            "INSERT INTO quiz_attempts (user_id, started_at, items) VALUES ($1, $2, $3) RETURNING id",
            params![user.0, at, json!(items)?],
        )
    }

    fn finish_attempt(&mut self, id: i64, at: Timestamp, answers: &[usize], score: i64, passed: bool) -> Result<bool> {
        let n = self.exec(
            "UPDATE quiz_attempts SET answers = $2, submitted_at = $3, score = $4, passed = $5 \
             WHERE id = $1 AND submitted_at IS NULL",
            params![id, json!(answers)?, at, score, passed],
        )?;
        Ok(n == 1)
    }

    fn put_certificate(&mut self, c: &Certificate) -> Result<()> {
        self.exec(
            "INSERT INTO quiz_certificates (user_id, passed_at, valid_until, attempt_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET passed_at = excluded.passed_at, valid_until = excluded.valid_until, \
             attempt_id = excluded.attempt_id",
            params![c.user_id.0, c.passed_at, c.valid_until, c.attempt_id],
        )?;
        Ok(())
    }
}

impl<C: Conn> QuizRead for SqlTx<'_, C> {
    fn quiz_questions(&mut self, all: bool) -> Result<Vec<Question>> {
        let cond = if all { "" } else { " WHERE active = 1" };
        self.query(&format!("SELECT {Q_COLS} FROM quiz_questions{cond} ORDER BY id"), params![])?
            .iter()
            .map(question)
            .collect()
    }

    fn quiz_question(&mut self, id: i64) -> Result<Option<Question>> {
        self.one(&format!("SELECT {Q_COLS} FROM quiz_questions WHERE id = $1"), params![id])?
            .as_ref()
            .map(question)
            .transpose()
    }

    fn attempt(&mut self, id: i64) -> Result<Option<Attempt>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {A_COLS} FROM quiz_attempts WHERE id = $1{lock}"), params![id])?
            .as_ref()
            .map(attempt)
            .transpose()
    }

    fn certificate(&mut self, user: UserId) -> Result<Option<Certificate>> {
        let row = self.one(
            "SELECT user_id, passed_at, valid_until, attempt_id FROM quiz_certificates WHERE user_id = $1",
            params![user.0],
        )?;
        row.map(|r| {
            Ok(Certificate {
                user_id: UserId(r.int(0)?),
                passed_at: r.time(1)?,
                valid_until: r.time(2)?,
                attempt_id: r.int(3)?,
            })
        })
        .transpose()
    }
}
