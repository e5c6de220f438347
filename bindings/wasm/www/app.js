// The explainer page. Everything FTP-shaped is computed by the ftpkit core (WebAssembly); this file only draws.
import init, * as ftp from './pkg/ftpkit_wasm.js';

const $ = (id) => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';
const enc = new TextEncoder();

const state = { bytes: new Uint8Array(), fromFile: null, sim: null };

// ---------------------------------------------------------------------------------------------------------------
// Small DOM helpers.

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// A JavaScript string with [start, end) (UTF-16 offsets from the core) marked.
function marked(text, span, cls = 'tuple') {
  if (!span) return [text];
  const [a, b] = span;
  return [text.slice(0, a), el('mark', { class: cls }, text.slice(a, b)), text.slice(b)];
}

// ---------------------------------------------------------------------------------------------------------------
// URL state: #transcript=<base64url of UTF-8> or #line=<base64url>.

function b64urlEncode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function b64urlDecode(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function readFragment() {
  const m = /^#(transcript|line)=([A-Za-z0-9_-]*)$/.exec(location.hash);
  if (!m) return null;
  try {
    return new TextDecoder().decode(b64urlDecode(m[2]));
  } catch {
    return null;
  }
}

function writeFragment(text) {
  const key = text.includes('\n') ? 'transcript' : 'line';
  const frag = text ? `#${key}=${b64urlEncode(enc.encode(text))}` : '';
  if (location.hash !== frag) history.replaceState(null, '', frag || location.pathname);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoded lines.

function context() {
  return { client: $('ctx-client').value.trim(), server: $('ctx-server').value.trim() };
}

function arithmetic(ep) {
  if (ep.form === 'PORT' || ep.form === '227') return `${ep.p1}*256+${ep.p2} = ${ep.port}`;
  return `port ${ep.port}`;
}

function fieldTable(ep) {
  const rows = [];
  if (ep.form === 'PORT' || ep.form === '227') {
    const h = (ep.ip || '').split('.');
    rows.push(['h1,h2,h3,h4', h.join(', '), `the address ${ep.ip}`]);
    rows.push(['p1,p2', `${ep.p1}, ${ep.p2}`, `the port ${arithmetic(ep)}`]);
  } else {
    rows.push(['address', ep.ip ?? '(the control connection’s peer)', ep.form === '229' ? 'EPSV names no address' : '']);
    rows.push(['port', String(ep.port), '']);
  }
  return el('table', { class: 'fields' },
    el('caption', { class: 'sr' }, `Fields of the ${ep.form} tuple`),
    el('tbody', {}, rows.map(([f, v, n]) => el('tr', {}, el('th', { scope: 'row' }, f), el('td', {}, v), el('td', { class: 'note' }, n)))));
}

function renderItem(it) {
  const li = el('li', { class: `item ${it.kind}`, 'data-kind': it.kind, 'data-line': it.line });
  const arrow = it.kind === 'command' ? '→' : it.kind === 'reply' ? '←' : '✕';
  const who = it.kind === 'command' ? 'client to server' : it.kind === 'reply' ? 'server to client' : 'cannot decode';
  const head = el('div', { class: 'item-head' },
    el('span', { class: 'ln', 'aria-label': `line ${it.line}` }, it.line),
    el('span', { class: 'dir', title: who, 'aria-label': who }, arrow));
  const text = it.input ?? '';
  const span = it.endpoint ? it.endpoint.span_utf16 : null;
  head.append(el('code', { class: 'raw' }, ...marked(text, span)));
  if (it.lossy) head.append(el('span', { class: 'badge warn', title: 'not UTF-8: shown lossily' }, 'not UTF-8'));
  li.append(head);
  if (it.kind === 'error') {
    li.append(el('p', { class: 'err', role: 'note' },
      el('strong', {}, `${it.error_kind}${it.field ? ` in field ${it.field}` : ''}: `), it.error));
    return li;
  }
  li.append(el('p', { class: 'explain' }, it.explain));
  if (it.endpoint) {
    const ep = it.endpoint;
    li.append(el('div', { class: 'endpoint' },
      el('p', { class: 'calc', 'data-port': ep.port },
        el('span', { class: 'badge' }, ep.mode), ' ', ep.form, ' ',
        ep.ip ? `${ep.ip}:` : '', el('strong', {}, String(ep.port)), ' — ', el('code', {}, arithmetic(ep))),
      fieldTable(ep)));
  }
  return li;
}

function renderItems(items) {
  const ol = $('items');
  ol.replaceChildren(...items.map(renderItem));
  const n = (k) => items.filter((i) => i.kind === k).length;
  const count = (k, one, many) => `${n(k)} ${n(k) === 1 ? one : many}`;
  const errs = n('error');
  $('summary').textContent = items.length
    ? `${count('command', 'command', 'commands')}, ${count('reply', 'reply', 'replies')}${errs ? `, ${count('error', 'line', 'lines')} that could not be decoded` : ''}.`
    : 'Nothing to decode yet: paste a line or pick an example.';
  $('summary').classList.toggle('bad', errs > 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Sequence diagrams.

function endLabel(e) {
  const port = e.port ?? e.port_label;
  return `${e.ip ? e.ip + ':' : ':'}${port}`;
}

// One data connection as the seed's four steps. Columns: client control, client data, server data, server control.
// Phones get a narrower drawing (the same steps) so its text stays legible.
const narrow = window.matchMedia('(max-width: 480px)');

function diagram(dc, title, compact = false) {
  const short = compact || narrow.matches;
  const W = narrow.matches ? 420 : 640, H = 330;
  const X = { cc: Math.round(W * 0.11), cd: Math.round(W * 0.34), sd: Math.round(W * 0.66), sc: Math.round(W * 0.89) };
  const s = dc.steps;
  const col = (end, step) => (step <= 2 ? (end.side === 'client' ? X.cc : X.sc) : (end.side === 'client' ? X.cd : X.sd));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: `seq ${dc.mode}`, 'data-mode': dc.mode, 'data-index': dc.index });
  const tid = `t${Math.random().toString(36).slice(2)}`;
  root.setAttribute('aria-labelledby', tid);
  root.append(svg('title', { id: tid }, `${title}: ${s.map((x) => `${x.step}. ${x.from.side} ${endLabel(x.from)} to ${x.to.side} ${endLabel(x.to)}`).join('; ')}`));
  const defs = svg('defs');
  for (const [id, c] of [['ah', '#334155'], ['ahd', '#0f766e'], ['ahn', '#b91c1c']]) {
    const m = svg('marker', { id: id + tid, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    m.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: c }));
    defs.append(m);
  }
  root.append(defs);
  // Hosts and the firewall that sees the new inbound connection, in front of its host.
  const inbound = s.find((x) => x.new_inbound_at)?.new_inbound_at;
  const half = W / 2;
  root.append(svg('rect', { x: 8, y: 8, width: half - 28, height: 34, rx: 8, class: 'host client' }));
  root.append(svg('text', { x: (half - 20) / 2 + 8, y: 30, 'text-anchor': 'middle', class: 'host-t' }, narrow.matches ? 'Client' : `Client ${s[0].from.ip ?? ''}`.trim()));
  root.append(svg('rect', { x: half + 20, y: 8, width: half - 28, height: 34, rx: 8, class: 'host server' }));
  root.append(svg('text', { x: half + 20 + (half - 28) / 2, y: 30, 'text-anchor': 'middle', class: 'host-t' }, narrow.matches ? 'Server' : `Server ${s[0].to.ip ?? ''}`.trim()));
  root.append(svg('rect', { x: inbound === 'client' ? half - 16 : half + 4, y: 56, width: 12, height: 250, class: 'wall', 'data-firewall': inbound }));
  root.append(svg('text', { x: inbound === 'client' ? 8 : W - 8, y: 322, 'text-anchor': inbound === 'client' ? 'start' : 'end', class: 'wall-t' },
    `▲ ${inbound}'s firewall: new inbound connection`));
  // Lifelines with port labels.
  const lab = { cc: s[0].from, sc: s[0].to, cd: s[2].from.side === 'client' ? s[2].from : s[2].to, sd: s[2].from.side === 'server' ? s[2].from : s[2].to };
  for (const [k, x] of Object.entries(X)) {
    root.append(svg('line', { x1: x, y1: 70, x2: x, y2: 300, class: 'life' }));
    const e = lab[k];
    const p = e.port ?? (short ? e.port_label.replace(/ \(> 1023\)$/, '') : e.port_label);
    const anchor = k === 'cc' ? 'start' : k === 'sc' ? 'end' : 'middle';
    root.append(svg('text', { x: anchor === 'start' ? x - 14 : anchor === 'end' ? x + 14 : x, y: 62, 'text-anchor': anchor, class: 'port' }, `:${p}`));
  }
  // The four steps.
  s.forEach((st, i) => {
    const y = 100 + i * 52;
    const x1 = col(st.from, st.step), x2 = col(st.to, st.step);
    const data = st.step >= 3;
    const isNew = !!st.new_inbound_at;
    const g = svg('g', { class: `step${data ? ' data' : ''}${isNew ? ' new' : ''}`, 'data-step': st.step, 'data-from': st.from.side, 'data-to': st.to.side });
    g.append(svg('line', { x1, y1: y, x2: x2 + (x2 > x1 ? -2 : 2), y2: y, 'marker-end': `url(#${isNew ? 'ahn' : data ? 'ahd' : 'ah'}${tid})` }));
    g.append(svg('circle', { cx: x1, cy: y, r: 11, class: 'num' }));
    g.append(svg('text', { x: x1, y: y + 4, 'text-anchor': 'middle', class: 'num-t' }, st.step));
    const what = st.step === 1 ? `${dc.announced_by === '227' ? 'PASV' : dc.announced_by === '229' ? 'EPSV' : dc.announced_by === '228' ? 'LPSV' : dc.announced_by}`
      : st.step === 2 ? (dc.mode === 'active' ? '200 OK' : `${dc.announced_by} port ${dc.endpoint.port}`)
      : st.step === 3 ? (narrow.matches ? 'SYN (new)' : `SYN: new connection${isNew ? ` → ${st.to.side}'s firewall` : ''}`) : (dc.mode === 'passive' ? 'ACK + data' : 'ACK');
    g.append(svg('text', { x: (x1 + x2) / 2, y: y - 8, 'text-anchor': 'middle', class: 'lbl-t' }, what));
    const t = svg('title', {}, `${st.step}. ${st.from.side} ${endLabel(st.from)} → ${st.to.side} ${endLabel(st.to)}: ${st.what}`);
    g.append(t);
    root.append(g);
  });
  return root;
}

function connectionFigure(dc, label, compact = false) {
  const cmd = dc.command ? ` for ${dc.command}${dc.command_at ? ` (line ${dc.command_at})` : ''}` : '';
  const outcome = dc.outcome ? `, ended ${dc.outcome}` : '';
  const title = `${label}${dc.index}: ${dc.mode} (${dc.announced_by} on line ${dc.announced_at})${cmd}${outcome}`;
  const fig = el('figure', { class: 'conn', 'data-mode': dc.mode },
    diagram(dc, title, compact),
    el('figcaption', {}, el('strong', {}, title),
      el('ol', { class: 'steps' }, dc.steps.map((st) => el('li', {}, `${endLabel(st.from)} → ${endLabel(st.to)} (${st.from.side} to ${st.to.side}): ${st.what}`)))));
  for (const w of dc.warnings) fig.append(el('p', { class: 'warn-box', role: 'note' }, `⚠ Line ${w.line}: ${w.text}`));
  return fig;
}

function renderDiagrams(tl, other) {
  const box = $('diagrams');
  box.classList.toggle('pair', !!other);
  if (!tl.connections.length) {
    box.replaceChildren(el('p', { class: 'help' }, 'No data connection in this input: a PORT/EPRT or 227/229 followed by a transfer (LIST, RETR, ...) opens one.'));
  } else {
    box.replaceChildren(...tl.connections.map((dc, i) => {
      const pair = !!(other && other.connections[i]);
      const row = el('div', { class: 'conn-row' }, connectionFigure(dc, 'Data connection ', pair));
      if (pair) row.append(connectionFigure(other.connections[i], 'Other mode, connection ', true));
      return row;
    }));
  }
  $('notes').replaceChildren(...tl.notes.map((n) => el('p', { class: 'note-box' }, `Line ${n.line}: ${n.text}`)));
}

// ---------------------------------------------------------------------------------------------------------------
// Firewall rules for the session's ports.

function sessionPorts(tl) {
  const dc = tl.connections[0];
  const p = { passive: '1024-65535', clientData: '', mode: 'passive' };
  if (!dc) return p;
  p.mode = dc.mode;
  // Every connection's port, as a range that covers them.
  const ports = tl.connections.filter((c) => c.mode === dc.mode).map((c) => c.endpoint.port);
  const lo = Math.min(...ports), hi = Math.max(...ports);
  const r = lo === hi ? String(lo) : `${lo}-${hi}`;
  if (dc.mode === 'passive') p.passive = r; else p.clientData = r;
  return p;
}

function renderFirewall(tl) {
  const side = document.querySelector('input[name=fw-side]:checked').value;
  const choice = document.querySelector('input[name=fw-mode]:checked').value;
  const p = sessionPorts(tl);
  const mode = choice === 'auto' ? p.mode : choice;
  const ctx = context();
  let fw;
  try {
    fw = ftp.firewallRules(mode, side, 21, '20', p.passive, '1024-65535', p.clientData || undefined, ctx.server || undefined, ctx.client || undefined);
  } catch (e) {
    $('fw-summary').textContent = `${e.kind}: ${e.message}`;
    return;
  }
  $('fw-caption').textContent = `The ${side}'s firewall, ${mode} mode: the seed's four channels with this session's ports`;
  $('fw-summary').textContent = fw.summary;
  $('fw-table').tBodies[0].replaceChildren(...fw.channels.map((c, i) => el('tr', { class: c.direction === 'inbound' && !c.reply ? 'in-new' : '', 'data-direction': c.direction },
    el('td', {}, i + 1),
    el('td', {}, c.direction + (c.reply ? ' (reply)' : ' (new)')),
    el('td', {}, `${c.from.host} ${c.from.ports}`),
    el('td', {}, `${c.to.host} ${c.to.ports}`),
    el('td', {}, c.description))));
  $('fw-nft').textContent = fw.nft;
  $('fw-ipt').textContent = fw.iptables;
}

// ---------------------------------------------------------------------------------------------------------------
// The NAT box: rewrite by span with a helper, the failure without one.

function renderNat(items) {
  const side = document.querySelector('input[name=nat-side]:checked').value;
  const out = $('nat-out');
  const pub = $('nat-public').value.trim();
  const helper = $('nat-helper').checked;
  const ctx = context();
  const parts = [];
  // Warnings about 227s, from the core's timeline, with the known server address.
  const first = items.find((i) => i.endpoint && i.endpoint.ip);
  if (side === 'none') {
    parts.push(el('p', { class: 'help' }, 'Choose a side to put a NAT device in front of it. The endpoint line of the input is then sent through it.'));
  } else if (!first) {
    parts.push(el('p', { class: 'help' }, 'The input has no PORT, EPRT or 227 line carrying an address to rewrite.'));
  } else {
    const ep = first.endpoint;
    const announcer = ep.mode === 'active' ? 'client' : 'server';
    const form = { PORT: 'port', EPRT: 'eprt', LPRT: 'lprt', 227: 'pasv', 228: 'lpsv' }[ep.form];
    const box = el('div', { class: 'nat-box' });
    box.append(el('p', {}, el('strong', {}, `Line ${first.line}: `), el('code', { class: 'raw' }, ...marked(first.input, ep.span_utf16))));
    if (announcer !== side) {
      box.append(el('p', { class: 'ok-box' }, `✓ The ${ep.form} carries the ${announcer}'s address; a NAT in front of the ${side} does not touch it. ` +
        (ep.mode === 'passive' ? 'The client dials out through its NAT both times: passive mode survives a client-side NAT.'
          : 'The server dials out from port 20 through its NAT to the client: active mode survives a server-side NAT.')));
    } else if (helper) {
      try {
        // PORT/EPRT carry the argument after the verb; replies are parsed whole.
        const isCmd = first.kind === 'command';
        const verbLen = isCmd ? first.input.indexOf(' ') + 1 : 0;
        const text = isCmd ? first.input.slice(verbLen) : first.input;
        const r = ftp.rewriteHostPort(form, text, pub, ep.port);
        const prefix = isCmd ? first.input.slice(0, verbLen) : '';
        const shift = ([a, b]) => [a + prefix.length, b + prefix.length];
        box.append(el('p', { class: 'rw' }, el('span', { class: 'badge' }, 'before'), ' ', el('code', { class: 'raw' }, ...marked(prefix + r.before, shift(r.span_utf16), 'tuple old'))));
        box.append(el('p', { class: 'rw' }, el('span', { class: 'badge' }, 'after'), ' ', el('code', { class: 'raw', id: 'nat-after' }, ...marked(prefix + r.after, shift(r.span_after_utf16), 'tuple new'))));
        box.append(el('p', { class: 'ok-box' }, `✓ The ${side}'s NAT helper rewrote bytes ${r.span[0] + prefix.length}–${r.span[1] + prefix.length} (the tuple, found by its span) from ${r.tuple_before} to ${r.tuple_after}; every other byte is kept. ` +
          `The ${side === 'client' ? 'server connects' : 'client connects'} to ${pub}:${ep.port}, which the NAT forwards.`));
      } catch (e) {
        box.append(el('p', { class: 'err' }, `${e.kind}: ${e.message}`));
      }
    } else {
      // Without a helper, the core's timeline says what breaks, seen with the NAT's public address.
      const tl = ftp.timeline(state.bytes, side === 'client' ? pub : ctx.client || undefined, side === 'server' ? pub : ctx.server || undefined, undefined);
      const warns = tl.connections.flatMap((c) => c.warnings).concat(tl.notes);
      // What happens then is the core's prediction, below.
      box.append(el('p', { class: 'warn-box', id: 'nat-fail' }, side === 'client'
        ? `⚠ Nothing rewrites the PORT: the server is told to connect to ${ep.ip}:${ep.port}, a private address behind the client's NAT, while the control connection comes from ${pub}.`
        : `⚠ Nothing rewrites the 227: the client is told to connect to ${ep.ip}:${ep.port}, the server's private address, while it reached the server at ${pub}.`));
      for (const w of warns) box.append(el('p', { class: 'warn-box' }, `⚠ ${w.text}`));
    }
    // The core's prediction for this path (firewall::predict: the model the network-namespace lab checks against the
    // kernel, docs/LAB.md); for a server-side NAT and a 227, also for a client that trusts the 227's address.
    const extended = ep.form === 'EPRT' || ep.form === '229';
    const trustMatters = side === 'server' && ep.mode === 'passive' && !extended;
    const variants = [[trustMatters ? "ftpkit predicts for a client that dials the control connection's address (ftpkit, curl, ftplib)" : 'ftpkit predicts', false]];
    if (trustMatters) variants.push(["for a client that dials the 227's address", true]);
    for (const [label, trust] of variants) {
      try {
        const p = ftp.predictNat(ep.mode, side, [helper && 'helper', extended && 'extended', trust && 'trust-227'].filter(Boolean).join(','));
        const attrs = { class: p.works ? 'ok-box' : 'fail-box', 'data-predict': trust ? 'trust' : 'default' };
        if (!trust) attrs.id = 'nat-predict';
        box.append(el('p', attrs, `${p.works ? '✓' : '✕'} ${label}: ${p.summary}`));
      } catch (e) {
        box.append(el('p', { class: 'err' }, `${e.kind}: ${e.message}`));
      }
    }
    parts.push(box);
  }
  // A 227 with a private address or one other than the server's: the core's warnings with the known addresses.
  const tl = ftp.timeline(state.bytes, ctx.client || undefined, ctx.server || undefined, undefined);
  for (const c of tl.connections) {
    for (const w of c.warnings) {
      if (c.announced_by === '227') parts.push(el('p', { class: 'warn-box', 'data-warning': '227' }, `⚠ Line ${w.line}: ${w.text}`));
    }
  }
  out.replaceChildren(...parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Decode everything for the current input.

function update({ writeUrl = true } = {}) {
  const text = $('input').value;
  if (state.fromFile === null) state.bytes = enc.encode(text);
  if (writeUrl && state.fromFile === null) writeFragment(text);
  const items = ftp.decodeTranscriptBytes(state.bytes);
  renderItems(items);
  const ctx = context();
  let tl, other = null;
  try {
    tl = ftp.timeline(state.bytes, ctx.client || undefined, ctx.server || undefined, undefined);
    if ($('other-mode').checked) other = ftp.timelineOtherMode(state.bytes, ctx.client || undefined, ctx.server || undefined, undefined);
  } catch (e) {
    tl = ftp.timeline(state.bytes, undefined, undefined, undefined);
    $('summary').textContent += ` (${e.message})`;
  }
  renderDiagrams(tl, other);
  renderFirewall(tl);
  renderNat(items);
}

function setInput(text) {
  state.fromFile = null;
  $('input').value = text;
  update();
}

// ---------------------------------------------------------------------------------------------------------------
// The live session.

function simConfig() {
  const nat = $('sim-nat').value;
  return [$('sim-mode').value, nat === 'client' ? '203.0.113.5' : '', nat === 'server' ? '198.51.100.7' : '', $('sim-helper').checked, $('sim-trust').checked];
}

function simReset() {
  if (state.sim) state.sim.free();
  state.sim = new ftp.SimWorld(...simConfig());
  renderSim();
}

const EVENT_ICON = { action: '•', command: '→', reply: '←', rewrite: '✎', listen: '◎', connect: '⇢', connect_failed: '✕', data: '≋', closed: '■' };

function renderSim() {
  const s = state.sim.state();
  $('sim-events').replaceChildren(...s.events.map((e) => {
    const li = el('li', { class: `ev ${e.kind}`, 'data-kind': e.kind },
      el('span', { class: 'ev-i', 'aria-hidden': 'true' }, EVENT_ICON[e.kind] ?? '•'));
    const body = el('div', { class: 'ev-b' });
    if (e.from || e.to) body.append(el('span', { class: 'ev-ends' }, `${e.from ?? ''}${e.from && e.to ? ' → ' : ''}${e.to ?? ''}`));
    if (e.kind === 'rewrite') {
      body.append(el('div', {}, 'NAT helper: ', el('code', {}, ...marked(e.text, e.span_utf16, 'tuple old'))));
      body.append(el('div', {}, 'becomes ', el('code', {}, e.after)));
    } else if (e.kind === 'command' || e.kind === 'reply') {
      body.append(el('code', { class: 'raw' }, e.text));
    } else {
      body.append(el('span', {}, e.text));
    }
    li.append(body);
    return li;
  }));
  const last = $('sim-events').lastElementChild;
  if (last) last.scrollIntoView({ block: 'nearest' });
  $('sim-transcript').textContent = s.transcript;
  const box = $('sim-diagrams');
  const fails = s.events.filter((e) => e.kind === 'connect_failed');
  const figs = s.timeline.connections.map((dc) => connectionFigure(dc, 'Live connection '));
  for (const f of fails) figs.push(el('p', { class: 'fail-box' }, `✕ ${f.text}`));
  if (!figs.length) figs.push(el('p', { class: 'help' }, 'No data connection yet.'));
  box.replaceChildren(...figs);
  const got = s.received.map((r) => `${r.command}: ${r.bytes} bytes`).join(', ');
  $('sim-status').textContent = `${s.steps} step${s.steps === 1 ? '' : 's'}${s.done ? ' — session over' : ''}${got ? ` — received ${got}` : ''}`;
  $('sim-status').dataset.done = s.done;
  $('sim-status').dataset.received = s.received.length;
  $('sim-back').disabled = s.steps === 0;
  $('sim-step').disabled = s.done;
  $('sim-run').disabled = s.done;
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring.

const EXAMPLES = {
  'ex-port': 'PORT 192,168,150,80,14,178',
  'ex-227': '227 Entering Passive Mode (192,168,150,90,195,149).',
  'ex-epsv': '229 Entering Extended Passive Mode (|||50069|)',
  'ex-eprt': 'EPRT |1|192.168.150.80|3762|',
  'ex-bad': 'PORT 192,168,150,80,256,178',
};

async function main() {
  const t0 = performance.now();
  await init();
  $('loading').remove();
  document.body.classList.add('ready');
  $('seed-active').addEventListener('click', () => setInput(ftp.seedActive()));
  $('seed-passive').addEventListener('click', () => setInput(ftp.seedPassive()));
  for (const [id, line] of Object.entries(EXAMPLES)) $(id).addEventListener('click', () => setInput(line));
  let timer;
  $('input').addEventListener('input', () => {
    state.fromFile = null;
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  $('file').addEventListener('change', async (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    state.bytes = new Uint8Array(await f.arrayBuffer());
    state.fromFile = f.name;
    // Shown lossily; decoded from the bytes.
    $('input').value = new TextDecoder('utf-8').decode(state.bytes);
    update({ writeUrl: false });
  });
  for (const id of ['ctx-client', 'ctx-server', 'nat-public']) $(id).addEventListener('change', () => update({ writeUrl: false }));
  for (const id of ['other-mode', 'nat-helper']) $(id).addEventListener('change', () => update({ writeUrl: false }));
  for (const r of document.querySelectorAll('input[name=fw-side], input[name=fw-mode], input[name=nat-side]')) {
    r.addEventListener('change', () => update({ writeUrl: false }));
  }
  for (const b of document.querySelectorAll('button.copy')) {
    b.addEventListener('click', async () => {
      const text = $(b.dataset.copy).textContent;
      try {
        await navigator.clipboard.writeText(text);
        b.textContent = 'Copied';
      } catch {
        const r = document.createRange();
        r.selectNodeContents($(b.dataset.copy));
        getSelection().removeAllRanges();
        getSelection().addRange(r);
        b.textContent = 'Selected';
      }
      setTimeout(() => { b.textContent = 'Copy'; }, 1500);
    });
  }
  narrow.addEventListener('change', () => { update({ writeUrl: false }); if (state.sim) renderSim(); });
  window.addEventListener('hashchange', () => {
    const t = readFragment();
    if (t !== null && t !== $('input').value) setInput(t);
  });
  // The live session.
  for (const id of ['sim-mode', 'sim-nat', 'sim-helper', 'sim-trust']) $(id).addEventListener('change', simReset);
  $('sim-step').addEventListener('click', () => { state.sim.step(); renderSim(); });
  $('sim-back').addEventListener('click', () => { state.sim.back(); renderSim(); });
  $('sim-run').addEventListener('click', () => { state.sim.run(); renderSim(); });
  $('sim-reset').addEventListener('click', simReset);
  $('sim-open').addEventListener('click', () => {
    setInput(state.sim.state().transcript);
    $('input-section').scrollIntoView();
    $('input').focus();
  });

  const start = readFragment();
  setInput(start ?? ftp.seedActive());
  simReset();
  const ms = performance.now() - t0;
  document.body.dataset.firstRenderMs = ms.toFixed(1);
  window.ftpkitReady = { firstRenderMs: ms, version: ftp.version() };
}

main().catch((e) => {
  const p = $('loading') ?? document.body.appendChild(el('p'));
  p.textContent = `The ftpkit module failed to load: ${e.message ?? e}`;
  p.classList.add('bad');
});
