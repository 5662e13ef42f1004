//! The demo's month as a fixed script: who buys what and when, who asks and
//! how fast each shop answers, which orders go wrong and how each case ends.
//! Times are offsets from the history's start; a seeded generator picks them,
//! so every fresh demo lives the same month and shows the same figures.
//!
//! The cast, and what the formula should make of them (`grades/mod.rs`):
//! - 星辰点卡 answers within a minute, one case (reissued at once), ~4.9 stars → A;
//! - 正版软件小铺 answers within two minutes, one case refunded by itself → B;
//! - 速充直充 answers just inside the deadline, once misses a top-up promise
//!   and once lets a case go silent (auto refund) → C;
//! - 老铁账号行 lets three chats lapse to the platform and one case go to
//!   arbitration: four breaches (warning, then down-ranking), graded D.

use youying_core::cases::CaseType;

pub const SEC: i64 = 1_000;
pub const MIN: i64 = 60 * SEC;
pub const HOUR: i64 = 60 * MIN;
pub const DAY: i64 = 24 * HOUR;
pub const DAYS: i64 = 30;
/// Nothing is scripted after this offset: the month ends just before "now".
pub const END: i64 = DAYS * DAY - 10 * MIN;

/// Buyers by index: 0 xiaoming, 1 xiaohong, then these (registered by the demo).
pub const EXTRA_BUYERS: &[&str] = &["dawei", "lili", "ahua", "xiaoqiang", "meimei"];
const XIAOHONG: usize = 1;
const DAWEI: usize = 2;
const LILI: usize = 3;
const AHUA: usize = 4;
const XIAOQIANG: usize = 5;
const MEIMEI: usize = 6;
const BUYERS: usize = 7;

/// Shops in `SHOPS` order.
pub const XINGCHEN: usize = 0;
pub const ZHENGBAN: usize = 1;
pub const SUCHONG: usize = 2;
pub const LAOTIE: usize = 3;

/// Products in `goods()` order.
const QB100: usize = 0;
const WY50: usize = 1;
const STEAM: usize = 2;
const WIN11: usize = 3;
const OFFICE: usize = 4;
pub const QQVIP: usize = 5;
pub const WZRY: usize = 6;
const YUANSHEN: usize = 7;
const HEPING: usize = 8;
/// The shop each product belongs to.
pub const PRODUCT_SHOP: [usize; 9] = [0, 0, 0, 1, 1, 2, 2, 3, 3];

/// Who on a shop's side (or the platform's) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staff {
    Owner,
    /// The shop's agent (星辰点卡 has one: xingchen_kf).
    Agent,
    Kefu,
}

/// A step in a case; the actor follows from it (merchant, buyer, platform).
#[derive(Debug, Clone)]
pub enum Step {
    Reissue,
    Refund,
    Contest(&'static str),
    Accept,
    Decide { refund: bool, reason: &'static str },
}

#[derive(Debug, Clone)]
pub enum Act {
    Buy {
        order: usize,
        buyer: usize,
        product: usize,
    },
    Confirm {
        order: usize,
    },
    Fulfil {
        order: usize,
    },
    Cancel {
        order: usize,
    },
    Review {
        order: usize,
        stars: i64,
        text: &'static str,
    },
    ReplyReview {
        order: usize,
        text: &'static str,
    },
    Moderate {
        order: usize,
        publish: bool,
        note: &'static str,
    },
    /// The buyer opens the chat on a product and writes (the bot answers first).
    Ask {
        buyer: usize,
        product: usize,
        text: &'static str,
    },
    /// The buyer writes again in the chat with the shop.
    Say {
        buyer: usize,
        shop: usize,
        text: &'static str,
    },
    Answer {
        buyer: usize,
        shop: usize,
        by: Staff,
        text: &'static str,
        only_if_waiting: bool,
    },
    OpenCase {
        order: usize,
        kind: CaseType,
        text: &'static str,
        mismatched: &'static [&'static str],
        shot: bool,
    },
    Case {
        order: usize,
        step: Step,
    },
    /// The merchant's public response to a published case.
    Respond {
        order: usize,
        text: &'static str,
    },
    /// The buyer presses 已解决 under the bot's answer, if the bot answered.
    Settle {
        buyer: usize,
        shop: usize,
    },
    /// The shop's owner asks to withdraw most of its 货款; the admin pays it out.
    Withdraw {
        shop: usize,
    },
    PayOut {
        shop: usize,
    },
    Duty {
        on: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: i64,
    pub act: Act,
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `[lo, hi)`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from((hi - lo).max(1)).unwrap_or(1);
        lo + i64::try_from(self.next_u64() % span).unwrap_or(0)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[usize::try_from(self.range(0, from.len() as i64)).unwrap_or(0)]
    }

    fn chance(&mut self, percent: i64) -> bool {
        self.range(0, 100) < percent
    }
}

/// How a shop behaves: what it sells, how fast it answers, how buyers rate it.
struct Manner {
    shop: usize,
    orders: usize,
    /// Products with weights (percent).
    sells: &'static [(usize, i64)],
    /// Seconds a human answer takes once the buyer asked for one.
    answer_secs: (i64, i64),
    chats: usize,
    stars: &'static [i64],
    reply_percent: i64,
    replies: &'static [&'static str],
}

