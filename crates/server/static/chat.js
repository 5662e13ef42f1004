// Live chat for the conversation pages (buyer, shop, platform) and the agent
// consoles. Every page works without this file by reloading; with it, messages,
// pictures, takeovers, typing, read receipts and countdowns arrive over
// /api/v1/ws and sending goes through the JSON API. User text only ever
// reaches the page via textContent.
'use strict';

(() => {
  const byId = (id) => document.getElementById(id);
  const chat = byId('chat');
  const queue = byId('queue');
  const host = chat || queue || byId('my-chats');
  if (!host) return;

  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const side = host.dataset.side || 'buyer';
  // Countdowns follow the server's clock, whatever this device's says.
  const skew = Number(host.dataset.now || Date.now()) - Date.now();
  const now = () => Date.now() + skew;
  const warnMs = Number(host.dataset.warn || 30) * 1000;
  const me = host.dataset.me || '';
  const convId = chat ? Number(chat.dataset.conversationId) : 0;
  let lastId = chat ? Number(chat.dataset.lastId || 0) : 0;

  const pad = (n) => String(n).padStart(2, '0');
  const mmss = (ms) => {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
  };
  // Beijing time, as the server prints it: YYYY-MM-DD HH:MM.
  const fmtTime = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  const yuan = (fen) => `¥${Math.floor(fen / 100)}.${pad(fen % 100)}`;
  // Whose deadline it is: the viewer's own team gets the highlight and the beep.
  const mine = (owner) => (side === 'shop' && owner === 'shop') || (side === 'platform' && owner === 'platform');
  // A claim changed: the name is on the next reload; the viewer knows themself.
  function showAssignee(who, claim, cv, inRow) {
    const id = String(cv.assignee_id || '');
    if (claim) claim.hidden = !(mine(cv.owner) && id !== me);
    if (!who || id === (who.dataset.assigneeId ?? '')) return;
    who.dataset.assigneeId = id;
    if (!id) who.textContent = '未认领';
    else if (id === me) who.textContent = inRow ? '处理人 我' : '处理人：我';
    else who.textContent = '已由他人认领';
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- sound: a short beep, once a gesture has unlocked audio -------------
  let audio = null;
  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
    } catch {
      audio = null;
    }
  }
  for (const ev of ['pointerdown', 'keydown', 'touchstart']) addEventListener(ev, unlockAudio, { passive: true });
  function beep() {
    if (!audio || audio.state !== 'running') return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.3);
  }

  // ---- countdowns ----------------------------------------------------------
  const warned = new Set();
  function tick() {
    for (const c of document.querySelectorAll('.countdown[data-due]')) {
      const due = Number(c.dataset.due);
      if (due > 0) c.textContent = mmss(due - now());
    }
    const holders = chat ? [chat] : queue ? queue.querySelectorAll('.queue-row') : [];
    for (const h of holders) {
      const due = Number(h.dataset.due || 0);
      const soon = due > 0 && mine(h.dataset.owner) && due - now() <= warnMs;
      h.classList.toggle('due-soon', soon);
      const key = `${h.dataset.conversationId}:${due}`;
      if (soon && !warned.has(key)) {
        warned.add(key);
        beep();
      }
    }
  }
  if (chat) {
    chat.dataset.due = byId('countdown')?.dataset.due || '0';
    chat.dataset.owner = byId('chat-status')?.dataset.owner || 'shop';
  }
  tick();
  setInterval(tick, 250);
  if (!chat && !queue) return; // the buyer's list only counts down

  // ---- one conversation ----------------------------------------------------
  const WHO = {
    buyer: { buyer: '我', shop: '商家', platform: '平台客服', system: '系统' },
    shop: { buyer: '买家', shop: '本店', platform: '平台客服', system: '系统' },
    platform: { buyer: '买家', shop: '商家', platform: '平台客服', system: '系统' },
  };
  const SIDES = ['buyer', 'shop', 'platform', 'system'];
  const STATES = {
    delivered: '已发货·担保中',
    awaiting_fulfilment: '待商家充值',
    fulfilled: '已充值·担保中',
    completed: '已完成',
    refunded: '已退款',
    disputed: '售后中·担保冻结',
  };

  function cardEl(body) {
    let v;
    try {
      v = JSON.parse(body);
    } catch {
      return null;
    }
    const order = typeof v.order_no === 'string';
    if (!order && typeof v.product_id !== 'number') return null;
    const bubble = el('div', 'bubble card-msg');
    const a = el('a', '', String(v.title || ''));
    a.href = order ? `/orders/${encodeURIComponent(v.order_no)}` : `/products/${Number(v.product_id)}`;
    const amount = el('span', '', order ? '实付 ' : '价格 ');
    amount.append(el('strong', '', yuan(Number(order ? v.total_fen : v.price_fen) || 0)));
    if (order && STATES[v.state]) amount.append(` · ${STATES[v.state]}`);
    bubble.append(el('span', 'card-label', order ? '订单' : '商品'), a, amount);
    return bubble;
  }

  // A picture as a thumbnail in a 240-pixel box (the pages size it the same way).
  const THUMB = 240;
  function imageEl(m) {
    const i = m.image;
    if (m.kind !== 'image' || !i || typeof i.url !== 'string' || !i.url.startsWith('/api/v1/conversations/')) return null;
    let w = Math.max(1, Number(i.width) || 1);
    let h = Math.max(1, Number(i.height) || 1);
    if (Math.max(w, h) > THUMB) {
      [w, h] = w >= h ? [THUMB, Math.max(1, Math.floor((h * THUMB) / w))] : [Math.max(1, Math.floor((w * THUMB) / h)), THUMB];
    }
    const bubble = el('div', 'bubble image-msg');
    const a = el('a');
    a.href = i.url;
    a.target = '_blank';
    a.rel = 'noopener';
    const img = el('img');
    img.src = i.url;
    img.width = w;
    img.height = h;
    img.alt = '图片';
    a.append(img);
    bubble.append(a);
    return bubble;
  }

  // Read receipts: how far the other side has read the viewer's messages.
  const list = byId('messages');
  let peerRead = Number(list?.dataset.peerRead || 0);
  const peerReadOf = (cv) =>
    side === 'buyer' ? Math.max(cv.shop_read_id || 0, cv.platform_read_id || 0) : cv.buyer_read_id || 0;
  function setReceipt(span, id) {
    const read = id <= peerRead;
    span.textContent = read ? '已读' : '未读';
    span.classList.toggle('read', read);
  }
  function applyReceipts(cv) {
    peerRead = Math.max(peerRead, peerReadOf(cv));
    for (const li of list?.querySelectorAll('li.msg.mine') || []) {
      const span = li.querySelector('.receipt');
      if (span) setReceipt(span, Number(li.dataset.messageId));
    }
  }

  // The help bot's answer: its text, a one-tap case offer, and for the buyer
  // 已解决 / 转人工 under the latest answer (a plain form: it works without JS too).
  function botEl(m) {
    let v;
    try {
      v = JSON.parse(m.body);
    } catch {
      return null;
    }
    if (m.kind !== 'bot' || typeof v.text !== 'string') return null;
    const bubble = el('div', 'bubble bot-msg');
    bubble.append(el('span', 'card-label', '智能助手'), el('div', 'bot-text', v.text));
    const no = v.case_offer && String(v.case_offer.order_no || '');
    // The case form is the buyer's: the shop and the platform would meet a 404 there.
    if (side === 'buyer' && no && /^[0-9]+$/.test(no)) {
      const a = el('a', 'case-offer', '一键申请售后');
      a.href = `/orders/${no}/cases`;
      bubble.append(a);
    }
    if (side === 'buyer' && !v.handoff && Array.isArray(v.buttons) && v.buttons.length) {
      for (const old of list?.querySelectorAll('.bot-buttons') || []) old.remove();
      const form = el('form', 'bot-buttons');
      form.method = 'post';
      form.action = `/chat/${convId}/bot`;
      const token = el('input');
      token.type = 'hidden';
      token.name = '_csrf';
      token.value = csrf;
      form.append(token);
      for (const [value, label, cls] of [['settled', '已解决', 'secondary'], ['human', '转人工', '']]) {
        const b = el('button', cls, label);
        b.type = 'submit';
        b.name = 'action';
        b.value = value;
        form.append(b);
      }
      bubble.append(form);
    }
    return bubble;
  }

  function messageEl(m) {
    const from = SIDES.includes(m.side) ? m.side : 'system';
    const li = el('li', `msg msg-${from}${from === side ? ' mine' : ''}`);
    li.dataset.messageId = String(m.id);
    li.dataset.side = from;
    const bubble =
      (m.kind === 'order_card' && cardEl(m.body)) || botEl(m) || imageEl(m) || el('div', 'bubble text', m.body);
    const who = m.kind === 'bot' ? '智能助手' : (WHO[side] || WHO.buyer)[from];
    const meta = el('div', 'meta', `${who} · ${fmtTime(m.created_at)}`);
    if (from === side) {
      const span = el('span', 'receipt');
      setReceipt(span, m.id);
      meta.append(' · ', span);
    }
    li.append(bubble, meta);
    return li;
  }

  function addMessage(m) {
    if (!list || m.conversation_id !== convId) return;
    if (list.querySelector(`[data-message-id="${Number(m.id)}"]`)) return;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    const later = [...list.children].find((li) => Number(li.dataset.messageId) > m.id);
    list.insertBefore(messageEl(m), later || null);
    lastId = Math.max(lastId, m.id);
    if (atBottom || m.side === side) list.scrollTop = list.scrollHeight;
    if (m.side !== side) {
      hideTyping();
      sendRead();
    }
  }

  // Tells the other side what this tab has shown, while someone can see it.
  let readSent = 0;
  function sendRead() {
    if (!chat || document.visibilityState !== 'visible' || lastId <= readSent) return;
    if (send({ type: 'read', conversation_id: convId, message_id: lastId })) readSent = lastId;
  }
  document.addEventListener('visibilitychange', sendRead);

  function applyStatus(cv) {
    const due = cv.reply_due || 0;
    chat.dataset.owner = cv.owner;
    chat.dataset.due = String(due);
    byId('chat-status').dataset.owner = cv.owner;
    byId('takeover').hidden = cv.owner !== 'platform';
    byId('awaiting').hidden = !due;
    byId('awaiting').classList.toggle('mine', mine(cv.owner));
    byId('idle').hidden = !!due;
    // A person owes the answer now: the bot's buttons have done their work.
    if (due) for (const b of list?.querySelectorAll('.bot-buttons') || []) b.remove();
    byId('awaiting-who').textContent = cv.owner === 'platform' ? '平台客服' : '商家';
    const c = byId('countdown');
    c.dataset.due = String(due);
    if (due) c.textContent = mmss(due - now());
    const idleWho = byId('idle-who');
    if (idleWho) idleWho.textContent = cv.owner === 'platform' ? '平台客服' : '商家';
    const escalate = byId('idle-escalate');
    if (escalate) escalate.hidden = cv.owner === 'platform';
    showAssignee(byId('assignee'), byId('claim-form'), cv, false);
    tick();
  }

  const typing = byId('typing');
  let typingTimer = 0;
  function hideTyping() {
    if (typing) typing.hidden = true;
  }
  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 4000);
  }

  // ---- the consoles' lists ---------------------------------------------------
  const shopIds = (queue?.dataset.shopIds || '').split(',').filter(Boolean).map(Number);
  const belongs = (cv) => (side === 'platform' ? cv.owner === 'platform' : shopIds.includes(cv.shop_id));

  function newRow(cv) {
    const li = el('li', 'queue-row card');
    li.dataset.conversationId = String(cv.id);
    const main = el('div', 'queue-main');
    const a = el('a', 'title', cv.buyer_name);
    a.href = `/${side === 'platform' ? 'platform' : 'merchant'}/chat/${Number(cv.id)}`;
    main.append(a, ' ', el('span', 'muted small shop-name', cv.shop_name));
    const state = el('div', 'queue-state small');
    const badge = el('span', 'badge warn awaiting-badge', '待回复');
    const unread = el('span', 'badge unread-badge', '未读 ');
    unread.append(el('b', 'unread', '0'));
    const due = el('span', 'due', '剩余 ');
    due.append(el('strong', 'countdown', ''));
    const who = el('span', 'assignee muted', '未认领');
    who.dataset.assigneeId = '';
    state.append(badge, ' ', unread, ' ', el('span', 'badge takeover-badge', '平台已接管'), ' ', due, ' ', who);
    const form = el('form', 'claim-form');
    form.method = 'post';
    form.action = `/chat/${Number(cv.id)}/assign`;
    const token = el('input');
    token.type = 'hidden';
    token.name = '_csrf';
    token.value = csrf;
    const claim = el('button', 'secondary', '认领');
    claim.type = 'submit';
    form.append(token, claim);
    li.append(main, state, form);
    byId('queue-empty')?.setAttribute('hidden', '');
    return li;
  }

  function sortQueue() {
    const rows = [...queue.querySelectorAll('.queue-row')];
    const key = (r) => {
      const due = Number(r.dataset.due || 0);
      const group = due ? (mine(r.dataset.owner) ? 0 : 1) : 2;
      return [group, group < 2 ? due : -Number(r.dataset.last || 0)];
    };
    const sorted = [...rows].sort((a, b) => {
      const [ga, va] = key(a);
      const [gb, vb] = key(b);
      return ga - gb || va - vb;
    });
    if (sorted.some((r, i) => r !== rows[i])) for (const r of sorted) queue.append(r);
  }

  function applyRow(cv) {
    let row = queue.querySelector(`.queue-row[data-conversation-id="${Number(cv.id)}"]`);
    if (!row) {
      if (!belongs(cv)) return;
      row = newRow(cv);
      queue.append(row);
    }
    const due = cv.reply_due || 0;
    row.dataset.owner = cv.owner;
    row.dataset.due = String(due);
    row.dataset.last = String(cv.last_message_id);
    row.classList.toggle('mine', mine(cv.owner) && due > 0);
    row.querySelector('.awaiting-badge').hidden = !due;
    row.querySelector('.takeover-badge').hidden = side === 'platform' || cv.owner !== 'platform';
    row.querySelector('.due').hidden = !(due && mine(cv.owner));
    const c = row.querySelector('.countdown');
    c.dataset.due = String(due);
    if (due) c.textContent = mmss(due - now());
    // Unread as the server counts it, from the team's stored read position.
    const unread = Number((side === 'platform' ? cv.unread_by_platform : cv.unread_by_shop) || 0);
    row.querySelector('.unread').textContent = String(unread);
    row.querySelector('.unread-badge').hidden = !unread;
    showAssignee(row.querySelector('.assignee'), row.querySelector('.claim-form'), cv, true);
    sortQueue();
    tick();
  }

  // What a reconnecting console missed: the lists again, from the JSON API.
  async function refreshQueue() {
    const urls =
      side === 'platform'
        ? ['/api/v1/conversations?queue=platform']
        : shopIds.map((id) => `/api/v1/conversations?shop_id=${id}`);
    for (const url of urls) {
      try {
        const r = await fetch(url, { credentials: 'same-origin' });
        if (r.ok) for (const cv of await r.json()) applyRow(cv);
      } catch {
        // the next reconnect tries again
      }
    }
  }

  // ---- the websocket -----------------------------------------------------------
  let ws = null;
  let backoff = 1000;
  let pinger = 0;
  const live = byId('live');
  function setLive(on) {
    host.dataset.live = on ? '1' : '0';
    if (!live) return;
    live.hidden = false;
    live.textContent = on ? '● 实时连接' : '○ 连接中断，正在重连…';
    live.classList.toggle('off', !on);
  }
  function send(frame) {
    if (ws?.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }
  function catchUp() {
    if (chat) send({ type: 'resume', conversation_id: convId, after: lastId });
    else refreshQueue();
  }
  function onEvent(e) {
    if (e.type === 'lagged') return catchUp();
    const cv = e.conversation;
    if (!cv) return;
    if (queue) {
      if (e.type !== 'typing') applyRow(cv);
      return;
    }
    if (cv.id !== convId) return;
    if (e.type === 'typing') {
      if (e.side !== side) showTyping();
      return;
    }
    if (e.type === 'message' && e.message) addMessage(e.message);
    applyReceipts(cv);
    applyStatus(cv);
  }
  function connect() {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`);
    ws.onopen = () => {
      backoff = 1000;
      setLive(true);
      catchUp();
      sendRead();
      clearInterval(pinger);
      pinger = setInterval(() => send({ type: 'ping' }), 25_000);
    };
    ws.onmessage = (ev) => {
      try {
        onEvent(JSON.parse(ev.data));
      } catch {
        // a frame we do not understand changes nothing
      }
    };
    ws.onclose = () => {
      clearInterval(pinger);
      setLive(false);
      setTimeout(connect, backoff + Math.random() * 500);
      backoff = Math.min(backoff * 2, 30_000);
    };
  }
  connect();
  if (!chat) return;

  // ---- sending -------------------------------------------------------------------
  if (list) list.scrollTop = list.scrollHeight;
  const form = byId('chat-form');
  const text = byId('chat-text');
  const button = form.querySelector('button[type=submit]');
  let typedAt = 0;
  text.addEventListener('input', () => {
    if (Date.now() - typedAt >= 3000 && send({ type: 'typing', conversation_id: convId })) typedAt = Date.now();
  });
  // Enter sends on a keyboard (not while an IME is composing); phones keep Enter for new lines.
  text.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    if (matchMedia('(pointer: coarse)').matches) return;
    e.preventDefault();
    form.requestSubmit();
  });
  for (const b of document.querySelectorAll('#canned [data-text]')) {
    b.addEventListener('click', () => {
      text.value = b.dataset.text;
      text.focus();
    });
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const r = await fetch(`/api/v1/conversations/${convId}/messages`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ text: text.value }),
      });
      if (r.status !== 201) throw new Error(`HTTP ${r.status}`);
      addMessage(await r.json());
      text.value = '';
      byId('chat-form').parentElement.querySelector('.error-msg')?.remove();
    } catch {
      // The form says why in Chinese (too long, too fast, …), or gets through without JS.
      form.submit();
    } finally {
      button.disabled = false;
    }
  });

  // ---- pictures: chosen, sent at once as the raw file; refusals said in place ----
  const imageForm = byId('image-form');
  const imageInput = byId('chat-image');
  function showError(text) {
    let p = chat.querySelector('.error-msg');
    if (!p) {
      p = el('p', 'error-msg');
      p.setAttribute('role', 'alert');
      form.before(p);
    }
    p.textContent = text;
  }
  imageInput?.addEventListener('change', () => {
    if (imageInput.files?.length) imageForm.requestSubmit();
  });
  imageForm?.addEventListener('submit', async (ev) => {
    const file = imageInput.files?.[0];
    if (!file) return;
    ev.preventDefault();
    const sendButton = byId('image-send');
    sendButton.disabled = true;
    try {
      const r = await fetch(`/api/v1/conversations/${convId}/images`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': file.type || 'application/octet-stream', 'x-csrf-token': csrf },
        body: file,
      });
      const body = await r.json().catch(() => null);
      if (r.status === 201 && body) {
        addMessage(body);
        imageForm.reset();
        chat.querySelector('.error-msg')?.remove();
      } else if (body && typeof body.message === 'string') {
        showError(body.message);
        imageForm.reset();
      } else {
        imageForm.submit();
      }
    } catch {
      imageForm.submit();
    } finally {
      sendButton.disabled = false;
    }
  });
})();
