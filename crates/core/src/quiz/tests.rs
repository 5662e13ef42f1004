use super::*;

fn bank(n: i64) -> Vec<Question> {
    (1..=n)
        .map(|id| Question {
            id,
            text: format!("问题{id}"),
            options: vec![format!("对{id}"), format!("错{id}a"), format!("错{id}b")],
            correct: 0,
            explanation: Some("因为规则如此".into()),
            active: true,
            updated_at: Timestamp::from_millis(0),
        })
        .collect()
}

#[test]
fn drawing_takes_ten_distinct_active_questions_and_keeps_the_right_answer() {
    let mut b = bank(15);
    b[0].active = false;
    let items = draw(&b, 7).unwrap();
    assert_eq!(items.len(), QUESTIONS_PER_ATTEMPT);
    let mut ids: Vec<i64> = items.iter().map(|i| i.question_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), QUESTIONS_PER_ATTEMPT, "no question twice");
    assert!(!ids.contains(&1), "a retired question is never drawn");
    for item in &items {
        assert_eq!(item.options[item.correct], format!("对{}", item.question_id), "the answer follows the shuffle");
    }
    assert_eq!(draw(&b, 7).unwrap(), items, "the same seed draws the same attempt");
    assert_ne!(draw(&b, 8).unwrap(), items, "another seed another attempt");
}

#[test]
fn shuffling_moves_the_correct_option_around() {
    let b = bank(12);
    let positions: std::collections::HashSet<usize> =
        (0..20).flat_map(|seed| draw(&b, seed).unwrap()).map(|i| i.correct).collect();
    assert_eq!(positions.len(), 3, "the right answer is not always first: {positions:?}");
}

#[test]
fn a_bank_under_ten_active_questions_is_too_small() {
    let mut b = bank(10);
    assert!(draw(&b, 1).is_ok());
    b[3].active = false;
    assert!(matches!(draw(&b, 1), Err(Error::Conflict(Conflict::QuizBankTooSmall))));
}

#[test]
fn scoring_passes_at_ninety_percent() {
    let items = draw(&bank(10), 3).unwrap();
    let right: Vec<usize> = items.iter().map(|i| i.correct).collect();
    assert_eq!(score(&items, &right), (10, true));
    let mut nine = right.clone();
    nine[0] = (nine[0] + 1) % 3;
    assert_eq!(score(&items, &nine), (9, true));
    let mut eight = nine.clone();
    eight[5] = (eight[5] + 1) % 3;
    assert_eq!(score(&items, &eight), (8, false));
}

#[test]
fn answers_cover_every_question_exactly_once() {
    let items = draw(&bank(10), 4).unwrap();
    let all: Vec<(i64, usize)> = items.iter().map(|i| (i.question_id, 1)).collect();
    assert_eq!(order_answers(&items, &all).unwrap(), vec![1; 10]);
    let mut twice = all.clone();
    twice[9] = twice[0];
    assert!(order_answers(&items, &twice).is_err(), "one question twice, another not at all");
    assert!(order_answers(&items, &all[..9]).is_err(), "all or nothing");
    let mut out_of_range = all.clone();
    out_of_range[2].1 = 3;
    assert!(order_answers(&items, &out_of_range).is_err());
    let mut stranger = all;
    stranger[4].0 = 999;
    assert!(order_answers(&items, &stranger).is_err());
}

#[test]
fn drafts_are_checked() {
    let opts = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let q = QuestionDraft::parse(" 买家多久内必须回复？ ", &opts(&["2 分钟", " 10 分钟 "]), 0, Some("  ")).unwrap();
    assert_eq!((q.text(), q.options()[1].as_str(), q.explanation()), ("买家多久内必须回复？", "10 分钟", None));
    assert!(QuestionDraft::parse("q", &opts(&["只有一个"]), 0, None).is_err());
    assert!(QuestionDraft::parse("q", &opts(&["a", "b", "c", "d", "e", "f", "g"]), 0, None).is_err());
    assert!(QuestionDraft::parse("q", &opts(&["a", "a"]), 0, None).is_err());
    assert!(QuestionDraft::parse("q", &opts(&["a", "b"]), 2, None).is_err());
    assert!(QuestionDraft::parse(" ", &opts(&["a", "b"]), 0, None).is_err());
    assert!(QuestionDraft::parse("q", &opts(&["a", ""]), 0, None).is_err());
}

#[test]
fn a_certificate_is_valid_until_its_end() {
    let c = Certificate {
        user_id: UserId(1),
        passed_at: Timestamp::from_millis(0),
        valid_until: Timestamp::from_millis(0).plus_secs(CERTIFICATE_SECS),
        attempt_id: 1,
    };
    assert!(c.valid_at(Timestamp::from_millis(0).plus_secs(CERTIFICATE_SECS - 1)));
    assert!(!c.valid_at(c.valid_until));
}