const MANNERS: [Manner; 4] = [
    Manner {
        shop: XINGCHEN,
        orders: 33,
        sells: &[(WY50, 50), (QB100, 30), (STEAM, 20)],
        answer_secs: (8, 35),
        chats: 12,
        stars: &[5, 5, 5, 4, 5, 5, 5, 5, 5, 5],
        reply_percent: 80,
        replies: &["感谢支持，欢迎常来！", "谢谢亲的好评，有问题随时找客服～", "感谢信任，星辰点卡一直在线。"],
    },
    Manner {
        shop: ZHENGBAN,
        orders: 25,
        sells: &[(WIN11, 65), (OFFICE, 35)],
        answer_secs: (30, 95),
        chats: 8,
        stars: &[5, 4, 5, 4, 5, 4, 5, 5],
        reply_percent: 50,
        replies: &["感谢支持，激活有问题随时联系。", "谢谢反馈，我们会继续改进。"],
    },
    Manner {
        shop: SUCHONG,
        orders: 30,
        sells: &[(QQVIP, 60), (WZRY, 40)],
        answer_secs: (40, 100),
        chats: 20,
        stars: &[5, 4, 5, 4, 5, 4, 5, 4],
        reply_percent: 30,
        replies: &["高峰期到账慢了点，抱歉，已在加快处理。", "感谢支持！"],
    },
    Manner {
        shop: LAOTIE,
        orders: 20,
        sells: &[(YUANSHEN, 60), (HEPING, 40)],
        answer_secs: (60, 100),
        chats: 8,
        stars: &[2, 3, 1, 3, 2],
        reply_percent: 0,
        replies: &[],
    },
];

fn review_text(stars: i64, n: usize) -> &'static str {
    let pool: &[&str] = match stars {
        5 => &["秒发货，卡密可用，好评", "第二次买了，一如既往地快", "客服回复很快，推荐", "价格公道，到账快"],
        4 => &["可以用，就是价格略高", "到账稍慢了点，但没问题", "东西没问题，客服回得有点慢"],
        3 => &["一般，客服回得慢", "能用，但和描述有点出入"],
        2 => &["账号和描述有出入，沟通费劲", "问了半天没人回"],
        _ => &["等了很久没人理，差评"],
    };
    pool[n % pool.len()]
}

const QUESTIONS: &[&str] = &[
    "卡密提示已被使用怎么办",
    "充值后多久到账？",
    "这个能在安卓区用吗",
    "请问可以开发票吗",
    "买十张能便宜点吗",
    "激活失败，提示密钥无效",
    "账号能改实名吗",
];

/// Questions the bot answers from the listing and the rules.
const BOT_QUESTIONS: &[&str] = &["这个多少钱", "多久能到账", "有库存吗"];

const ANSWERS: &[&str] = &[
    "您好，在的，请把订单号和截图发我，马上为您处理。",
    "亲，已为您查询，正常情况下几分钟内到账。",
    "可以的，全区通用，放心购买。",
    "您好，批量购买有阶梯价，下单时会自动计算。",
    "已收到，稍等，我这边核实一下马上回复您。",
];

/// The whole month, in time order.
pub fn month() -> Vec<Event> {
    let mut s = Script { events: Vec::new(), orders: 0, rng: Rng::new(0x5955_5949_4E47) };
    for d in 0..DAYS {
        s.at(d * DAY + HOUR, Act::Duty { on: true });
        s.at(d * DAY + 15 * HOUR, Act::Duty { on: false });
    }
    for m in &MANNERS {
        s.orders_of(m);
        s.chats_of(m);
    }
    s.lapsed_chats();
    s.cases();
    for (shop, day) in [(ZHENGBAN, 15), (SUCHONG, 24), (ZHENGBAN, 28)] {
        s.at(day * DAY + 10 * HOUR, Act::Withdraw { shop });
        s.at(day * DAY + 13 * HOUR, Act::PayOut { shop });
    }
    s.events.sort_by_key(|e| e.at); // stable: same-time events keep their order
    s.events
}

