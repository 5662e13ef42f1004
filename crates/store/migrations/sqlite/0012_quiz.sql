-- Certified agents: the rules quiz. The bank (single-choice questions, never
-- deleted, retired instead), each attempt with its own copy of the questions it
-- drew (options in the order shown, so later edits do not change it), and one
-- certificate per person, renewed by every pass.
CREATE TABLE quiz_questions (
    id          INTEGER PRIMARY KEY,
    text        TEXT    NOT NULL,
    options     TEXT    NOT NULL,
    correct     INTEGER NOT NULL CHECK (correct >= 0),
    explanation TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    updated_by  INTEGER REFERENCES users (id),
    updated_at  INTEGER NOT NULL
);
CREATE TRIGGER quiz_questions_no_delete BEFORE DELETE ON quiz_questions
BEGIN SELECT RAISE(ABORT, 'quiz questions are retired, never deleted'); END;

CREATE TABLE quiz_attempts (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    started_at   INTEGER NOT NULL,
    items        TEXT    NOT NULL,
    answers      TEXT,
    submitted_at INTEGER,
    score        INTEGER,
    passed       INTEGER
);
CREATE INDEX quiz_attempts_user_idx ON quiz_attempts (user_id, id);

CREATE TABLE quiz_certificates (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    passed_at   INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    attempt_id  INTEGER NOT NULL REFERENCES quiz_attempts (id)
);

-- The seed bank: the platform's rules as configured by default. The admin
-- edits and retires these like any other question.
INSERT INTO quiz_questions (text, options, correct, explanation, active, updated_at) VALUES
('买家在对话中发来消息后，商家客服必须在多长时间内由真人回复？', '["2 分钟内","10 分钟内","1 小时内","当天内即可"]', 0, '2 分钟人工回复是平台的底线：每位买家都必须在 2 分钟内得到真人回复。', 1, 0),
('商家 2 分钟内没有回复买家，会发生什么？', '["什么也不会发生","平台客服接管这段对话，并记录商家一次违规","对话自动关闭","买家的订单自动退款"]', 1, '超时后平台接管对话继续服务买家，同时记一次商家超时违规。', 1, 0),
('买家发起售后后，商家必须在多长时间内处理？', '["2 小时","12 小时","48 小时","7 天"]', 1, '商家须在 12 小时内处理售后，否则由平台介入。', 1, 0),
('一件售后从发起到有结果，最长不超过多久？', '["12 小时","24 小时","72 小时","没有期限"]', 1, '平台保证 24 小时内必有结果。', 1, 0),
('卡密类商品交付后，买家可在多长时间内申请售后？', '["1 小时","24 小时","72 小时","30 天"]', 1, '卡密类保护期为交付后 24 小时。', 1, 0),
('直充类商品到账后，买家的保护期是多久？', '["没有保护期","6 小时","24 小时","72 小时"]', 2, '直充类保护期为 24 小时。', 1, 0),
('账号类商品的保护期是多久？', '["24 小时","48 小时","72 小时","7 天"]', 2, '账号类保护期最长，为 72 小时。', 1, 0),
('30 天内第 1 次违规，店铺会受到什么处理？', '["警告","降权 7 天","罚款","暂停营业"]', 0, '处罚阶梯：1 次警告、3 次降权、5 次罚款、10 次暂停营业。', 1, 0),
('30 天内累计 3 次违规，店铺会受到什么处理？', '["只是警告","商品降权 7 天","罚款 50 元","永久封店"]', 1, '第 3 次违规时，店铺商品在搜索中降权 7 天。', 1, 0),
('30 天内累计 5 次违规，店铺会受到什么处理？', '["警告","降权","从保证金扣罚款","暂停营业"]', 2, '第 5 次违规时从保证金中罚款（默认 50 元）。', 1, 0),
('30 天内累计多少次违规，店铺会被暂停营业？', '["3 次","5 次","10 次","20 次"]', 2, '累计 10 次违规时暂停营业。', 1, 0),
('店铺上架商品需要缴纳的最低保证金是多少？', '["不需要保证金","100 元","1000 元","10000 元"]', 2, '保证金不低于 1000 元，低于时商品不展示。', 1, 0),
('买家在对话里问你另一位买家的手机号，你应该怎么做？', '["直接告诉他","只说后四位","拒绝，任何买家的联系方式都不能泄露","让他去问平台"]', 2, '买家的联系方式属于隐私，任何情况下都不得泄露。', 1, 0),
('买家说想绕开平台、直接转账给你以便宜一点，你应该怎么回应？', '["同意，给出收款码","拒绝，所有交易都必须在平台内付款","先问他要多少钱","让他加私人微信再说"]', 1, '平台外付款没有担保，客服绝不能引导或接受平台外付款。', 1, 0),
('以下哪种做法是允许的？', '["在对话中发私人微信号","在平台内回复买家并提供订单相关帮助","要求买家给差评前先联系自己私下处理","把买家的订单信息发给别人"]', 1, '所有沟通和交易都在平台内完成。', 1, 0),
('买家的卡密无法使用，你应该首先怎么做？', '["让买家自己想办法","请买家在售后中提交凭证，并在规定时间内处理","拒绝沟通","要求买家先确认收货"]', 1, '在平台售后中按时限处理，证据链可追溯。', 1, 0),
('对话中由机器人回答后，买家点击“转人工”，接下来谁来回复？', '["继续由机器人回答","真人客服，同样适用 2 分钟回复规则","没人回复","买家只能发邮件"]', 1, '转人工后必须由真人在 2 分钟内回复，超时平台接管。', 1, 0);
