// The dashboard's plumbing: API calls with the bearer token, the server-sent event stream (read with fetch so the
// token goes in a header, never in a URL), element building (text only: no HTML from data) and number formats.
'use strict';
window.Dash = window.Dash || {};
(function (D) {
  const TOKEN_KEY = 'bot.token';
  D.token = () => sessionStorage.getItem(TOKEN_KEY) || '';
  D.setToken = (t) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY));

  /** GET (or POST with `body`) under /api/v1; throws an Error with the server's one-line message. */
  D.api = async function (path, body) {
    const headers = {};
    if (D.token()) headers.authorization = 'Bearer ' + D.token();
    const init = { headers };
    if (body !== undefined) {
      init.method = 'POST';
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch('/api/v1' + path, init);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(data.error || 'HTTP ' + res.status);
      err.status = res.status;
      throw err;
    }
    return data;
  };

  /** A file under /api/v1 as an object URL (images need the bearer header too). */
  D.fileUrl = async function (path) {
    const headers = D.token() ? { authorization: 'Bearer ' + D.token() } : {};
    const res = await fetch('/api/v1' + path, { headers });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    return URL.createObjectURL(await res.blob());
  };

  /** Follows /api/v1/events, calling onEvent(type, data); reconnects after a drop. */
  D.follow = function (onEvent, onState) {
    let stopped = false;
    const run = async () => {
      while (!stopped) {
        try {
          const headers = D.token() ? { authorization: 'Bearer ' + D.token() } : {};
          const res = await fetch('/api/v1/events', { headers });
          if (!res.ok) throw new Error(res.status === 401 ? 'sign in for live updates' : 'HTTP ' + res.status);
          onState('live');
          const reader = res.body.getReader();
          const dec = new TextDecoder();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += dec.decode(value, { stream: true });
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const frame = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const type = /^event: (.*)$/m.exec(frame);
              const data = /^data: (.*)$/m.exec(frame);
              if (type && data) onEvent(type[1], JSON.parse(data[1]));
            }
          }
          onState('reconnecting');
        } catch (e) {
          onState(e.message);
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    run();
    return () => (stopped = true);
  };

  /** h('td', {class: 'x'}, 'text', child…): an element with text children only. */
  D.h = function (tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  };

  /**
   * A number with at most `digits` decimals; below 1 (a coin priced 0.00001234, its fee) as many as keep 4
   * significant digits, which 2 decimals turned into 0. `digits` 0 (a KRW amount) stays whole.
   */
  D.num = (x, digits = 2) => {
    if (x === null || x === undefined || Number.isNaN(x)) return '—';
    const v = Number(x);
    const small = digits > 0 && v !== 0 && Math.abs(v) < 1;
    const most = small ? Math.min(20, Math.max(digits, 3 - Math.floor(Math.log10(Math.abs(v))))) : digits;
    return v.toLocaleString('en-US', { maximumFractionDigits: most });
  };
  D.pct = (x) => (x === null || x === undefined || typeof x !== 'number' ? '—' : (x * 100).toFixed(2) + '%');
  // the next tick, or why there is none (as bot status says it): an ended run, a halted one, or one whose process is
  // not running (stopped or crashed)
  D.nextTick = (r) =>
    r.nextTick
      ? r.nextTick.slice(0, 16)
      : r.ended
        ? '— (ended)'
        : r.halted
          ? '— (halted)'
          : `— (not running${r.lastSeen ? `; last seen ${r.lastSeen.slice(0, 16)}` : ''})`;
  D.signClass = (x) => (typeof x === 'number' ? (x > 0 ? 'pos' : x < 0 ? 'neg' : '') : '');
  D.time = (ms) => (ms === null || ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16));

  /** A small SVG line of `values` (no colour needed to read it). */
  D.spark = function (values) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 120 28');
    if (!values || values.length < 2) return svg;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pts = values.map((v, i) => `${(i / (values.length - 1)) * 118 + 1},${27 - ((v - lo) / (hi - lo || 1)) * 26}`);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', '#1b1f24');
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
    return svg;
  };

  /** A table from rows and [header, cell(row)] columns; `onRow` makes rows clickable. */
  D.table = function (rows, columns, onRow, attrs) {
    const head = D.h(
      'tr',
      {},
      columns.map(([name]) => D.h('th', {}, name)),
    );
    const body = rows.map((r) =>
      D.h(
        'tr',
        onRow ? { class: 'clickable', onclick: () => onRow(r), tabindex: 0 } : {},
        columns.map(([, cell]) => {
          const v = cell(r);
          return v instanceof Node ? D.h('td', {}, v) : D.h('td', {}, v === undefined || v === null ? '—' : v);
        }),
      ),
    );
    return D.h('div', { class: 'scroll' }, D.h('table', attrs || {}, D.h('thead', {}, head), D.h('tbody', {}, body)));
  };
})(window.Dash);