struct Script {
    events: Vec<Event>,
    orders: usize,
    rng: Rng,
}

impl Script {
    fn at(&mut self, at: i64, act: Act) {
        if at < END {
            self.events.push(Event { at, act });
        }
    }

    fn buy(&mut self, at: i64, buyer: usize, product: usize) -> usize {
        let order = self.orders;
        self.orders += 1;
        self.at(at, Act::Buy { order, buyer, product });
        order
    }

    fn daytime(&mut self, day: i64) -> i64 {
        day * DAY + 2 * HOUR + self.rng.range(0, 12 * HOUR)
    }

    fn orders_of(&mut self, m: &Manner) {
        let (mut reviews, mut replies) = (0usize, 0usize);
        for i in 0..m.orders {
            let day = i64::try_from(i).unwrap_or(0) * DAYS / i64::try_from(m.orders).unwrap_or(1);
            let t = self.daytime(day);
            let roll = self.rng.range(0, 100);
            let mut acc = 0;
            let product = m.sells.iter().find(|(_, w)| {
                acc += w;
                roll < acc
            });
            let product = product.map_or(m.sells[0].0, |(p, _)| *p);
            let buyer = usize::try_from(self.rng.range(0, BUYERS as i64)).unwrap_or(0);
            let order = self.buy(t, buyer, product);
            let mut done = t;
            if m.shop == SUCHONG {
                done += if product == QQVIP { self.rng.range(30, 240) * SEC } else { self.rng.range(3, 25) * MIN };
                self.at(done, Act::Fulfil { order });
            }
            if !self.rng.chance(70) {
                continue; // the protection window completes it
            }
            let confirmed = done + self.rng.range(5, 8 * 60) * MIN;
            self.at(confirmed, Act::Confirm { order });
            if !self.rng.chance(60) {
                continue;
            }
            let stars = m.stars[reviews % m.stars.len()];
            let reviewed = confirmed + self.rng.range(10, 180) * MIN;
            self.at(reviewed, Act::Review { order, stars, text: review_text(stars, reviews) });
            reviews += 1;
            if self.rng.chance(m.reply_percent) && !m.replies.is_empty() {
                let text = m.replies[replies % m.replies.len()];
                replies += 1;
                let replied = reviewed + self.rng.range(30, 300) * MIN;
                self.at(replied, Act::ReplyReview { order, text });
            }
        }
    }

    /// Chats the shop answers itself: the buyer asks, the bot answers or hands
    /// over, the buyer asks for a person, the shop's answer comes in time.
    fn chats_of(&mut self, m: &Manner) {
        // Not xiaoming or xiaohong: their first chat is the browser tests'.
        let askers: &[usize] =
            if m.shop == LAOTIE { &[XIAOQIANG, MEIMEI] } else { &[DAWEI, LILI, AHUA, XIAOQIANG, MEIMEI] };
        let products: Vec<usize> = m.sells.iter().map(|(p, _)| *p).collect();
        for i in 0..m.chats {
            let day = i64::try_from(i).unwrap_or(0) * DAYS / i64::try_from(m.chats).unwrap_or(1);
            let t = self.daytime(day);
            let buyer = askers[i % askers.len()];
            let shop = m.shop;
            let (text, product) = (self.rng.pick(QUESTIONS), self.rng.pick(&products));
            self.at(t, Act::Ask { buyer, product, text });
            self.at(t + 15 * SEC, Act::Say { buyer, shop, text: "转人工" });
            let by = if shop == XINGCHEN && i % 2 == 1 { Staff::Agent } else { Staff::Owner };
            let wait = self.rng.range(m.answer_secs.0, m.answer_secs.1) * SEC;
            let text = self.rng.pick(ANSWERS);
            self.at(t + 15 * SEC + wait, Act::Answer { buyer, shop, by, text, only_if_waiting: false });
            if i % 2 == 1 {
                // A question the bot settles; a person follows up only if it handed over.
                let later = t + 3 * HOUR;
                self.at(later, Act::Ask { buyer, product: products[0], text: BOT_QUESTIONS[i % BOT_QUESTIONS.len()] });
                self.at(later + 20 * SEC, Act::Settle { buyer, shop });
                let answer = Act::Answer { buyer, shop, by, text: ANSWERS[0], only_if_waiting: true };
                self.at(later + 25 * SEC, answer);
            }
        }
    }

