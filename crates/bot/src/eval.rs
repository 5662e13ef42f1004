//! Evaluation on a labelled `intent<TAB>text` file: per-intent accuracy, a confusion table,
//! hand-off recall for `human` and the dispute intents, and how often an answerable question
//! got an answer for the wrong intent. Each message is judged alone, as a first message in a
//! fresh conversation with the platform FAQ and default rules and no product or orders.

use std::fmt::Write;

use crate::{Bot, Context, Intent, Knowledge, parse_examples};

const N: usize = Intent::ALL.len();

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// `confusion[gold][predicted]`, indexed like [`Intent::ALL`].
    pub confusion: [[u32; N]; N],
    /// Gold `human` messages, and how many of them were handed over.
    pub human: (u32, u32),
    /// Gold dispute messages, and how many of them were handed over.
    pub dispute: (u32, u32),
    /// Gold answerable messages, and how many got an answer for another answerable intent.
    pub answerable: (u32, u32),
    /// Line numbers that were not `intent<TAB>text` with a known intent.
    pub bad_lines: Vec<usize>,
}

/// Classifies and answers every example in `tsv`.
pub fn evaluate(bot: &Bot, tsv: &str) -> Report {
    let (examples, bad_lines) = parse_examples(tsv);
    let ctx = Context { knowledge: Knowledge::platform_default(), ..Context::default() };
    let mut r = Report { confusion: [[0; N]; N], human: (0, 0), dispute: (0, 0), answerable: (0, 0), bad_lines };
    for (gold, text) in &examples {
        let reply = bot.reply(text, &ctx);
        r.confusion[gold.index()][reply.intent.index()] += 1;
        let handed = u32::from(reply.handoff);
        if *gold == Intent::Human {
            r.human.0 += 1;
            r.human.1 += handed;
        } else if gold.is_dispute() {
            r.dispute.0 += 1;
            r.dispute.1 += handed;
        } else if gold.is_answerable() {
            r.answerable.0 += 1;
            let wrong = reply.intent != *gold && reply.intent.is_answerable() && !reply.handoff;
            r.answerable.1 += u32::from(wrong);
        }
    }
    r
}

fn ratio(num: u32, den: u32) -> f64 {
    if den == 0 { 1.0 } else { f64::from(num) / f64::from(den) }
}

impl Report {
    pub fn total(&self) -> u32 {
        self.confusion.iter().flatten().sum()
    }

    pub fn correct(&self) -> u32 {
        (0..N).map(|k| self.confusion[k][k]).sum()
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.correct(), self.total())
    }

    /// (examples, correct) for one gold intent.
    pub fn per_intent(&self, intent: Intent) -> (u32, u32) {
        let row = &self.confusion[intent.index()];
        (row.iter().sum(), row[intent.index()])
    }

    pub fn human_handoff_recall(&self) -> f64 {
        ratio(self.human.1, self.human.0)
    }

    pub fn dispute_handoff_recall(&self) -> f64 {
        ratio(self.dispute.1, self.dispute.0)
    }

    /// Share of answerable questions answered as another answerable intent.
    pub fn wrong_answer_rate(&self) -> f64 {
        1.0 - ratio(self.answerable.0 - self.answerable.1, self.answerable.0)
    }

    /// The report as a plain-text table (Markdown-compatible).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let pct = |x: f64| format!("{:.1} %", x * 100.0);
        let _ = writeln!(
            s,
            "examples: {}   accuracy: {} ({}/{})",
            self.total(),
            pct(self.accuracy()),
            self.correct(),
            self.total()
        );
        let _ = writeln!(
            s,
            "hand-off recall, human: {} ({}/{})",
            pct(self.human_handoff_recall()),
            self.human.1,
            self.human.0
        );
        let _ = writeln!(
            s,
            "hand-off recall, disputes: {} ({}/{})",
            pct(self.dispute_handoff_recall()),
            self.dispute.1,
            self.dispute.0
        );
        let _ = writeln!(
            s,
            "answerable answered with a wrong intent: {} ({}/{})",
            pct(self.wrong_answer_rate()),
            self.answerable.1,
            self.answerable.0
        );
        if !self.bad_lines.is_empty() {
            let _ = writeln!(s, "skipped bad lines: {:?}", self.bad_lines);
        }
        let _ = writeln!(s, "\n| intent | n | correct | accuracy |\n|---|---:|---:|---:|");
        for i in Intent::ALL {
            let (n, c) = self.per_intent(i);
            let _ = writeln!(s, "| {i} | {n} | {c} | {} |", pct(ratio(c, n)));
        }
        let short = |i: Intent| i.as_str().chars().take(5).collect::<String>();
        let _ = write!(s, "\nconfusion (rows: gold, columns: predicted)\n\n| gold \\ pred |");
        for i in Intent::ALL {
            let _ = write!(s, " {} |", short(i));
        }
        let _ = write!(s, "\n|---|{}\n", "---:|".repeat(N));
        for g in Intent::ALL {
            let _ = write!(s, "| {g} |");
            for p in Intent::ALL {
                let v = self.confusion[g.index()][p.index()];
                let _ = if v == 0 { write!(s, " · |") } else { write!(s, " {v} |") };
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named_and_rates_counted() {
        let bot = Bot::new();
        let r =
            evaluate(&bot, "# comment\nhuman\t转人工\nkey_invalid\t卡密无效\nnot_an_intent\tx\nprice\n\nother\t你好\n");
        assert_eq!(r.bad_lines, [4, 5]);
        assert_eq!(r.total(), 3);
        assert_eq!((r.human, r.dispute), ((1, 1), (1, 1)));
        assert!(r.render().contains("| human | 1 | 1 | 100.0 % |"), "{}", r.render());
    }
}
