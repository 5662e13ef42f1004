//! What the rules quiz needs from persistence; part of [`Tx`](crate::ports::Tx).

use super::{Attempt, AttemptItem, Certificate, Question, QuestionDraft};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::UserId;

/// The bank, attempts and certificates. Questions are never deleted: retired
/// ones stay for the attempts that drew them (each attempt also keeps its own copy).
pub trait QuizTx: QuizRead {
    fn insert_quiz_question(&mut self, q: &QuestionDraft, by: UserId, at: Timestamp) -> Result<i64>;
    fn update_quiz_question(&mut self, id: i64, q: &QuestionDraft, by: UserId, at: Timestamp) -> Result<()>;
    fn retire_quiz_question(&mut self, id: i64, by: UserId, at: Timestamp) -> Result<()>;
    fn insert_attempt(&mut self, user: UserId, at: Timestamp, items: &[AttemptItem]) -> Result<i64>;
    /// Records the answers and score of an unfinished attempt; false when it
    /// was already finished (a concurrent double submit).
    fn finish_attempt(&mut self, id: i64, at: Timestamp, answers: &[usize], score: i64, passed: bool) -> Result<bool>;
    /// Creates or renews the user's certificate.
    fn put_certificate(&mut self, c: &Certificate) -> Result<()>;
}

/// The query half of [`QuizTx`], for read-only transactions.
pub trait QuizRead {
    /// The bank, oldest first; only the active questions unless `all`.
    fn quiz_questions(&mut self, all: bool) -> Result<Vec<Question>>;
    fn quiz_question(&mut self, id: i64) -> Result<Option<Question>>;
    /// Locks the attempt for the rest of the transaction.
    fn attempt(&mut self, id: i64) -> Result<Option<Attempt>>;
    fn certificate(&mut self, user: UserId) -> Result<Option<Certificate>>;
}
