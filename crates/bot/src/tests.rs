//! Unit tests of the bot's rules, answers and measured targets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::LazyLock;

use super::*;

static BOT: LazyLock<Bot> = LazyLock::new(Bot::new);

const NOW: i64 = 1_795_600_800_000; // 2026-11-25 18:00 Beijing
const HOUR: i64 = 3_600_000;

fn card() -> ProductFacts {
    ProductFacts {
        title: "Steam 100 元充值卡".into(),
        price_fen: 9_850,
        tiers: vec![Tier { min_qty: 50, price_fen: 9_600 }, Tier { min_qty: 10, price_fen: 9_750 }],
        stock: Some(37),
        kind: ProductKind::CardKey,
        delivery_secs: None,
        instructions: "登录 Steam → 账户明细 → 充值钱包 → 兑换充值卡，输入卡密。".into(),
    }
}

fn order(no: &str, state: &str, kind: ProductKind) -> OrderFacts {
    OrderFacts {
        no: no.into(),
        state: state.into(),
        title: "话费 100 元".into(),
        kind,
        created_at: NOW - HOUR,
        protect_until: Some(NOW + 20 * HOUR),
        promise_due: None,
        next_step: None,
    }
}

fn ctx() -> Context {
    Context { now_ms: NOW, knowledge: Knowledge::platform_default(), ..Context::default() }
}

#[test]
fn training_split_parses() {
    let (good, bad) = parse_examples(TRAIN);
    assert!(bad.is_empty(), "{bad:?}");
    assert!(good.len() >= 300);
}

#[test]
fn every_way_of_asking_for_a_human_hands_over() {
    for t in ["转人工", "人工", "真人客服", "我要跟人说话", "有人吗？", "叫你们老板来", "别机器人了", "HUMAN", "客服呢"]
    {
        let r = BOT.reply(t, &ctx());
        assert_eq!((r.intent, r.handoff), (Intent::Human, true), "{t}");
        assert_eq!(r.handoff_reason, Some(HandoffReason::AskedForHuman));
    }
}

#[test]
fn a_repeated_question_hands_over() {
    let mut c = ctx();
    c.product = Some(card());
    c.conversation.previous_questions = vec!["这个多少钱".into()];
    c.conversation.bot_answers_in_row = 1;
    let r = BOT.reply("这个多少钱？？", &c);
    assert_eq!((r.handoff, r.handoff_reason), (true, Some(HandoffReason::RepeatedQuestion)));
}

#[test]
fn saying_it_did_not_help_hands_over() {
    let mut c = ctx();
    c.conversation.bot_answers_in_row = 1;
    c.conversation.previous_questions = vec!["怎么兑换".into()];
    for t in ["没用", "还是不行", "没解决啊", "答非所问"] {
        let r = BOT.reply(t, &c);
        assert_eq!((r.handoff, r.handoff_reason), (true, Some(HandoffReason::NotHelpful)), "{t}");
    }
    let mut pressed = ctx();
    pressed.conversation.last_unhelpful = true;
    assert!(BOT.reply("怎么付款", &pressed).handoff);
}

#[test]
fn two_answers_in_a_row_then_a_human() {
    let mut c = ctx();
    c.product = Some(card());
    c.conversation.bot_answers_in_row = 1;
    assert!(!BOT.reply("有货吗", &c).handoff, "the second answer is still the bot's");
    c.conversation.bot_answers_in_row = 2;
    let r = BOT.reply("有货吗", &c);
    assert_eq!((r.handoff, r.handoff_reason), (true, Some(HandoffReason::TooManyAnswers)));
}

