// edgefw technician page. Plain browser JavaScript, no build step, no CDN. Every text comes from
// /api/i18n (English, Tiếng Việt …); state arrives by server-sent events from /events.
'use strict';
(() => {
  let T = null; // translation: { lang, languages, page, faults }
  let S = null; // latest snapshot
  let session = { loggedIn: false };
  let es = null;
  const $ = (id) => document.getElementById(id);
  const t = (k, vars) => String((T && T.page[k]) || k).replace(/\{(\w+)\}/g, (m, n) => (vars && n in vars ? vars[n] : m));

  /** h('div', {class: 'x'}, child, 'text') — DOM only, never innerHTML: messages come from devices. */
  function h(tag, attrs, ...kids) {
    const svg = tag === 'svg' || tag === 'polyline';
    const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }
  const fill = (id, ...kids) => { const el = $(id); el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false)); return el; };
  const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString(T ? T.lang : undefined) : '–');
  /** a value with the decimals its part resolves (channel spec, or the profile's override) */
  const fmtNum = (v, decimals) => v.toFixed(Math.max(0, Math.min(10, decimals)));
  function fmtDur(s) {
    const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), mm = Math.floor((s % 3600) / 60);
    return (d ? d + 'd ' : '') + (d || hh ? hh + 'h ' : '') + mm + 'm ' + (s % 60) + 's';
  }

  async function api(path, body) {
    const opts = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf || '' }, body: JSON.stringify(body) };
    const r = await fetch(path, opts);
    let j = {};
    try { j = await r.json(); } catch (e) { /* empty body */ }
    return { status: r.status, body: j };
  }

  async function loadLanguage(lang) {
    const r = await api('/api/i18n' + (lang ? '?lang=' + encodeURIComponent(lang) : ''));
    T = r.body;
    document.documentElement.lang = T.lang;
    document.title = t('title') + ' · edgefw';
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    const sel = $('lang');
    sel.replaceChildren(...T.languages.map((l) => h('option', { value: l.lang, selected: l.lang === T.lang }, l.name)));
    render();
  }

  function renderOverview() {
    const up = S.uptimeS;
    const host = S.host;
    const na = t('notAvailable');
    const thr = host.throttledNow === undefined ? na : host.throttledNow ? t('throttleNow') : host.throttledSinceBoot ? t('throttleSinceBoot') : t('throttleNone');
    const items = [
      ['box', S.box], ['site', S.site || '–'], ['firmware', S.firmware], ['boot', S.boot], ['uptime', fmtDur(up)],
      ['clock', (S.clock.trusted ? t('clockTrusted') : t('clockUntrusted')) + ' (' + S.clock.source + ')'],
      ['broker', S.broker.connected ? t('connected') : t('disconnected') + (S.broker.lastError ? ': ' + S.broker.lastError : '')],
      ['outbox', S.outbox.waiting + ' ' + t('waiting') + ' · ' + S.outbox.dropped + ' ' + t('dropped')],
      ['cpuTemp', host.cpuC === undefined ? na : host.cpuC.toFixed(1) + ' °C'], ['throttling', thr],
      ['disk', host.diskFreeMb === undefined ? na : Math.round(host.diskFreeMb) + ' MiB (' + Math.round(host.diskFreePercent) + ' %)'],
      ['memory', host.memAvailableMb === undefined ? na : Math.round(host.memAvailableMb) + ' MiB'],
      ['rss', host.rssMb === undefined ? na : Math.round(host.rssMb) + ' MiB'],
    ];
    fill('ov', items.map(([k, v]) => h('div', { 'data-testid': 'ov-' + k }, h('dt', {}, t(k)), h('dd', {}, v))));
    $('hdr-box').textContent = S.box;
    $('hdr-site').textContent = S.site || '';
    $('ftr-fw').textContent = t('firmware') + ' ' + S.firmware + ' · ' + t('boot') + ' ' + S.boot;
  }

  function spark(values) {
    if (!values || values.length < 2) return h('span', { class: 'muted' }, '');
    const min = Math.min(...values), max = Math.max(...values), span = max - min || 1;
    const pts = values.map((v, i) => (i * 90 / (values.length - 1)).toFixed(1) + ',' + (20 - ((v - min) / span) * 18).toFixed(1)).join(' ');
    return h('svg', { class: 'spark', viewBox: '0 0 90 22', 'aria-hidden': 'true' }, h('polyline', { points: pts }));
  }

  function renderDevices() {
    fill('dev', S.devices.map((d) => h('div', { class: 'card', 'data-testid': 'device-' + d.id },
      h('h3', {}, d.name || d.id, ' ', h('span', { class: 'badge st-' + d.state, 'data-testid': 'state-' + d.id }, t('st_' + d.state))),
      h('div', { class: 'muted' }, d.id + ' · ' + d.wiring.part),
      h('div', { class: 'wiring' }, t('wiring') + ': ' + d.wiring.where + (d.wiring.wires ? ' — ' + d.wiring.wires : '')),
      d.lastError ? h('div', { class: 'error' }, d.lastError.code + ': ' + d.lastError.message) : null,
      d.values.length === 0 ? h('div', { class: 'muted' }, t('noValues')) :
        h('table', {}, h('tbody', {}, d.values.map((v) => h('tr', { 'data-testid': 'value-' + d.id + '-' + v.channel },
          h('td', {}, v.channel), h('td', { class: 'num', 'data-testid': 'num-' + d.id + '-' + v.channel }, fmtNum(v.value, v.decimals) + ' ' + v.unit),
          h('td', { class: 'num muted' }, v.ageS === undefined ? '' : t('secondsAgo', { n: Math.round(v.ageS) })),
          h('td', {}, spark(v.history)))))),
      outputControls(d))));
  }

  function faultCard(f, recent) {
    const txt = (T.faults[f.code]) || { title: f.code, steps: [], causes: [], verify: '' };
    return h('div', { class: 'card sev-' + f.severity, 'data-testid': (recent ? 'recent-' : 'fault-') + f.code + '-' + (f.subject || '') },
      h('h3', {}, txt.title, ' ', h('span', { class: 'badge sev-' + f.severity + '-b' }, t('sev_' + f.severity))),
      h('div', { class: 'muted' }, f.code + ' · ' + t('subject') + ': ' + (f.subject || '–') + ' · ' + t('since') + ': ' + fmtTime(f.sinceMs) +
        (recent ? ' · ' + t('cleared') + ': ' + fmtTime(f.clearedMs) : ' · ' + t('count') + ': ' + f.count)),
      h('p', {}, txt.description),
      h('div', { class: 'muted' }, f.message),
      recent ? null : h('div', {}, h('strong', {}, t('remedy')), h('ol', { 'data-testid': 'remedy-' + f.code }, txt.steps.map((s) => h('li', {}, s)))),
      recent ? null : h('div', { class: 'verify' }, h('strong', {}, t('verify') + ': '), txt.verify),
      recent ? null : h('details', {}, h('summary', {}, t('causes')), h('ul', {}, txt.causes.map((c) => h('li', {}, c)))),
      !recent && f.acknowledged ? h('p', { class: 'muted' }, '✓ ' + t('acknowledged')) : null,
      !recent && !f.acknowledged && allowed('ack') ? h('div', { class: 'row' }, h('button', { type: 'button', 'data-testid': 'ack-' + f.code + '-' + (f.subject || ''),
        onclick: (e) => run('ack', f.subject ? { code: f.code, subject: f.subject } : { code: f.code }, 'result', e.currentTarget) }, t('acknowledge'))) : null);
  }

  /** a command of the box's permission list this technician may give from the page (site.http.allow) */
  const allowed = (name) => session.loggedIn && Array.isArray(session.allow) && session.allow.includes(name);

  function outputControls(d) {
    if (!d.outputs || d.outputs.length === 0 || !allowed('output')) return null;
    return h('div', { class: 'outputs' }, h('strong', {}, t('outputs')), d.outputs.map((o) => {
      const hold = h('select', { 'data-testid': 'hold-' + d.id + '-' + o.name }, [1, 5, 15, 60].map((m) => h('option', { value: m * 60000 }, t('minutes', { n: m }))));
      const sw = (value, label) => h('button', { type: 'button', 'data-testid': 'output-' + d.id + '-' + o.name + '-' + value,
        onclick: (e) => run('output', { device: d.id, output: o.name, value, hold: Number(hold.value) }, 'result', e.currentTarget) }, label);
      return h('div', { class: 'row' }, h('span', {}, o.name + ': ' + (o.value === undefined ? '–' : o.value)), sw('on', t('switchOn')), sw('off', t('switchOff')), h('label', {}, t('holdFor'), hold));
    }));
  }

  function renderFaults() {
    const a = S.faults.active, r = S.faults.recent;
    fill('fa', a.length ? h('div', { class: 'cards' }, a.map((f) => faultCard(f, false))) : h('p', { class: 'muted' }, t('noFaults')));
    fill('fr', r.length ? h('div', { class: 'cards' }, r.slice(0, 12).map((f) => faultCard(f, true))) : h('p', { class: 'muted' }, t('noRecent')));
  }

  function verdictLines(checks) {
    return checks.map((c) => h('div', { class: 'line' }, h('span', { class: 'badge v-' + c.verdict }, t(c.verdict.toLowerCase())),
      h('div', {}, h('strong', {}, c.name), ' ', c.detail,
        c.code && T.faults[c.code] ? h('ol', {}, T.faults[c.code].steps.map((s) => h('li', {}, s))) : null)));
  }

  function showResult(target, r) {
    const el = $(target);
    if (r.status !== 200) {
      const msg = r.status === 401 ? t('sessionNeeded') + ' (' + r.body.error + ')' : r.status === 409 && /running/.test(r.body.error || '') ? t('busy') : r.body.error;
      fill(target, h('p', { class: 'error', 'data-testid': 'action-error' }, msg));
      if (r.status === 401) refreshSession();
      return;
    }
    const b = r.body;
    if (b.report) fill(target, h('h3', {}, t('result') + ': ', h('span', { class: 'badge v-' + b.report.verdict, 'data-testid': 'verdict' }, t(b.report.verdict.toLowerCase()))),
      target === 'comres' ? h('p', {}, b.commissioned ? t('commissionAllPass') : t('commissionFix')) : null, verdictLines(b.report.checks));
    else if (b.checks) fill(target, h('h3', {}, t('i2cScan')), verdictLines(b.checks));
    else if (b.probe) fill(target, h('h3', {}, t('serialProbe') + ' ' + b.probe.path), h('p', {}, b.probe.verdict));
    else if (b.result) fill(target, h('p', { 'data-testid': 'command-result' }, b.action + ': ' + JSON.stringify(b.result)));
    else fill(target, h('p', {}, t('reprobe') + ': ' + b.device + ' ✓'));
    void el;
  }

  async function run(action, args, target, button) {
    button.disabled = true;
    fill(target, h('p', { class: 'muted' }, t('running')));
    try { showResult(target, await api('/api/actions/' + action, args || {})); } finally { button.disabled = false; }
  }

  function renderAuth() {
    if (!session.passphraseSet) { fill('auth', h('p', { class: 'muted' }, t('noPassphraseSet'))); }
    if (session.loggedIn) {
      fill('auth', h('div', { class: 'row' }, h('span', { 'data-testid': 'logged-in' }, t('loggedInAs', { who: session.who })),
        h('button', { type: 'button', onclick: async () => { await api('/api/logout', {}); await refreshSession(); } }, t('logout'))));
      return;
    }
    const who = h('input', { name: 'who', autocomplete: 'name', maxlength: 60, required: true, 'data-testid': 'who' });
    const pw = h('input', { name: 'passphrase', type: 'password', autocomplete: 'current-password', maxlength: 256, required: true, 'data-testid': 'passphrase' });
    const msg = h('p', { class: 'error', 'data-testid': 'login-error' });
    const form = h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      const r = await api('/api/login', { who: who.value, passphrase: pw.value });
      pw.value = '';
      if (r.status === 200) return refreshSession();
      msg.textContent = r.status === 401 ? t('wrongPassphrase') : r.status === 429 ? t('tooManyAttempts', { n: (r.body.error.match(/\d+/) || ['?'])[0] }) : r.body.error;
    } }, h('label', {}, t('who'), who), h('label', {}, t('passphrase'), pw), h('button', { type: 'submit', 'data-testid': 'login' }, t('login')));
    fill('auth', h('p', { class: 'muted' }, session.passphraseSet ? t('loginNeeded') : t('noPassphraseSet')), form, msg);
  }

  function renderActions() {
    const port = h('input', { placeholder: '/dev/ttyUSB0', 'data-testid': 'port', size: 24 });
    const baud = h('select', {}, [9600, 4800, 19200, 38400, 57600, 115200].map((b) => h('option', { value: b }, b + ' Bd')));
    const dev = h('select', { 'data-testid': 'reprobe-device' }, (S ? S.devices : []).map((d) => h('option', { value: d.id }, d.id)));
    const btn = (label, id, fn) => h('button', { type: 'button', 'data-testid': id, onclick: (e) => fn(e.currentTarget) }, label);
    fill('act',
      h('div', { class: 'row' }, btn(t('runSelfTest'), 'selftest', (b) => run('selftest', {}, 'result', b)), btn(t('runI2cScan'), 'i2c-scan', (b) => run('i2c-scan', {}, 'result', b))),
      h('div', { class: 'row' }, h('label', {}, t('port'), port), h('label', {}, 'Baud', baud), btn(t('runSerialProbe'), 'serial-probe', (b) => run('serial-probe', { port: port.value, baud: baud.value }, 'result', b))),
      h('div', { class: 'row' }, h('label', {}, t('reprobeHint'), dev), btn(t('reprobe'), 'reprobe', (b) => run('reprobe', { device: dev.value }, 'result', b))),
      h('div', { class: 'row' }, session.loggedIn ? h('a', { href: '/api/support-bundle', download: '', 'data-testid': 'bundle' }, t('downloadBundle')) : h('span', { class: 'muted' }, t('supportBundle') + ': ' + t('loginNeeded'))),
      allowed('ack') || allowed('output') ? null : h('p', { class: 'muted' }, t('outputsAbsent')));
  }

  function renderCommissioning() {
    const rows = S.devices.map((d) => h('tr', {}, h('td', {}, d.id), h('td', {}, d.wiring.part), h('td', {}, d.wiring.where),
      h('td', {}, h('span', { class: 'badge st-' + (d.state === 'ok' ? 'ok' : 'failed') }, d.state === 'ok' ? t('found') : t('missing')))));
    const b = h('button', { type: 'button', 'data-testid': 'commission', onclick: (e) => run('commission', {}, 'comres', e.currentTarget) }, t('commissionRun'));
    fill('com', h('p', {}, t('commissionIntro')), h('p', { 'data-testid': 'commissioned' }, h('strong', {}, S.commissioned ? t('commissioned') : t('notCommissioned'))),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'id'), h('th', {}, t('expected')), h('th', {}, t('wiring')), h('th', {}, t('state')))), h('tbody', {}, rows)), h('div', { class: 'row' }, b));
  }

  let actionsDrawn = false;
  function render() {
    if (!T || !S) return;
    renderOverview(); renderDevices(); renderFaults();
    // the forms keep what a technician typed: drawn again only when the session changes
    if (!actionsDrawn) { renderAuth(); renderActions(); actionsDrawn = true; }
    if (!document.activeElement || !$('com').contains(document.activeElement)) renderCommissioning();
  }

  async function refreshSession() {
    session = (await api('/api/session')).body;
    actionsDrawn = false;
    if (!session.mayRead && !session.loggedIn) { fill('banner', t('loginNeeded')); $('banner').hidden = false; renderAuth(); return; }
    connect();
    render();
  }

  function connect() {
    if (es) return;
    es = new EventSource('/events');
    es.addEventListener('state', (e) => { S = JSON.parse(e.data); $('live').className = 'live on'; $('live').textContent = t('live'); $('banner').hidden = true; render(); });
    es.onerror = () => { $('live').className = 'live off'; $('live').textContent = t('offline'); };
  }

  $('lang').addEventListener('change', (e) => { localStorage.setItem('edgefw-lang', e.target.value); void loadLanguage(e.target.value); actionsDrawn = false; });
  window.addEventListener('hashchange', () => { for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.getAttribute('href') === location.hash); });
  void loadLanguage(localStorage.getItem('edgefw-lang') || '').then(refreshSession);
})();
