//! The platform's own service report (平台服务报告): the platform is measured
//! the way it measures shops, over the last 7 and 30 days. Figures only — no
//! buyer, no shop name, no message text. Counts and milliseconds only: the
//! words (a tenth of a second, two decimals of a percent with the exact
//! fraction beside) are `grades::shown`'s, the same the shops' figures use.

use std::collections::BTreeMap;

use crate::cases::CaseType;
use crate::clock::Timestamp;
use crate::enforcement::{BreachKind, Party};
use crate::error::Result;
use crate::grades::{P90, p90};
use crate::money::Account;
use crate::ports::ReadTx;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// China time, for the bot's day numbers.
const CHINA_OFFSET_MS: i64 = 8 * HOUR_MS;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTypeLine {
    pub kind: String,
    pub label: &'static str,
    pub cases: i64,
    pub refunds: i64,
    pub refund_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachLine {
    pub kind: BreachKind,
    pub party: Party,
    pub count: i64,
}

/// Money through the platform's edge on one China day: paid in through
/// gateways, paid out to merchants' and buyers' own accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyDay {
    /// The day's first instant (00:00 Beijing time).
    pub day: Timestamp,
    pub paid_in_fen: i64,
    pub paid_out_fen: i64,
}

/// One window of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceWindow {
    pub days: i64,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Platform agents' first replies measured, and buyer messages the platform let lapse.
    pub replies: i64,
    pub unanswered: i64,
    pub reply_p90: P90,
    /// Arbitrations whose 24 h fell in the window, and those decided by then.
    pub arbitrations_due: i64,
    pub arbitrations_in_time: i64,
    /// Whole hours of the window, and those with an agent on duty at some point.
    pub hours: i64,
    pub hours_on_duty: i64,
    /// Bot: days with figures; `None` for the rate when there were none.
    pub bot_days: i64,
    pub bot_settled: i64,
    pub bot_handed_over: i64,
    pub cases: Vec<CaseTypeLine>,
    pub breaches: Vec<BreachLine>,
    /// Days with money in or out, oldest first.
    pub money: Vec<MoneyDay>,
}

/// Hours `[from + i h, from + (i+1) h)` of `[from, to)` during which at least
/// one interval was open.
pub fn hours_covered(intervals: &[(Timestamp, Option<Timestamp>)], from: Timestamp, to: Timestamp) -> (i64, i64) {
    let hours = (to.millis() - from.millis()).max(0) / HOUR_MS;
    let covered = (0..hours)
        .filter(|i| {
            let (hs, he) = (from.millis() + i * HOUR_MS, from.millis() + (i + 1) * HOUR_MS);
            intervals.iter().any(|(s, e)| s.millis() < he && e.map_or(i64::MAX, Timestamp::millis) > hs)
        })
        .count() as i64;
    (hours, covered)
}

/// The day number `bot_days` uses for `t`.
pub fn china_day(t: Timestamp) -> i64 {
    (t.millis() + CHINA_OFFSET_MS).div_euclid(DAY_MS)
}

/// Money in (gateway clearing goes negative as payments land) and out (paid
/// out grows as withdrawals are paid) per China day of `(from, to]`.
pub fn money_days(tx: &mut dyn ReadTx, from: Timestamp, to: Timestamp) -> Result<Vec<MoneyDay>> {
    let mut days: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (day, sum) in tx.daily_sums(Account::GatewayClearing, from, to, CHINA_OFFSET_MS)? {
        days.entry(day).or_default().0 -= sum;
    }
    for (day, sum) in tx.daily_sums(Account::PaidOut, from, to, CHINA_OFFSET_MS)? {
        days.entry(day).or_default().1 += sum;
    }
    Ok(days
        .into_iter()
        .map(|(day, (paid_in_fen, paid_out_fen))| MoneyDay {
            day: Timestamp::from_millis(day * DAY_MS - CHINA_OFFSET_MS),
            paid_in_fen,
            paid_out_fen,
        })
        .collect())
}

fn case_lines(cases: &[crate::grades::port::CaseMark]) -> Vec<CaseTypeLine> {
    let mut lines: Vec<CaseTypeLine> = ["key_invalid", "topup_missing", "account_mismatch", "other"]
        .into_iter()
        .map(|k| CaseTypeLine {
            kind: k.to_owned(),
            label: CaseType::parse(k).map_or("其他", CaseType::label),
            cases: 0,
            refunds: 0,
            refund_fen: 0,
        })
        .collect();
    for c in cases {
        if let Some(l) = lines.iter_mut().find(|l| l.kind == c.kind) {
            l.cases += 1;
            if c.refund_fen > 0 {
                l.refunds += 1;
                l.refund_fen += c.refund_fen;
            }
        }
    }
    lines
}

/// The report's window of `days` days ending at `now`.
pub fn window(tx: &mut dyn ReadTx, now: Timestamp, days: i64) -> Result<ServiceWindow> {
    let from = Timestamp::from_millis(now.millis() - days * DAY_MS);
    let replies = tx.replies_between(None, "platform", from, now)?;
    let breaches = tx.breaches_between(None, from, now)?;
    let unanswered = breaches.iter().filter(|b| b.kind == BreachKind::PlatformChatReply).count() as i64;
    let waits: Vec<i64> = replies.iter().map(crate::grades::port::ReplyMark::wait_ms).collect();
    let arbitrations = tx.arbitrations_due_between(from, now)?;
    let in_time = arbitrations.iter().filter(|c| c.decided_in_time()).count() as i64;
    let (hours, hours_on_duty) = hours_covered(&tx.duty_intervals(from, now)?, from, now);
    let bot = tx.bot_totals(china_day(from), china_day(now))?;
    let mut counts: BTreeMap<(BreachKind, Party), i64> = BTreeMap::new();
    for b in &breaches {
        *counts.entry((b.kind, b.party)).or_default() += 1;
    }
    Ok(ServiceWindow {
        days,
        from,
        to: now,
        replies: replies.len() as i64,
        unanswered,
        reply_p90: p90(&waits, unanswered),
        arbitrations_due: arbitrations.len() as i64,
        arbitrations_in_time: in_time,
        hours,
        hours_on_duty,
        bot_days: bot.days,
        bot_settled: bot.settled,
        bot_handed_over: bot.handed_over,
        cases: case_lines(&tx.cases_opened_between(None, from, now)?),
        breaches: counts.into_iter().map(|((kind, party), count)| BreachLine { kind, party, count }).collect(),
        money: money_days(tx, from, now)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_counts_when_anyone_was_on_duty_in_it() {
        let t = |m: i64| Timestamp::from_millis(m * 60_000);
        // Hours 0..4: on 0:10–0:20 (hour 0), 1:50–2:10 (hours 1 and 2), nothing in hour 3.
        let spans = [(t(10), Some(t(20))), (t(110), Some(t(130)))];
        assert_eq!(hours_covered(&spans, t(0), t(240)), (4, 3));
        assert_eq!(hours_covered(&[(t(0), None)], t(0), t(240)), (4, 4));
        assert_eq!(hours_covered(&[], t(0), t(240)), (4, 0));
    }

    #[test]
    fn china_days_start_at_midnight_beijing() {
        // 2026-11-24 16:00 UTC = 2026-11-25 00:00 Beijing.
        let midnight = Timestamp::from_millis(1_795_564_800_000 - 8 * HOUR_MS);
        assert_eq!(china_day(midnight), china_day(midnight.plus_secs(86_399)));
        assert_eq!(china_day(midnight) - 1, china_day(midnight.plus_millis(-1)));
    }
}
