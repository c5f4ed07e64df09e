// The demo page: a Slack-like channel. It only renders what the fake Slack recorded and sends
// the user's clicks, submits and commands back to it; the fake turns them into socket-mode
// envelopes for the bot, exactly as Slack would.
'use strict';
(function () {
  const { mrkdwn, plain } = window.nfmmMrkdwn;
  const $ = (sel, root) => (root || document).querySelector(sel);

  const app = {
    cfg: null,
    user: '',
    users: {}, // id -> display name, for mentions
    rendered: new Map(), // timeline key -> {sig, node}
    view: null, // the modal shown: {id, hash, errors}
    refreshing: false,
    again: false,
    suggestIndex: -1,
  };

  // h builds an element; string children become text nodes, never markup.
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'html') node.innerHTML = v; // only ever mrkdwn()/plain() output
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function textHTML(obj) {
    if (!obj) return '';
    if (obj.type === 'mrkdwn') return mrkdwn(obj.text, app.users);
    return plain(obj.text, obj.emoji);
  }

  function toast(msg) {
    const t = $('#toast');
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  async function post(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + app.cfg.token },
      body: JSON.stringify(Object.assign({ user: app.user }, body)),
    });
    const out = await res.json().catch(() => ({ ok: false, error: res.statusText }));
    if (!res.ok || !out.ok) {
      toast(out.error || ('request failed: ' + res.status));
      return null;
    }
    return out;
  }

  // ---- Block Kit -------------------------------------------------------------------------

  // ctx says where an element lives: {ts} in a message, {viewID, input} in a modal.
  function act(ctx, blockID, actionID, value) {
    return post('/ui/action', {
      message_ts: ctx.ts || '', view_id: ctx.viewID || '', block_id: blockID || '',
      action_id: actionID, value: value || '',
    });
  }

  async function confirmed(conf) {
    if (!conf) return true;
    const ov = $('#confirm-overlay');
    $('#confirm-title').innerHTML = textHTML(conf.title) || 'Are you sure?';
    $('#confirm-text').innerHTML = textHTML(conf.text);
    const ok = $('#confirm-ok');
    ok.innerHTML = textHTML(conf.confirm) || 'Yes';
    ok.className = 'btn ' + (conf.style === 'danger' ? 'danger' : 'primary');
    $('#confirm-cancel').innerHTML = textHTML(conf.deny) || 'Cancel';
    ov.hidden = false;
    return new Promise((resolve) => {
      const done = (v) => () => {
        ov.hidden = true;
        ok.onclick = null;
        $('#confirm-cancel').onclick = null;
        resolve(v);
      };
      ok.onclick = done(true);
      $('#confirm-cancel').onclick = done(false);
    });
  }

  function button(el, ctx, blockID) {
    const b = h('button', {
      type: 'button', class: 'btn' + (el.style ? ' ' + el.style : ''), 'data-action': el.action_id,
      'data-block': blockID, 'data-value': el.value, html: textHTML(el.text),
    });
    b.addEventListener('click', async () => {
      if (!(await confirmed(el.confirm))) return;
      b.classList.add('busy');
      if (el.url && /^https?:/i.test(el.url)) window.open(el.url, '_blank', 'noopener');
      await act(ctx, blockID, el.action_id, el.value);
      b.classList.remove('busy');
    });
    return b;
  }

  function optionsOf(el) {
    const out = [];
    for (const o of el.options || []) out.push({ o });
    for (const g of el.option_groups || []) {
      out.push({ group: g.label });
      for (const o of g.options || []) out.push({ o });
    }
    return out;
  }

  // menu is a static_select or an overflow: a trigger and a list of options. In a modal's input
  // block choosing only records the value; elsewhere it sends block_actions, as Slack does.
  function menu(el, ctx, blockID) {
    const overflow = el.type === 'overflow';
    const initial = el.initial_option;
    const trigger = h('button', {
      type: 'button', class: overflow ? 'overflow-trigger' : 'select-trigger',
      'data-action': el.action_id, 'data-block': blockID,
      'data-value': initial ? initial.value : undefined, 'aria-haspopup': 'listbox',
    });
    const label = h('span', { class: 'select-label', html: overflow ? '⋯' : textHTML(initial ? initial.text : el.placeholder) || 'Select…' });
    trigger.append(label);
    if (!overflow) trigger.append(h('span', { class: 'caret' }, '▾'));
    const list = h('div', { class: 'menu', role: 'listbox', hidden: true });
    for (const item of optionsOf(el)) {
      if (item.group) {
        list.append(h('div', { class: 'menu-group', html: textHTML(item.group) }));
        continue;
      }
      const opt = item.o;
      const b = h('button', { type: 'button', class: 'menu-item', role: 'option', 'data-value': opt.value, html: textHTML(opt.text) });
      b.addEventListener('click', async (ev) => {
        ev.stopPropagation();
        list.hidden = true;
        if (ctx.input) {
          trigger.dataset.value = opt.value;
          if (!overflow) label.innerHTML = textHTML(opt.text);
          return;
        }
        if (!(await confirmed(el.confirm))) return;
        if (!overflow) label.innerHTML = textHTML(opt.text);
        await act(ctx, blockID, el.action_id, opt.value);
      });
      list.append(b);
    }
    trigger.addEventListener('click', (ev) => {
      ev.stopPropagation();
      const open = list.hidden;
      closeMenus();
      list.hidden = !open;
    });
    return h('div', { class: 'menu-wrap' }, trigger, list);
  }

  function closeMenus() {
    document.querySelectorAll('.menu').forEach((m) => { m.hidden = true; });
  }

  function textInput(el, blockID) {
    const attrs = {
      class: 'text-input', 'data-block': blockID, 'data-action': el.action_id,
      placeholder: el.placeholder ? el.placeholder.text : undefined,
      maxlength: el.max_length, autofocus: el.focus_on_load,
    };
    const node = el.multiline ? h('textarea', attrs) : h('input', Object.assign({ type: 'text' }, attrs));
    if (el.initial_value) node.value = el.initial_value;
    return node;
  }

  function element(el, ctx, blockID) {
    switch (el.type) {
      case 'button': return button(el, ctx, blockID);
      case 'static_select': case 'overflow': return menu(el, ctx, blockID);
      case 'plain_text_input': return textInput(el, blockID);
      case 'image': return safeImage(el.image_url, el.alt_text, 'ctx-image');
      case 'mrkdwn': case 'plain_text': return h('span', { class: 'ctx-text', html: textHTML(el) });
      default: return h('span', { class: 'unsupported' }, '[' + el.type + ']');
    }
  }

  function safeImage(url, alt, cls) {
    if (!/^https?:/i.test(url || '')) return h('span', { class: 'unsupported' }, alt || '[image]');
    return h('img', { src: url, alt: alt || '', class: cls });
  }

  function block(b, ctx, errors) {
    const id = b.block_id;
    switch (b.type) {
      case 'header':
        return h('div', { class: 'b-header', html: textHTML(b.text) });
      case 'divider':
        return h('hr', { class: 'b-divider' });
      case 'context':
        return h('div', { class: 'b-context' }, (b.elements || []).map((e) => element(e, ctx, id)));
      case 'actions':
        return h('div', { class: 'b-actions', 'data-block': id }, (b.elements || []).map((e) => element(e, ctx, id)));
      case 'image':
        return h('div', { class: 'b-image' }, safeImage(b.image_url, b.alt_text, ''));
      case 'section': {
        const main = h('div', { class: 'section-main' });
        if (b.text) main.append(h('div', { class: 'section-text', html: textHTML(b.text) }));
        if (b.fields) main.append(h('div', { class: 'fields' }, b.fields.map((f) => h('div', { class: 'field', html: textHTML(f) }))));
        return h('div', { class: 'b-section', 'data-block': id }, main,
          b.accessory ? h('div', { class: 'accessory' }, element(b.accessory, ctx, id)) : null);
      }
      case 'input': {
        const err = (errors || {})[id];
        return h('div', { class: 'b-input', 'data-input-block': id },
          h('label', { class: 'input-label', html: textHTML(b.label) + (b.optional ? ' <span class="optional">(optional)</span>' : '') }),
          element(b.element, Object.assign({ input: true }, ctx), id),
          b.hint ? h('div', { class: 'input-hint', html: textHTML(b.hint) }) : null,
          h('div', { class: 'input-error', 'data-block': id, hidden: !err }, err || ''));
      }
      default:
        return h('div', { class: 'unsupported' }, '[unsupported block: ' + b.type + ']');
    }
  }

  function blocks(list, ctx, errors) {
    return h('div', { class: 'blocks' }, (list || []).map((b) => block(b, ctx, errors)));
  }

  // ---- timeline --------------------------------------------------------------------------

  const clock = (iso) => {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  };

  function messageNode(m) {
    const bot = !!m.bot_id;
    const name = bot ? 'NFMM' : (app.users[m.user] || m.user);
    return h('div', { class: 'msg' + (m.ephemeral ? ' ephemeral' : ''), 'data-ts': m.ts },
      h('div', { class: 'avatar' + (bot ? ' bot' : '') }, bot ? 'N' : name.slice(0, 1)),
      h('div', { class: 'body' },
        h('div', { class: 'meta' },
          h('span', { class: 'name' }, name),
          bot ? h('span', { class: 'app-badge' }, 'APP') : null,
          h('span', { class: 'time' }, clock(m.posted_at)),
          m.edited ? h('span', { class: 'edited' }, '(edited)') : null),
        m.ephemeral ? h('div', { class: 'eph-note' }, '👁 Only visible to you') : null,
        m.blocks && m.blocks.length ? blocks(m.blocks, { ts: m.ts }) : h('div', { class: 'msg-text', html: mrkdwn(m.text, app.users) })));
  }

  function echoNode(e) {
    const name = app.users[e.user] || e.user;
    return h('div', { class: 'msg echo' },
      h('div', { class: 'avatar' }, name.slice(0, 1)),
      h('div', { class: 'body' },
        h('div', { class: 'meta' }, h('span', { class: 'name' }, name), h('span', { class: 'time' }, clock(e.posted_at)),
          h('span', { class: 'echo-note' }, 'only you see that you ran this')),
        h('div', { class: 'cmd' }, e.text)));
  }

  function renderTimeline(st) {
    const items = [];
    for (const m of st.messages) {
      items.push({ at: Date.parse(m.posted_at), key: 'm' + m.ts, sig: JSON.stringify([m.text, m.blocks, m.updated_at]), make: () => messageNode(m) });
    }
    st.echoes.forEach((e, i) => {
      items.push({ at: Date.parse(e.posted_at), key: 'e' + i + e.posted_at, sig: '', make: () => echoNode(e) });
    });
    items.sort((a, b) => a.at - b.at); // stable: equal times keep post order
    const box = $('#messages');
    const tl = $('#timeline');
    const nearBottom = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 120;
    // Follow new messages as Slack does; an update in place keeps the reader where they are.
    const arrived = items.some((it) => !app.rendered.has(it.key));
    const next = new Map();
    const nodes = items.map((it) => {
      const old = app.rendered.get(it.key);
      let node = old && old.sig === it.sig ? old.node : it.make();
      if (old && old.sig !== it.sig) node.classList.add('flash');
      next.set(it.key, { sig: it.sig, node });
      return node;
    });
    // Touch the DOM only where the timeline changed. Re-inserting the nodes that stay
    // (replaceChildren with the same nodes, on every refresh) detached each for a moment: it
    // lost focus, and a click that had just found its button (a browser driving the page)
    // found the node gone.
    const keep = new Set(nodes);
    for (const child of [...box.children]) {
      if (!keep.has(child)) child.remove();
    }
    nodes.forEach((node, i) => {
      if (box.children[i] !== node) box.insertBefore(node, box.children[i] || null);
    });
    app.rendered = next;
    if (nearBottom || arrived) tl.scrollTop = tl.scrollHeight;
  }

  // ---- modal -----------------------------------------------------------------------------

  function renderModal(v) {
    const ov = $('#modal-overlay');
    if (!v) {
      app.view = null;
      ov.hidden = true;
      ov.replaceChildren();
      return;
    }
    const doc = v.raw || {};
    if (app.view && app.view.id === v.id && app.view.hash === v.hash) {
      updateErrors(v.errors);
      return;
    }
    app.view = { id: v.id, hash: v.hash };
    const ctx = { viewID: v.id };
    const dialog = h('div', { class: 'dialog modal', role: 'dialog', 'aria-modal': 'true', 'data-view': v.id, 'data-callback': v.callback_id },
      h('div', { class: 'dialog-title' }, h('span', { html: textHTML(doc.title) }),
        h('button', { type: 'button', class: 'x', 'aria-label': 'Close', onclick: closeModal }, '×')),
      h('div', { class: 'dialog-body' }, blocks(doc.blocks, ctx, v.errors)),
      h('div', { class: 'dialog-foot' },
        h('button', { type: 'button', class: 'btn', id: 'modal-cancel', onclick: closeModal, html: textHTML(doc.close) || 'Cancel' }),
        doc.submit ? h('button', { type: 'button', class: 'btn primary', id: 'modal-submit', onclick: submitModal, html: textHTML(doc.submit) }) : null));
    ov.replaceChildren(dialog);
    ov.hidden = false;
    const focus = $('[autofocus]', dialog);
    if (focus) focus.focus();
  }

  function updateErrors(errors) {
    document.querySelectorAll('#modal-overlay .input-error').forEach((n) => {
      const msg = (errors || {})[n.dataset.block];
      n.textContent = msg || '';
      n.hidden = !msg;
    });
    const s = $('#modal-submit');
    if (s) s.classList.remove('busy');
  }

  function modalValues() {
    const values = {};
    document.querySelectorAll('#modal-overlay [data-input-block]').forEach((b) => {
      const bid = b.dataset.inputBlock;
      const field = $('.text-input, .select-trigger', b);
      if (!field) return;
      const val = field.classList.contains('text-input') ? field.value : field.dataset.value;
      if (val === undefined) return;
      values[bid] = { [field.dataset.action]: val };
    });
    return values;
  }

  async function submitModal() {
    if (!app.view) return;
    const s = $('#modal-submit');
    if (s) s.classList.add('busy');
    await post('/ui/submit', { view_id: app.view.id, values: modalValues() });
  }

  async function closeModal() {
    if (!app.view) return;
    await post('/ui/close', { view_id: app.view.id });
  }

  // ---- state, users, events ---------------------------------------------------------------

  async function refresh() {
    if (app.refreshing) { app.again = true; return; }
    app.refreshing = true;
    try {
      do {
        app.again = false;
        const res = await fetch('/ui/state?user=' + encodeURIComponent(app.user), { cache: 'no-store' });
        if (!res.ok) break;
        const st = await res.json();
        if (st.user !== app.user) { app.again = true; continue; }
        const conn = $('#conn');
        conn.textContent = st.connected ? 'NFMM connected (socket mode)' : 'NFMM not connected';
        conn.className = 'conn ' + (st.connected ? 'on' : 'off');
        renderTimeline(st);
        renderModal(st.view);
        document.body.dataset.ready = 'true';
      } while (app.again);
    } catch (e) {
      toast('lost the fake Slack: ' + e.message);
    } finally {
      app.refreshing = false;
    }
  }

  function actAs(id) {
    app.user = id;
    document.querySelectorAll('#actas .as').forEach((b) => {
      const on = b.dataset.user === id;
      b.classList.toggle('active', on);
      b.setAttribute('aria-checked', on ? 'true' : 'false');
    });
    document.body.dataset.user = id;
    app.rendered = new Map();
    app.view = null;
    closeMenus();
    const u = app.cfg.users.find((x) => x.id === id);
    $('#composer').placeholder = 'Message #' + app.cfg.channel_name + ' as ' + (u ? u.name : id) + ' — try ' + app.cfg.command + ' calls';
    refresh();
  }

  // ---- composer ----------------------------------------------------------------------------

  function suggestions(value) {
    const cmd = app.cfg.command;
    const v = value.trimStart();
    if (!v.startsWith('/')) return [];
    if (!(cmd + ' ').startsWith(v.slice(0, cmd.length + 1)) && !v.startsWith(cmd + ' ')) return [];
    const rest = v.startsWith(cmd + ' ') ? v.slice(cmd.length + 1).trimStart() : '';
    if (rest.includes(' ')) return [];
    return app.cfg.commands.filter((c) => c.usage.startsWith(rest));
  }

  function renderSuggest() {
    const list = $('#suggest');
    const items = suggestions($('#composer').value);
    if (!items.length) { list.hidden = true; list.replaceChildren(); app.suggestIndex = -1; return; }
    app.suggestIndex = Math.min(app.suggestIndex, items.length - 1);
    list.replaceChildren(...items.map((c, i) => h('li', {
      role: 'option', class: 'suggestion' + (i === app.suggestIndex ? ' sel' : ''), 'data-usage': c.usage,
      onmousedown: (ev) => { ev.preventDefault(); complete(c); },
    }, h('span', { class: 'usage' }, app.cfg.command + ' ' + c.usage),
    c.operator ? h('span', { class: 'op-badge' }, 'operator') : null,
    h('span', { class: 'summary' }, c.summary))));
    list.hidden = false;
  }

  function complete(c) {
    const input = $('#composer');
    input.value = app.cfg.command + ' ' + c.usage.split(' ')[0] + ' ';
    input.focus();
    app.suggestIndex = -1;
    renderSuggest();
  }

  async function send(ev) {
    ev.preventDefault();
    const input = $('#composer');
    const text = input.value.trim();
    if (!text) return;
    if (!text.startsWith(app.cfg.command)) {
      toast('Only ' + app.cfg.command + ' commands work in this demo channel.');
      return;
    }
    input.value = '';
    renderSuggest();
    await post('/ui/command', { text });
  }

  function onKey(ev) {
    const items = suggestions(ev.target.value);
    if (!items.length) return;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const n = items.length;
      app.suggestIndex = ((app.suggestIndex + (ev.key === 'ArrowDown' ? 1 : -1)) % n + n) % n;
      renderSuggest();
    } else if (ev.key === 'Tab' || (ev.key === 'Enter' && app.suggestIndex >= 0)) {
      ev.preventDefault();
      complete(items[Math.max(app.suggestIndex, 0)]);
    } else if (ev.key === 'Escape') {
      $('#suggest').hidden = true;
    }
  }

  async function start() {
    app.cfg = await (await fetch('/ui/config')).json();
    document.title = app.cfg.title;
    for (const u of app.cfg.users) app.users[u.id] = u.name;
    app.users[app.cfg.bot_user] = 'NFMM';
    $('#channel-name').textContent = '# ' + app.cfg.channel_name;
    $('#side-channel').textContent = '# ' + app.cfg.channel_name;
    $('#actas').replaceChildren(...app.cfg.users.map((u) => h('button', {
      type: 'button', class: 'as', role: 'radio', 'data-user': u.id, onclick: () => actAs(u.id),
    }, h('span', { class: 'as-name' }, u.name), u.role ? h('span', { class: 'role ' + u.role }, u.role) : null)));
    $('#composer-form').addEventListener('submit', send);
    $('#composer').addEventListener('input', () => { app.suggestIndex = -1; renderSuggest(); });
    $('#composer').addEventListener('keydown', onKey);
    document.addEventListener('click', closeMenus);
    actAs(app.cfg.users[0].id);
    const es = new EventSource('/ui/events');
    es.addEventListener('change', refresh);
    es.addEventListener('hello', refresh);
  }

  window.nfmmApp = { refresh, actAs };
  start().catch((e) => toast('cannot load the page: ' + e.message));
})();