#[test]
fn disputes_hand_over_with_the_rule_deadlines_and_a_case_offer() {
    let mut c = ctx();
    c.rules.protect_card_key_secs = 48 * 3_600;
    c.rules.case_merchant_secs = 6 * 3_600;
    c.rules.case_resolve_secs = 36 * 3_600;
    c.orders = vec![order("202611250000000001", "delivered", ProductKind::CardKey)];
    let r = BOT.reply("卡密提示已被使用", &c);
    assert_eq!((r.intent, r.handoff), (Intent::KeyInvalid, true));
    assert_eq!(r.handoff_reason, Some(HandoffReason::Dispute));
    for fact in ["2 天", "6 小时", "36 小时", "202611250000000001"] {
        assert!(r.answer.contains(fact), "{fact} in {}", r.answer);
    }
    let offer = r.case_offer.expect("a one-tap case");
    assert_eq!((offer.order_no.as_str(), offer.case_type.as_str()), ("202611250000000001", "key_invalid"));
    let r = BOT.reply("卡密无效 订单202611240000000009", &c);
    assert!(r.answer.contains("没有找到订单号 202611240000000009"), "{}", r.answer);
    assert!(r.case_offer.is_some_and(|o| o.order_no == "202611250000000001"), "only the buyer's own order is offered");
    for (t, i) in [
        ("话费没到账", Intent::TopupMissing),
        ("账号跟描述不符", Intent::AccountMismatch),
        ("我要投诉", Intent::Complaint),
    ] {
        let r = BOT.reply(t, &c);
        assert_eq!((r.intent, r.handoff), (i, true), "{t}");
    }
}

#[test]
fn price_uses_the_products_real_tiers() {
    let mut c = ctx();
    c.product = Some(card());
    let r = BOT.reply("买50张多少钱", &c);
    assert_eq!((r.intent, r.handoff), (Intent::Price, false));
    for fact in ["¥98.50", "满 10 件 ¥97.50/件", "满 50 件 ¥96.00/件", "买 50 件每件 ¥96.00，共 ¥4800.00"]
    {
        assert!(r.answer.contains(fact), "{fact} in {}", r.answer);
    }
    assert_eq!(r.buttons, ["已解决", "转人工"]);
}

#[test]
fn without_a_product_no_number_is_said() {
    for t in ["多少钱", "还有货吗"] {
        let r = BOT.reply(t, &ctx());
        assert!(!r.answer.chars().any(|ch| ch.is_ascii_digit()), "{}", r.answer);
        assert!(r.answer.contains("转人工"), "{}", r.answer);
    }
}

#[test]
fn stock_and_delivery_from_the_product() {
    let mut c = ctx();
    c.product = Some(card());
    assert!(BOT.reply("还有货吗", &c).answer.contains("37 件"));
    let mut topup = card();
    topup.kind = ProductKind::DirectTopup;
    topup.stock = None;
    topup.delivery_secs = Some(1_800);
    c.product = Some(topup);
    let r = BOT.reply("多久到账", &c);
    assert_eq!(r.intent, Intent::DeliveryTime);
    assert!(r.answer.contains("30 分钟"), "{}", r.answer);
}

#[test]
fn an_order_number_not_among_the_buyers_orders_is_not_found() {
    let mut c = ctx();
    c.orders = vec![order("202611250000000001", "delivered", ProductKind::CardKey)];
    let r = BOT.reply("订单202611249999999999什么状态", &c);
    assert_eq!(r.intent, Intent::OrderStatus);
    assert!(r.answer.contains("没有找到订单号 202611249999999999"), "{}", r.answer);
    assert!(!r.answer.contains("话费"), "nothing about any order is revealed: {}", r.answer);
}

#[test]
fn order_status_says_the_next_step_and_its_due_time() {
    let mut c = ctx();
    let mut o = order("202611250000000002", "awaiting_fulfilment", ProductKind::DirectTopup);
    o.promise_due = Some(NOW + HOUR / 2);
    c.orders = vec![o];
    let r = BOT.reply("订单 202611250000000002 到哪了", &c);
    assert_eq!(r.intent, Intent::OrderStatus);
    assert!(r.answer.contains("待商家充值") && r.answer.contains("11月25日 18:30"), "{}", r.answer);
    assert!(r.answer.contains("还剩 30 分钟") && r.answer.contains("取消订单并立即退款"), "{}", r.answer);
}