    /// 老铁账号行 lets three chats lapse: the platform takes over (a breach
    /// each) and kefu answers inside its own fresh two minutes.
    fn lapsed_chats(&mut self) {
        for (day, buyer) in [(10, DAWEI), (25, LILI), (27, AHUA)] {
            let t = day * DAY + 4 * HOUR;
            self.at(t, Act::Ask { buyer, product: YUANSHEN, text: "账号能改实名吗" });
            self.at(t + 15 * SEC, Act::Say { buyer, shop: LAOTIE, text: "转人工，急" });
            let text = "您好，我是平台客服，商家未及时回复，由我为您处理：该账号支持修改实名，交付后按说明操作即可。";
            self.at(t + 200 * SEC, Act::Answer { buyer, shop: LAOTIE, by: Staff::Kefu, text, only_if_waiting: false });
        }
    }

    /// One case of every outcome, a missed top-up promise and a held review.
    fn cases(&mut self) {
        use Act::{Case, Confirm, Fulfil, Moderate, OpenCase, Respond, Review};
        // 星辰点卡: a dead key, reissued within the hour, accepted.
        let t = 12 * DAY + 3 * HOUR;
        let o = self.buy(t, XIAOHONG, QB100);
        let dead = "充值时提示卡密已被使用，截图在此";
        self.at(
            t + 50 * MIN,
            OpenCase { order: o, kind: CaseType::KeyInvalid, text: dead, mismatched: &[], shot: true },
        );
        self.at(t + 85 * MIN, Case { order: o, step: Step::Reissue });
        self.at(t + 105 * MIN, Case { order: o, step: Step::Accept });
        // 正版软件小铺: a blocked key, refunded by the shop.
        let t = 8 * DAY + 4 * HOUR;
        let o = self.buy(t, DAWEI, WIN11);
        let text = "激活提示此密钥已被封禁";
        self.at(t + HOUR, OpenCase { order: o, kind: CaseType::KeyInvalid, text, mismatched: &[], shot: true });
        self.at(t + 4 * HOUR, Case { order: o, step: Step::Refund });
        // 速充直充: "done", but nothing arrived; the shop stays silent → auto refund at 12 h.
        let t = 15 * DAY + 3 * HOUR;
        let o = self.buy(t, LILI, QQVIP);
        self.at(t + 2 * MIN, Fulfil { order: o });
        let text = "商家说已充值，但QQ会员没有到账，附截图";
        self.at(t + HOUR, OpenCase { order: o, kind: CaseType::TopupMissing, text, mismatched: &[], shot: true });
        // 速充直充: a top-up promise missed (a breach); the buyer cancels for an instant refund.
        let t = 20 * DAY + 4 * HOUR;
        let o = self.buy(t, MEIMEI, WZRY);
        self.at(t + 40 * MIN, Act::Cancel { order: o });
        // 老铁账号行: an account not as described; silence → arbitration → refund.
        let t = 18 * DAY + 2 * HOUR;
        let o = self.buy(t, AHUA, YUANSHEN);
        let text = "只有一个五星角色，和描述的双金不符";
        let mismatched: &[&str] = &["五星角色"];
        self.at(t + 3 * HOUR, OpenCase { order: o, kind: CaseType::AccountMismatch, text, mismatched, shot: false });
        let reason = "商家未在时限内回应；账号实际五星角色数量与快照声明不符，全额退款。";
        self.at(19 * DAY + 90 * MIN, Case { order: o, step: Step::Decide { refund: true, reason } });
        self.at(19 * DAY + 6 * HOUR, Respond { order: o, text: "已与买家沟通，今后上架前逐项核对账号信息。" });
        // 老铁账号行: contested with proof; the platform rejects the claim.
        let t = 22 * DAY + 3 * HOUR;
        let o = self.buy(t, XIAOQIANG, HEPING);
        let text = "皮肤数量不足120套";
        let mismatched: &[&str] = &["皮肤数"];
        self.at(t + 4 * HOUR, OpenCase { order: o, kind: CaseType::AccountMismatch, text, mismatched, shot: true });
        let why = "账号皮肤共 121 套，已附截图；买家查看的是另一个区服。";
        self.at(t + 10 * HOUR, Case { order: o, step: Step::Contest(why) });
        let reason = "商家截图显示皮肤 121 套，与快照声明一致，驳回。";
        self.at(t + 11 * HOUR, Case { order: o, step: Step::Decide { refund: false, reason } });
        // 老铁账号行: an insult held for moderation; kefu does not publish it.
        let t = 6 * DAY + 5 * HOUR;
        let o = self.buy(t, AHUA, YUANSHEN);
        self.at(t + 2 * HOUR, Confirm { order: o });
        self.at(t + 3 * HOUR, Review { order: o, stars: 1, text: "老铁就是个骗子，傻逼店家" });
        let note = "含辱骂，不予发布；买家可就事实重新评价。";
        self.at(t + 5 * HOUR, Moderate { order: o, publish: false, note });
    }
}