#[test]
fn redemption_and_refund_from_configured_facts() {
    let mut c = ctx();
    c.product = Some(card());
    assert!(BOT.reply("卡密怎么用", &c).answer.contains("兑换充值卡"));
    c.rules.protect_account_secs = 96 * 3_600;
    let r = BOT.reply("可以退款吗", &c);
    assert_eq!(r.intent, Intent::RefundPolicy);
    assert!(r.answer.contains("4 天") && r.answer.contains("24 小时"), "{}", r.answer);
}

#[test]
fn unknown_questions_hand_over_and_faq_hits_answer() {
    let r = BOT.reply("今天天气怎么样", &ctx());
    assert_eq!((r.intent, r.handoff), (Intent::Other, true));
    let r = BOT.reply("能开发票吗", &ctx());
    assert!(!r.handoff && r.answer.contains("发票"), "{r:?}");
}

#[test]
fn the_reply_serialises_with_its_buttons() {
    let v = serde_json::to_value(BOT.reply("转人工", &ctx())).unwrap();
    assert_eq!(v["intent"], "human");
    assert_eq!(v["handoff"], true);
    assert_eq!(v["buttons"], serde_json::json!(["已解决", "转人工"]));
}

/// The held-back targets from issue 6; a regression fails CI.
#[test]
fn held_back_targets_are_met() {
    let report = eval::evaluate(&BOT, include_str!("../data/test.tsv"));
    println!("{}", report.render());
    assert!(report.bad_lines.is_empty());
    assert!(report.total() >= 100);
    assert!(report.accuracy() >= 0.90, "{}", report.render());
    assert!(report.human_handoff_recall() >= 1.0, "{}", report.render());
    assert!(report.dispute_handoff_recall() >= 0.98, "{}", report.render());
    assert!(report.wrong_answer_rate() < 0.03, "{}", report.render());
}

/// Tuning aid on the training split only: 5-fold cross-validation. Run with
/// `cargo test -p youying-bot tune -- --ignored --nocapture`.
#[test]
#[ignore = "a tuning aid, not a check"]
fn tune_cross_validation() {
    let (all, _) = parse_examples(TRAIN);
    let mut total = eval::Report {
        confusion: [[0; 13]; 13],
        human: (0, 0),
        dispute: (0, 0),
        answerable: (0, 0),
        bad_lines: vec![],
    };
    let mut seen = Vec::new();
    for fold in 0..5 {
        let (held, kept): (Vec<_>, Vec<_>) = all.iter().enumerate().partition(|(n, _)| n % 5 == fold);
        let kept: Vec<(Intent, String)> = kept.into_iter().map(|(_, e)| e.clone()).collect();
        let tsv: String = held.iter().map(|(_, (i, t))| format!("{i}\t{t}\n")).collect();
        let r = eval::evaluate(&Bot::train(&kept), &tsv);
        for g in 0..13 {
            for p in 0..13 {
                total.confusion[g][p] += r.confusion[g][p];
            }
        }
        total.human = (total.human.0 + r.human.0, total.human.1 + r.human.1);
        total.dispute = (total.dispute.0 + r.dispute.0, total.dispute.1 + r.dispute.1);
        total.answerable = (total.answerable.0 + r.answerable.0, total.answerable.1 + r.answerable.1);
        let mut bot = Bot::train(&kept);
        bot.min_confidence = 0.0;
        for (_, (gold, text)) in &held {
            let c = bot.classify(text);
            seen.push((*gold, c));
            if c.intent != *gold {
                println!("{gold:>16} → {:<16} {:.2} {text}", c.intent.as_str(), c.confidence);
            }
        }
    }
    println!("{}", total.render());
    for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5] {
        let decide = |c: &Classified| if !c.by_rule && c.confidence < t { Intent::Other } else { c.intent };
        let right = seen.iter().filter(|(g, c)| decide(c) == *g).count();
        let wrong =
            seen.iter().filter(|(g, c)| g.is_answerable() && decide(c).is_answerable() && decide(c) != *g).count();
        println!("threshold {t}: accuracy {right}/{}  wrong answers {wrong}", seen.len());
    }
}
