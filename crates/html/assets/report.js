// segscope report.html: draws every view from the JSON islands embedded in this file.
// No network access, no innerHTML with data: every string from a capture becomes a text node.
(function () {
  'use strict';

  // ---------------------------------------------------------------- problems (shown in the footer)
  const problems = [];
  window.addEventListener('error', (e) => problems.push('error: ' + (e.message || e.type)));
  window.addEventListener('securitypolicyviolation', (e) =>
    problems.push('content security policy: ' + e.violatedDirective + ' ' + (e.blockedURI || '')));

  // ---------------------------------------------------------------- DOM helpers
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // Appends nodes, strings (as text) and arrays of them; skips null, undefined and false.
  function append(node, ...children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, ...child);
      else node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
  }

  // el('div', {class: 'x', title: 't', on: {click: f}, data: {k: v}}, children...)
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    setProps(node, props);
    append(node, children);
    return node;
  }

  function svg(tag, props, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setProps(node, props);
    append(node, children);
    return node;
  }

  function setProps(node, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'on') for (const [ev, f] of Object.entries(v)) node.addEventListener(ev, f);
      else if (k === 'data') for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = dv;
      else if (k === 'style') for (const [sk, sv] of Object.entries(v)) node.style[sk] = sv;
      else if (k === 'text') node.textContent = v;
      else if (k === 'checked' || k === 'value' || k === 'selected') node[k] = v;
      else node.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
    }
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  const byId = (id) => document.getElementById(id);

  function island(id) {
    const node = byId(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) {
      problems.push('cannot read the embedded ' + id + ' document: ' + e.message);
      return null;
    }
  }

  // ---------------------------------------------------------------- formatting
  const nf = new Intl.NumberFormat('en-US');
  const fmtInt = (n) => (n === null || n === undefined ? '—' : nf.format(n));
  function fmtBytes(b) {
    if (b === null || b === undefined) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0; let v = b;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)) + ' ' + units[i];
  }
  const fmtPct = (v) => (v === null || v === undefined ? '—' : (100 * v).toFixed(v < 0.1 && v > 0 ? 1 : 0) + ' %');
  function fmtNum(v) {
    if (v === null || v === undefined) return '—';
    if (Number.isInteger(v)) return fmtInt(v);
    return Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
  }
  function fmtTs(t) {
    if (!t) return '—';
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(String(t));
    return m ? m[1] + ' ' + m[2] + (m[3] || '') + ' UTC' : String(t);
  }
  function fmtDuration(s) {
    if (s === null || s === undefined) return '—';
    if (s < 120) return s.toFixed(1) + ' s';
    if (s < 7200) return (s / 60).toFixed(1) + ' min';
    if (s < 172800) return (s / 3600).toFixed(1) + ' h';
    return (s / 86400).toFixed(1) + ' days';
  }
  const basename = (p) => String(p || '').split(/[\\/]/).pop();
  const titleCase = (s) => String(s || '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const plural = (n, one, many) => fmtInt(n) + ' ' + (n === 1 ? one : (many || one + 's'));

  // ---------------------------------------------------------------- vocabulary
  // Authentication classes in report order; `rank` orders them weakest first, so a line that
  // bundles several edges takes the colour of the weakest.
  const AUTH = [
    ['mtls', 'mTLS', '#1a9850', 9],
    ['tls_server_only', 'TLS, server only', '#91cf60', 5],
    ['tls_client_auth_unknown', 'TLS, client auth unknown', '#4eb3d3', 6],
    ['ssh', 'SSH', '#2166ac', 8],
    ['kerberos', 'Kerberos', '#762a83', 7],
    ['ntlm', 'NTLM', '#e08214', 3],
    ['encrypted_other', 'Encrypted, other', '#80cdc1', 4],
    ['cleartext_credentials', 'Cleartext credentials', '#d7191c', 0],
    ['cleartext_unauthenticated', 'Cleartext, unauthenticated', '#f46d43', 1],
    ['not_applicable', 'Not applicable (infrastructure)', '#b8b8b8', 10],
    ['unknown', 'Unknown / opaque', '#6f6f6f', 2],
  ].map(([id, label, color, rank]) => ({ id, label, color, rank }));
  const AUTH_BY_ID = Object.fromEntries(AUTH.map((a) => [a.id, a]));
  const authOf = (id) => AUTH_BY_ID[id] || { id, label: titleCase(id), color: '#999', rank: 2 };

  const STATUS = [
    ['service', 'Services (answered)', true],
    ['attempts_only', 'Attempts only (unanswered, refused)', false],
    ['reply_path', 'Reply paths (direction guessed)', false],
    ['group', 'Multicast / broadcast', false],
  ].map(([id, label, shown]) => ({ id, label, shown }));

  const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  const sevRank = (s) => (s in SEVERITY_RANK ? SEVERITY_RANK[s] : 5);
  const chip = (text, cls) => el('span', { class: 'chip ' + (cls || '') }, text);
  const sevChip = (s) => chip(s, s);

  const ROLE_COLOR = {
    workstation: '#9ecae1', client: '#9ecae1', server: '#6a8caf', web_app: '#5d9cc9',
    database: '#e6a04e', file_server: '#c49a6c', domain_controller: '#8c6bb1', dns_server: '#7fa7a0',
    infrastructure: '#9a9a9a', management: '#66a61e', scanner: '#e7298a', external: '#e3b9a0',
  };
  const roleColor = (r) => ROLE_COLOR[r] || '#cfd6dd';

  const STAGES = ['traditional', 'initial', 'advanced', 'optimal'];
  const STAGE_COLOR = { traditional: '#e07a5f', initial: '#f2c14e', advanced: '#7fb069', optimal: '#2a7fba' };

  // ---------------------------------------------------------------- documents
  const META = island('segscope-meta') || {};
  const A = island('segscope-analysis');
  const SCORE = island('segscope-score');
  const ZONES = island('segscope-zones');
  const POLICY = island('segscope-policy');
  const AUDIT = island('segscope-audit');
  const PROJECTED = island('segscope-projected');

  const wkey = (k) => (k ? k.ip + (k.vlan !== null && k.vlan !== undefined ? '%vlan' + k.vlan : '') : '');
  const ekey = (k) => wkey(k.client) + '>' + wkey(k.server) + ' ' + k.transport + '/' + k.port;
  const serviceLabel = (k) => k.transport + '/' + k.port;

  // Indexes over the analysis.
  const W = (A && A.workloads) || [];
  const E = (A && A.edges) || [];
  const F = (A && A.findings) || [];
  const wIndex = new Map(W.map((w, i) => [wkey(w.key), i]));
  const eIndex = new Map(E.map((e, i) => [ekey(e.key), i]));
  // Client and server workload of each edge (-1 when the analysis does not list it).
  const eClient = E.map((e) => { const i = wIndex.get(wkey(e.key.client)); return i === undefined ? -1 : i; });
  const eServer = E.map((e) => { const i = wIndex.get(wkey(e.key.server)); return i === undefined ? -1 : i; });
  // Weaknesses of an edge: `weaknesses` and `weak_evidence` are lists of [weakness, value]
  // pairs (a weakness is an object, which JSON cannot use as a key).
  function edgeWeaknesses(e) {
    const evidence = new Map((e.weak_evidence || []).map(([w, flows]) => [JSON.stringify(w), flows]));
    return (e.weaknesses || []).map(([w, flows]) => ({ weakness: w, flows, evidence: evidence.get(JSON.stringify(w)) || [] }));
  }
  const findingsByEdge = new Map();
  const findingsByWorkload = new Map();
  for (const f of F) {
    for (const k of f.edges || []) {
      const i = eIndex.get(ekey(k));
      if (i === undefined) continue;
      if (!findingsByEdge.has(i)) findingsByEdge.set(i, []);
      findingsByEdge.get(i).push(f);
    }
    for (const k of f.workloads || []) {
      const i = wIndex.get(wkey(k));
      if (i === undefined) continue;
      if (!findingsByWorkload.has(i)) findingsByWorkload.set(i, []);
      findingsByWorkload.get(i).push(f);
    }
  }
  function workloadName(k) {
    const i = wIndex.get(wkey(k));
    return i === undefined ? wkey(k) : W[i].display_name;
  }
  function workloadLabel(k) {
    const name = workloadName(k);
    const key = wkey(k);
    return name === key || name === k.ip ? key : name + ' (' + key + ')';
  }
  const metric = (id) => ((A && A.metrics) || []).find((m) => m.id === id);

  // Proposed zone of each workload, when a zone proposal or a policy is embedded.
  function ipv4(s) {
    const p = String(s).split('.');
    if (p.length !== 4) return null;
    let v = 0;
    for (const x of p) { const n = Number(x); if (!Number.isInteger(n) || n < 0 || n > 255) return null; v = v * 256 + n; }
    return v;
  }
  function inCidr(ip, cidr) {
    const [net, len] = String(cidr).split('/');
    const a = ipv4(ip); const b = ipv4(net); const l = Number(len);
    if (a === null || b === null || !(l >= 0 && l <= 32)) return ip === net;
    const size = Math.pow(2, 32 - l);
    return Math.floor(a / size) === Math.floor(b / size);
  }
  const zoneOf = (function () {
    const exact = new Map();
    const nets = [];
    const source = (ZONES && Array.isArray(ZONES.zones) && ZONES.zones.some((z) => Array.isArray(z.hosts))) ? 'zones'
      : (POLICY && Array.isArray(POLICY.zones)) ? 'policy' : null;
    if (source === 'zones') {
      for (const z of ZONES.zones) {
        for (const h of z.hosts || []) exact.set(String(h.ip), z.name);
        for (const s of z.subnets || []) nets.push([s, z.name]);
      }
    } else if (source === 'policy') {
      for (const z of POLICY.zones) {
        for (const m of z.members || []) {
          if (m.ip) exact.set(String(m.ip), z.name);
          else if (m.cidr) nets.push([m.cidr, z.name]);
        }
      }
    }
    if (!source) return null;
    nets.sort((x, y) => Number(String(y[0]).split('/')[1]) - Number(String(x[0]).split('/')[1]));
    return (w) => {
      const ip = String(w.key.ip);
      if (exact.has(ip)) return exact.get(ip);
      const hit = nets.find(([n]) => inCidr(ip, n));
      return hit ? hit[1] : '(no zone)';
    };
  })();

  // ---------------------------------------------------------------- shared widgets
  function kv(pairs) {
    const dl = el('dl', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      append(dl, [el('dt', null, k), el('dd', null, v)]);
    }
    return dl;
  }

  function authBar(dist, title) {
    const total = Object.values(dist || {}).reduce((a, b) => a + b, 0);
    const bar = el('div', { class: 'authbar', title: title || 'flows by authentication class' });
    if (!total) return bar;
    for (const a of AUTH) {
      const n = (dist || {})[a.id];
      if (!n) continue;
      append(bar, el('span', { title: a.label + ': ' + fmtInt(n) + ' (' + fmtPct(n / total) + ')',
        style: { width: (100 * n / total) + '%', background: a.color } }));
    }
    return bar;
  }

  function authList(dist) {
    return AUTH.filter((a) => (dist || {})[a.id]).map((a) =>
      el('span', { class: 'item' }, el('span', { class: 'swatch', style: { background: a.color } }),
        a.label + ' ' + fmtInt(dist[a.id]) + '  '));
  }

  // The pointer back to packets: Community ID, capture file and frame number.
  function evidenceTable(flows, extra) {
    if (!flows || flows.length === 0) return el('p', { class: 'muted' }, 'No evidence flows recorded.');
    const head = ['Community ID', 'File', 'Frame', 'First packet'];
    if (extra) head.unshift(extra.label);
    return el('table', { class: 'evidence' },
      el('thead', null, el('tr', null, head.map((h, i) => el('th', { class: h === 'Frame' ? 'num' : null }, h)))),
      el('tbody', null, flows.map((f) => el('tr', null,
        extra ? el('td', null, extra.value(f)) : null,
        el('td', { class: 'mono', title: 'flow id ' + (f.flow_id || '') }, f.community_id || '—'),
        el('td', { title: f.file || '' }, basename(f.file)),
        el('td', { class: 'num' }, fmtInt(f.first_frame)),
        el('td', null, fmtTs(f.ts))))));
  }

  // Any JSON value as nested tables: the fallback that keeps unknown fields visible.
  function generic(value, depth) {
    depth = depth || 0;
    if (value === null || value === undefined) return '—';
    if (typeof value !== 'object') return String(value);
    if (depth > 4) return el('code', null, JSON.stringify(value).slice(0, 300));
    if (Array.isArray(value)) {
      if (value.length === 0) return '—';
      if (value.every((v) => typeof v !== 'object' || v === null)) return value.join(', ');
      const shown = value.slice(0, 200);
      const list = el('ol', { class: 'generic' }, shown.map((v) => el('li', null, generic(v, depth + 1))));
      if (value.length > shown.length) append(list, el('li', { class: 'muted' }, (value.length - shown.length) + ' more'));
      return list;
    }
    return el('table', { class: 'generic' }, el('tbody', null, Object.entries(value).map(([k, v]) =>
      el('tr', null, el('td', null, k), el('td', null, generic(v, depth + 1))))));
  }

  // A sortable table with optional detail rows; `setRows` re-filters it.
  function dataTable(opts) {
    const table = el('table', { class: opts.class || '' });
    const thead = el('thead');
    const tbody = el('tbody');
    append(table, [thead, tbody]);
    let rows = opts.rows.slice();
    let sortCol = null; let sortDir = 1;
    let limit = opts.pageSize || 500;
    const more = el('button', { type: 'button', on: { click: () => { limit += opts.pageSize || 500; draw(); } } }, 'Show more');
    const headRow = el('tr');
    opts.columns.forEach((c, i) => {
      const th = el('th', { class: (c.num ? 'num ' : '') + (c.sort ? 'sortable' : ''), title: c.title || null }, c.label);
      if (c.sort) {
        th.addEventListener('click', () => {
          sortDir = sortCol === i ? -sortDir : 1; sortCol = i;
          headRow.querySelectorAll('th').forEach((h) => h.classList.remove('sorted-asc', 'sorted-desc'));
          th.classList.add(sortDir > 0 ? 'sorted-asc' : 'sorted-desc');
          draw();
        });
      }
      append(headRow, th);
    });
    append(thead, headRow);
    function draw() {
      clear(tbody);
      let list = rows;
      if (sortCol !== null) {
        const key = opts.columns[sortCol].sort;
        list = rows.slice().sort((a, b) => {
          const x = key(a); const y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
        });
      }
      for (const r of list.slice(0, limit)) {
        const tr = el('tr', { class: opts.detail ? 'clickable' : null },
          opts.columns.map((c) => el('td', { class: c.num ? 'num' : null }, c.render(r))));
        if (opts.rowData) setProps(tr, { data: opts.rowData(r) });
        append(tbody, tr);
        if (opts.detail) {
          tr.addEventListener('click', () => {
            const next = tr.nextSibling;
            if (next && next.classList && next.classList.contains('detail-row')) { next.remove(); return; }
            tr.after(el('tr', { class: 'detail-row' }, el('td', { colspan: opts.columns.length }, opts.detail(r))));
          });
        }
      }
      more.hidden = list.length <= limit;
      if (opts.onDraw) opts.onDraw(list.length);
    }
    draw();
    const wrap = el('div', null, table, more);
    return { el: wrap, table, setRows(r) { rows = r; limit = opts.pageSize || 500; draw(); }, count: () => tbody.querySelectorAll('tr:not(.detail-row)').length };
  }

  function section(id) {
    const s = byId(id);
    return s ? clear(s) : el('section');
  }
  function hide(id) { const s = byId(id); if (s) s.hidden = true; }

  // ---------------------------------------------------------------- header, nav, footer
  function renderHeader() {
    byId('page-title').textContent = META.title ? META.title : 'Network segmentation report';
    const c = A.coverage || {};
    byId('page-subtitle').textContent = [
      (c.vantage_points || []).map(basename).join(', '),
      c.first_ts ? fmtTs(c.first_ts) + ' → ' + fmtTs(c.last_ts) : null,
      c.duration_seconds !== undefined ? fmtDuration(c.duration_seconds) + ' of traffic' : null,
    ].filter(Boolean).join(' · ');
    const nav = clear(byId('page-nav'));
    for (const s of document.querySelectorAll('main > section')) {
      if (!s.hidden) append(nav, el('a', { href: '#' + s.id }, s.dataset.title || s.id));
    }
    const docs = ['analysis', SCORE && 'score', ZONES && 'zone proposal', POLICY && 'policy', AUDIT && 'audit', PROJECTED && 'projection'].filter(Boolean);
    const foot = clear(byId('page-foot'));
    append(foot, el('p', null, 'Generated by ' + (META.generator || 'segscope') + ' from ' + docs.join(', ') +
      '. Every document is embedded in this file as JSON (script elements with ids segscope-analysis, segscope-score, …). ' +
      'Observed means seen in the traffic; projected means recomputed as if the proposed policy were enforced, never evidence of enforcement; attested means declared in a questionnaire, not verified.'));
    if (problems.length) append(foot, el('p', { class: 'notice' }, 'Problems while drawing this report: ' + problems.join('; ')));
  }

  // ---------------------------------------------------------------- summary
  function renderSummary() {
    const s = section('summary');
    append(s, el('h2', null, 'Summary'));
    const c = A.coverage || {};
    const internal = W.filter((w) => w.scope === 'internal').length;
    const segments = (A.segments || []).filter((x) => x.internal).length;
    const services = E.filter((e) => e.status === 'service').length;
    const bySev = {};
    for (const f of F) bySev[f.severity] = (bySev[f.severity] || 0) + 1;
    const creds = F.filter((f) => f.kind === 'cleartext_credentials').length;
    const lateral = F.filter((f) => f.kind === 'lateral_movement').length;
    const blast = (A.blast_radius && A.blast_radius.workloads) || [];
    const worst = blast.slice().sort((a, b) => b.reachable_critical - a.reachable_critical || b.reachable - a.reachable)[0];

    const sentences = [];
    sentences.push('segscope saw ' + plural(W.length, 'workload') + ' (' + fmtInt(internal) + ' internal, in ' +
      plural(segments, 'internal segment') + ') using ' + plural(services, 'service edge') + ' over ' +
      fmtDuration(c.duration_seconds) + ' of traffic.');
    if (F.length) {
      const parts = Object.keys(bySev).sort((a, b) => sevRank(a) - sevRank(b)).map((k) => fmtInt(bySev[k]) + ' ' + k);
      sentences.push('It raised ' + plural(F.length, 'finding') + ' (' + parts.join(', ') + ').');
    } else {
      sentences.push('It raised no findings.');
    }
    if (creds) sentences.push(plural(creds, 'service') + ' received credentials in clear text: anyone on the path can reuse them.');
    if (lateral) sentences.push(plural(lateral, 'lateral-movement pattern') + ' between workloads that should not administer each other.');
    if (worst && worst.reachable > 0) {
      sentences.push('From the worst foothold, ' + workloadLabel(worst.workload) + ', an attacker could reach ' +
        plural(worst.reachable, 'workload') + (worst.reachable_critical ? ', ' + plural(worst.reachable_critical, 'critical asset') : '') +
        ' over admin protocols and unauthenticated services.');
    }
    if (SCORE && SCORE.rollup) {
      const r = SCORE.rollup;
      sentences.push('ZTMM Networks pillar, as its weakest assessed function: ' +
        (r.observed ? titleCase(r.observed) : 'not assessed') + (r.weakest && r.weakest.length ? ' (' + r.weakest.map(functionName).join(', ') + ')' : '') + '.');
    }
    append(s, el('p', { class: 'lead' }, sentences.join(' ')));

    const tiles = el('div', { class: 'tiles' });
    const tile = (label, value, hint, cls) => append(tiles, el('div', { class: 'tile ' + (cls || '') },
      el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), el('div', { class: 'hint' }, hint)));
    tile('Findings', fmtInt(F.length), ((bySev.critical || 0) + (bySev.high || 0)) + ' critical or high', (bySev.critical || bySev.high) ? 'bad' : 'good');
    const e1 = metric('E1');
    if (e1) tile('Encrypted east-west flows', fmtPct(e1.value), e1.not_computed || 'E1: ' + fmtNum(e1.numerator) + ' of ' + fmtNum(e1.denominator) + ' answered flows', e1.value !== null && e1.value < 0.5 ? 'bad' : '');
    const a2 = metric('A2');
    if (a2) tile('Unauthenticated east-west flows', fmtPct(a2.value), a2.not_computed || 'A2: no authentication at all', a2.value > 0 ? 'bad' : 'good');
    const s1 = metric('S1');
    if (s1) tile('Segment reachability', fmtPct(s1.value), s1.not_computed || 'S1: share of segment pairs that talk', s1.value > 0.5 ? 'bad' : '');
    const s4 = metric('S4');
    if (s4) tile('Default-deny evidence', fmtPct(s4.value), s4.not_computed || 'S4: segments whose traffic shows default deny', s4.value === 0 ? 'bad' : '');
    if (worst) tile('Worst blast radius', fmtInt(worst.reachable), 'workloads reachable from ' + workloadName(worst.workload), worst.reachable_critical ? 'bad' : '');
    if (SCORE && SCORE.rollup) tile('ZTMM Networks (weakest)', SCORE.rollup.observed ? titleCase(SCORE.rollup.observed) : 'not assessed', 'observed from traffic; ' + ((SCORE.rollup.excluded || []).length) + ' functions not assessable');
    append(s, tiles);

    const flows = {};
    for (const e of E) if (e.status === 'service') for (const [k, v] of Object.entries(e.auth || {})) flows[k] = (flows[k] || 0) + v;
    append(s, el('h3', null, 'How answered flows authenticate'));
    append(s, authBar(flows, 'answered flows by authentication class'));
    append(s, el('div', { class: 'legend' }, authList(flows)));

    if (F.length) {
      append(s, el('h3', null, 'Most severe findings'));
      append(s, el('ol', null, F.slice().sort((a, b) => sevRank(a.severity) - sevRank(b.severity)).slice(0, 5).map((f) =>
        el('li', null, sevChip(f.severity), ' ', el('a', { href: '#finding-' + f.id, on: { click: () => openFinding(f.id) } }, f.title)))));
    }
    if (SCORE && Array.isArray(SCORE.functions)) {
      const steps = [];
      for (const fn of SCORE.functions) for (const st of fn.next_steps || []) steps.push([fn, st]);
      steps.sort((x, y) => (x[1].rank || 99) - (y[1].rank || 99));
      if (steps.length) {
        append(s, el('h3', null, 'What to do next'));
        append(s, el('ol', null, steps.slice(0, 5).map(([fn, st]) =>
          el('li', null, st.action, ' ', el('span', { class: 'muted' }, '(' + fn.name + ', towards ' + titleCase(st.towards) + ')')))));
      }
    }
  }

  // ---------------------------------------------------------------- graph
  const graph = {
    groupBy: 'segment',
    hiddenGroups: new Set(),
    hiddenApps: new Set(),
    hiddenAuth: new Set(),
    shownStatus: new Set(STATUS.filter((s) => s.shown).map((s) => s.id)),
    infra: true,
    finding: '',
    collapsed: new Set(),
    selected: null,
    view: { x: 0, y: 0, k: 1 },
    layout: null,
    stats: {},
  };
  const COLLAPSE_ABOVE = 400;

  function groupOf(w) { return graph.groupBy === 'zone' && zoneOf ? zoneOf(w) : String(w.segment); }
  const collator = new Intl.Collator('en', { numeric: true });
  function groupOrder(id) {
    const g = graph.groupInfo.get(id);
    return (g && g.external ? '2' : id === 'multicast' ? '3' : '1') + id;
  }

  function buildGroups() {
    const info = new Map();
    const segs = new Map(((A.segments) || []).map((s) => [String(s.id), s]));
    graph.wGroup = W.map(groupOf);
    W.forEach((w, i) => {
      const g = graph.wGroup[i];
      if (!info.has(g)) info.set(g, { id: g, members: [], external: graph.groupBy === 'segment' ? !!(segs.get(g) && !segs.get(g).internal) : false });
      info.get(g).members.push(i);
    });
    for (const g of info.values()) {
      g.members.sort((a, b) => (W[a].role < W[b].role ? -1 : W[a].role > W[b].role ? 1 : 0) ||
        (W[a].display_name < W[b].display_name ? -1 : W[a].display_name > W[b].display_name ? 1 : 0));
    }
    graph.groupInfo = info;
    graph.groupIds = Array.from(info.keys()).sort((a, b) => collator.compare(groupOrder(a), groupOrder(b)));
    graph.collapsed = new Set(W.length > COLLAPSE_ABOVE ? graph.groupIds : []);
  }

  // Deterministic layout: each group is a disc with its workloads on a sunflower spiral
  // (even spacing for any count), discs packed in rows. Collapsed groups are small discs.
  function computeLayout() {
    const SPACING = 15; const PAD = 18; const GAP = 34; const LABEL = 20;
    const discs = graph.groupIds.filter((g) => !graph.hiddenGroups.has(g)).map((g) => {
      const info = graph.groupInfo.get(g);
      const n = info.members.length;
      const collapsed = graph.collapsed.has(g);
      const r = collapsed ? 22 + 5 * Math.log2(n + 1) : SPACING * Math.sqrt(n + 0.5) + PAD;
      const label = g + ' · ' + fmtInt(n);
      return { id: g, info, n, collapsed, r, label, w: Math.max(2 * r, 7 * label.length) };
    });
    const area = discs.reduce((a, d) => a + (d.w + GAP) * (2 * d.r + GAP + LABEL), 0);
    const maxW = discs.reduce((a, d) => Math.max(a, d.w), 0);
    const rowWidth = Math.max(maxW, Math.sqrt(area) * 1.5);
    let x = 0; let y = 0; let rowH = 0; let width = 0;
    const pos = new Map();
    const groupPos = new Map();
    for (const d of discs) {
      if (x > 0 && x + d.w > rowWidth) { x = 0; y += rowH + GAP; rowH = 0; }
      const cx = x + d.w / 2; const cy = y + LABEL + d.r;
      groupPos.set(d.id, { cx, cy, r: d.r, n: d.n, collapsed: d.collapsed, external: d.info.external, label: d.label });
      if (!d.collapsed) {
        d.info.members.forEach((wi, j) => {
          const rr = SPACING * Math.sqrt(j + 0.5); const th = j * 2.399963;
          pos.set(wi, { x: cx + rr * Math.cos(th), y: cy + rr * Math.sin(th) });
        });
      }
      x += d.w + GAP; width = Math.max(width, x - GAP); rowH = Math.max(rowH, 2 * d.r + LABEL);
    }
    graph.layout = { pos, groupPos, width, height: y + rowH };
  }

  function findingFilter() {
    const f = graph.finding;
    if (!f) return null;
    const set = new Set();
    for (const x of F) {
      if (f === 'any' || f === 'kind:' + x.kind || f === 'id:' + x.id) {
        for (const k of x.edges || []) { const i = eIndex.get(ekey(k)); if (i !== undefined) set.add(i); }
      }
    }
    return set;
  }

  function edgeVisible(e, i, fset) {
    if (!graph.shownStatus.has(e.status)) return false;
    if (!graph.infra && e.infrastructure) return false;
    if (graph.hiddenApps.has(e.app)) return false;
    if (graph.hiddenAuth.has(e.main_auth)) return false;
    if (fset && !fset.has(i)) return false;
    const c = eClient[i]; const s = eServer[i];
    if (c < 0 || s < 0) return false;
    return !graph.hiddenGroups.has(graph.wGroup[c]) && !graph.hiddenGroups.has(graph.wGroup[s]);
  }

  function edgeFiltersActive() {
    return graph.hiddenApps.size > 0 || graph.hiddenAuth.size > 0 || !!graph.finding || !graph.infra;
  }

  // Visible edges bundled into lines between drawn endpoints (a workload, or a collapsed group).
  function bundleLinks() {
    const fset = findingFilter();
    const links = new Map();
    const touched = new Set();
    let visibleEdges = 0;
    E.forEach((e, i) => {
      if (!edgeVisible(e, i, fset)) return;
      visibleEdges++;
      const c = eClient[i]; const s = eServer[i];
      touched.add(c); touched.add(s);
      const gc = graph.wGroup[c]; const gs = graph.wGroup[s];
      const a = graph.collapsed.has(gc) ? 'g:' + gc : 'w:' + c;
      const b = graph.collapsed.has(gs) ? 'g:' + gs : 'w:' + s;
      if (a === b) return;
      const id = a + '|' + b;
      let l = links.get(id);
      if (!l) { l = { id, a, b, edges: [], bytes: 0, flows: 0, rank: 99, auth: null, attempts: true }; links.set(id, l); }
      l.edges.push(i);
      l.bytes += (e.client_bytes || 0) + (e.server_bytes || 0);
      l.flows += e.flows || 0;
      const au = authOf(e.main_auth);
      if (au.rank < l.rank) { l.rank = au.rank; l.auth = au; }
      if (e.status === 'service') l.attempts = false;
    });
    return { links: Array.from(links.values()), touched, visibleEdges };
  }

  function endpointPos(id) {
    if (id.startsWith('g:')) { const g = graph.layout.groupPos.get(id.slice(2)); return g ? { x: g.cx, y: g.cy } : null; }
    return graph.layout.pos.get(Number(id.slice(2))) || null;
  }

  function drawGraph() {
    const t0 = performance.now();
    computeLayout();
    const { links, touched, visibleEdges } = bundleLinks();
    const box = byId('graph-canvas');
    clear(box);
    const root = svg('svg', { role: 'img', 'aria-label': 'communication graph' });
    const defs = svg('defs');
    for (const a of AUTH) {
      append(defs, svg('marker', { id: 'arrow-' + a.id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse', markerUnits: 'strokeWidth' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: a.color })));
    }
    append(root, defs);
    const g = svg('g', { class: 'viewport' });
    append(root, g);
    const gGroups = svg('g'); const gLinks = svg('g'); const gNodes = svg('g'); const gLabels = svg('g');
    append(g, [gGroups, gLinks, gNodes, gLabels]);
    const L = graph.layout;
    const dimming = edgeFiltersActive();
    let expandedNodes = 0; let dimmed = 0; let groupNodes = 0;

    for (const [id, gp] of L.groupPos) {
      if (gp.collapsed) {
        groupNodes++;
        append(gNodes, svg('circle', { class: 'group-node' + (gp.external ? ' external' : ''), cx: gp.cx, cy: gp.cy, r: gp.r, data: { group: id } },
          svg('title', null, id + ': ' + plural(gp.n, 'workload') + ' (click to expand)')));
        append(gLabels, svg('text', { class: 'group-label', x: gp.cx, y: gp.cy - gp.r - 6, 'text-anchor': 'middle' }, gp.label));
      } else {
        append(gGroups, svg('circle', { class: 'group-bg' + (gp.external ? ' external' : ''), cx: gp.cx, cy: gp.cy, r: gp.r, data: { group: id } },
          svg('title', null, id + ': ' + plural(gp.n, 'workload'))));
        append(gLabels, svg('text', { class: 'group-label', x: gp.cx, y: gp.cy - gp.r - 6, 'text-anchor': 'middle' }, gp.label));
      }
    }

    for (const l of links) {
      const p = endpointPos(l.a); const q = endpointPos(l.b);
      if (!p || !q) continue;
      const dx = q.x - p.x; const dy = q.y - p.y; const len = Math.hypot(dx, dy) || 1;
      const trim = l.b.startsWith('g:') ? (L.groupPos.get(l.b.slice(2)).r + 2) : 8;
      const ex = q.x - dx / len * trim; const ey = q.y - dy / len * trim;
      const mx = (p.x + ex) / 2 - dy * 0.12; const my = (p.y + ey) / 2 + dx * 0.12;
      const width = Math.min(9, 1 + 0.7 * Math.log10(1 + l.bytes));
      const cls = 'link' + (l.attempts ? ' attempts' : '') + (graph.selected && graph.selected.link === l.id ? ' selected' : '');
      append(gLinks, svg('path', { class: cls, d: 'M' + p.x.toFixed(1) + ',' + p.y.toFixed(1) + ' Q' + mx.toFixed(1) + ',' + my.toFixed(1) + ' ' + ex.toFixed(1) + ',' + ey.toFixed(1),
        stroke: l.auth.color, 'stroke-width': width.toFixed(2), 'marker-end': 'url(#arrow-' + l.auth.id + ')', data: { link: l.id } },
        svg('title', null, linkTitle(l))));
    }

    const labels = L.pos.size <= 3000;
    for (const [wi, p] of L.pos) {
      const w = W[wi];
      const dim = dimming && !touched.has(wi);
      if (dim) dimmed++;
      expandedNodes++;
      const cls = 'node' + (w.critical ? ' critical' : '') + (dim ? ' dim' : '') + (graph.selected && graph.selected.node === wi ? ' selected' : '');
      append(gNodes, svg('circle', { class: cls, cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: w.critical ? 6.5 : 5.5, fill: roleColor(w.role), data: { node: wi } },
        svg('title', null, w.display_name + ' — ' + wkey(w.key) + ' — ' + titleCase(w.role))));
      if (labels) append(gLabels, svg('text', { class: 'node-label', x: (p.x + 7).toFixed(1), y: (p.y + 3).toFixed(1) }, shortName(w.display_name)));
    }
    append(box, root);
    graph.svg = root; graph.viewport = g;
    applyView();
    graph.stats = { nodes: expandedNodes, dimmed, groupNodes, lines: links.length, visibleEdges, ms: performance.now() - t0 };
    graph.links = new Map(links.map((l) => [l.id, l]));
    byId('graph-status').textContent = fmtInt(expandedNodes) + ' workloads drawn' + (groupNodes ? ' and ' + plural(groupNodes, 'collapsed group') : '') +
      (dimmed ? ' (' + fmtInt(dimmed) + ' dimmed: no edge passes the filters)' : '') + ' · ' + fmtInt(visibleEdges) + ' of ' + fmtInt(E.length) +
      ' edges pass the filters, drawn as ' + plural(links.length, 'line') + '.';
  }

  const shortName = (s) => (s.length > 22 ? s.slice(0, 21) + '…' : s);
  function endpointName(id) {
    return id.startsWith('g:') ? id.slice(2) + ' (group)' : W[Number(id.slice(2))].display_name;
  }
  function linkTitle(l) {
    return endpointName(l.a) + ' → ' + endpointName(l.b) + ': ' + plural(l.edges.length, 'edge') + ', ' +
      plural(l.flows, 'flow') + ', ' + fmtBytes(l.bytes) + '; weakest: ' + l.auth.label;
  }

  function applyView() {
    const v = graph.view;
    if (!graph.viewport) return;
    graph.viewport.setAttribute('transform', 'translate(' + v.x.toFixed(2) + ',' + v.y.toFixed(2) + ') scale(' + v.k.toFixed(4) + ')');
    // Workload names only once they are large enough to read without overlapping.
    graph.svg.classList.toggle('small', v.k < 1.1);
  }

  function fitView() {
    const box = byId('graph-canvas');
    const L = graph.layout;
    const w = box.clientWidth || 900; const h = box.clientHeight || 700;
    const k = Math.min(w / (L.width + 60), h / (L.height + 60), 3);
    graph.view = { k, x: (w - L.width * k) / 2, y: (h - L.height * k) / 2 };
    applyView();
  }

  function wireGraphEvents() {
    const box = byId('graph-canvas');
    let drag = null;
    box.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = box.getBoundingClientRect();
      const px = ev.clientX - r.left; const py = ev.clientY - r.top;
      const v = graph.view;
      const k = Math.max(0.05, Math.min(20, v.k * Math.exp(-ev.deltaY * 0.0015)));
      graph.view = { k, x: px - (px - v.x) * k / v.k, y: py - (py - v.y) * k / v.k };
      applyView();
    }, { passive: false });
    box.addEventListener('pointerdown', (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, vx: graph.view.x, vy: graph.view.y, moved: false };
    });
    box.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x; const dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      if (graph.svg) graph.svg.classList.add('dragging');
      graph.view.x = drag.vx + dx; graph.view.y = drag.vy + dy;
      applyView();
    });
    const end = () => { if (graph.svg) graph.svg.classList.remove('dragging'); };
    box.addEventListener('pointerup', end);
    box.addEventListener('pointerleave', () => { drag = null; end(); });
    box.addEventListener('click', (ev) => {
      if (drag && drag.moved) { drag = null; return; }
      drag = null;
      const t = ev.target.closest('[data-node],[data-link],[data-group]');
      if (!t) return;
      if (t.dataset.node !== undefined) selectNode(Number(t.dataset.node));
      else if (t.dataset.link !== undefined) selectLink(t.dataset.link);
      else if (t.dataset.group !== undefined) selectGroup(t.dataset.group, t.classList.contains('group-node'));
    });
  }

  function redraw(keepView) {
    const v = graph.view;
    drawGraph();
    if (keepView) { graph.view = v; applyView(); } else fitView();
  }

  // Filters panel.
  function renderFilters() {
    const box = clear(byId('graph-filters'));
    const counts = (f) => { const m = new Map(); E.forEach((e) => m.set(f(e), (m.get(f(e)) || 0) + 1)); return m; };
    function checkboxes(name, title, items, hidden, note) {
      const fs = el('fieldset', { data: { filter: name } }, el('legend', null, title));
      if (note) append(fs, el('div', { class: 'muted' }, note));
      const setAll = (show) => {
        for (const it of items) { if (show) hidden.delete(it.id); else hidden.add(it.id); }
        fs.querySelectorAll('input').forEach((i) => { i.checked = show; });
        redraw(true);
      };
      append(fs, el('div', null,
        el('button', { type: 'button', data: { all: name }, on: { click: () => setAll(true) } }, 'all'), ' ',
        el('button', { type: 'button', data: { none: name }, on: { click: () => setAll(false) } }, 'none')));
      for (const it of items) {
        const input = el('input', { type: 'checkbox', value: it.id, checked: !hidden.has(it.id), data: { filter: name },
          on: { change: (ev) => { if (ev.target.checked) hidden.delete(it.id); else hidden.add(it.id); redraw(true); } } });
        append(fs, el('label', { class: 'opt', title: it.label }, input, ' ', it.swatch ? el('span', { class: 'swatch', style: { background: it.swatch } }) : null,
          it.label, ' ', el('span', { class: 'count' }, it.count !== undefined ? fmtInt(it.count) : '')));
      }
      return fs;
    }
    if (zoneOf) {
      append(box, el('fieldset', null, el('legend', null, 'Group by'),
        el('select', { data: { filter: 'group-by' }, on: { change: (ev) => { graph.groupBy = ev.target.value; graph.hiddenGroups.clear(); buildGroups(); renderFilters(); redraw(false); } } },
          el('option', { value: 'segment', selected: graph.groupBy === 'segment' }, 'observed segment'),
          el('option', { value: 'zone', selected: graph.groupBy === 'zone' }, 'proposed zone'))));
    }
    append(box, el('fieldset', null, el('legend', null, 'Finding'),
      el('select', { id: 'finding-filter', data: { filter: 'finding' }, on: { change: (ev) => { graph.finding = ev.target.value; redraw(true); } } },
        el('option', { value: '' }, 'all edges'),
        F.length ? el('option', { value: 'any' }, 'edges in any finding') : null,
        Array.from(new Set(F.map((f) => f.kind))).sort().map((k) => el('option', { value: 'kind:' + k }, titleCase(k))),
        F.map((f) => el('option', { value: 'id:' + f.id }, f.id + ' ' + shortName(f.title))))));
    const statusCounts = counts((e) => e.status);
    const st = el('fieldset', { data: { filter: 'status' } }, el('legend', null, 'Edge status'));
    for (const s of STATUS) {
      append(st, el('label', { class: 'opt', title: s.label }, el('input', { type: 'checkbox', value: s.id, checked: graph.shownStatus.has(s.id), data: { filter: 'status' },
        on: { change: (ev) => { if (ev.target.checked) graph.shownStatus.add(s.id); else graph.shownStatus.delete(s.id); redraw(true); } } }),
      ' ', s.label, ' ', el('span', { class: 'count' }, fmtInt(statusCounts.get(s.id) || 0))));
    }
    append(st, el('label', { class: 'opt' }, el('input', { type: 'checkbox', checked: graph.infra, data: { filter: 'infra' },
      on: { change: (ev) => { graph.infra = ev.target.checked; redraw(true); } } }), ' shared infrastructure (DNS, NTP, DCs)'));
    append(box, st);
    const authCounts = counts((e) => e.main_auth);
    append(box, checkboxes('auth', 'Authentication', AUTH.filter((a) => authCounts.has(a.id)).map((a) => ({ id: a.id, label: a.label, swatch: a.color, count: authCounts.get(a.id) })),
      graph.hiddenAuth, 'most common class of each edge'));
    const appCounts = counts((e) => e.app);
    append(box, checkboxes('app', 'Protocol', Array.from(appCounts.keys()).sort().map((a) => ({ id: a, label: a, count: appCounts.get(a) })), graph.hiddenApps));
    const groupItems = graph.groupIds.map((g) => ({ id: g, label: g, count: graph.groupInfo.get(g).members.length }));
    append(box, checkboxes('group', graph.groupBy === 'zone' ? 'Zone' : 'Segment', groupItems, graph.hiddenGroups, 'workloads per group'));
  }

  function renderToolbar() {
    const bar = clear(byId('graph-toolbar'));
    append(bar, [
      el('button', { type: 'button', on: { click: fitView } }, 'Fit'),
      el('button', { type: 'button', data: { action: 'expand-all' }, on: { click: () => { graph.collapsed.clear(); redraw(false); } } }, 'Expand all groups'),
      el('button', { type: 'button', data: { action: 'collapse-all' }, on: { click: () => { graph.collapsed = new Set(graph.groupIds); redraw(false); } } }, 'Collapse all groups'),
      el('input', { type: 'search', placeholder: 'find workload (name or address)', 'aria-label': 'find workload', on: { change: (ev) => findWorkload(ev.target.value) } }),
      el('span', { class: 'muted' }, 'Scroll to zoom, drag to pan, click a node, line or group.'),
    ]);
    const legend = clear(byId('graph-legend'));
    append(legend, el('div', null, el('strong', null, 'Lines: '), 'colour = authentication class of the edge (the weakest when a line bundles several edges), width = bytes, arrow = client → server, dashed = attempts only.'));
    append(legend, el('div', null, AUTH.map((a) => el('span', { class: 'item' }, el('span', { class: 'swatch', style: { background: a.color } }), a.label))));
    const roles = Array.from(new Set(W.map((w) => w.role))).sort();
    append(legend, el('div', null, el('strong', null, 'Nodes: '), roles.map((r) => el('span', { class: 'item' }, el('span', { class: 'swatch', style: { background: roleColor(r) } }), titleCase(r))),
      el('span', { class: 'item' }, 'red ring = critical asset')));
  }

  function findWorkload(q) {
    q = String(q || '').trim().toLowerCase();
    if (!q) return;
    const i = W.findIndex((w) => w.display_name.toLowerCase().includes(q) || wkey(w.key).toLowerCase().includes(q));
    if (i < 0) { byId('graph-status').textContent = 'No workload matches “' + q + '”.'; return; }
    const g = groupOf(W[i]);
    graph.hiddenGroups.delete(g);
    graph.collapsed.delete(g);
    selectNode(i);
  }

  // Details panel.
  function details(title, ...content) {
    const box = clear(byId('graph-details'));
    append(box, el('h3', null, title));
    append(box, content);
    return box;
  }

  function selectNode(i) {
    const g = groupOf(W[i]);
    const needsDraw = graph.collapsed.has(g) || graph.hiddenGroups.has(g);
    graph.collapsed.delete(g); graph.hiddenGroups.delete(g);
    graph.selected = { node: i };
    redraw(!needsDraw);
    renderNodeDetails(i);
  }

  function renderNodeDetails(i) {
    const w = W[i];
    const reach = ((A.blast_radius && A.blast_radius.workloads) || []).find((r) => wkey(r.workload) === wkey(w.key));
    const asClient = []; const asServer = [];
    E.forEach((e, j) => {
      if (eClient[j] === i) asClient.push(j);
      if (eServer[j] === i) asServer.push(j);
    });
    const segDefault = ((A.zones) || []).find((z) => String(z.segment) === String(w.segment));
    details(w.display_name,
      el('div', null, chip(titleCase(w.role), 'label'), ' ', w.critical ? chip('critical asset', 'critical') : null, ' ', w.address_reused ? chip('address reused', 'medium') : null),
      kv([
        ['Address', wkey(w.key)],
        ['Segment', String(w.segment) + ' (' + titleCase(w.segment_source) + ')'],
        zoneOf ? ['Proposed zone', zoneOf(w)] : ['', null],
        ['Role', titleCase(w.role) + ' — ' + w.role_source + ': ' + w.role_reason],
        ['Critical', w.critical ? w.critical.source + ': ' + w.critical.reason : null],
        ['Criticality', w.criticality],
        ['Admin path', w.admin_source],
        ['Scope', w.scope],
        ['Degree', 'serves ' + plural(w.in_degree, 'client') + ', uses ' + plural(w.out_degree, 'server')],
        ['Flows', fmtInt(w.flows_out) + ' as client, ' + fmtInt(w.flows_in) + ' as server'],
        ['Inventory', (w.inventory || []).join(', ')],
        ['Segment default deny', segDefault ? 'ingress ' + verdictText(segDefault.ingress) + ', egress ' + verdictText(segDefault.egress) : null],
      ]),
      (w.names && w.names.length) ? [el('h4', null, 'Names learned'), el('table', null, el('tbody', null, w.names.map((n) =>
        el('tr', null, el('td', null, n.name), el('td', null, titleCase(n.source)), el('td', { class: 'num' }, fmtInt(n.count)), el('td', null, fmtTs(n.first_seen))))))] : null,
      (w.host_windows && w.host_windows.length) ? [el('h4', null, 'Host names over time (address reused)'), generic(w.host_windows)] : null,
      (w.services && w.services.length) ? [el('h4', null, 'Services'), el('table', null,
        el('thead', null, el('tr', null, ['Service', 'Protocol', 'Clients', 'Flows', 'Authentication'].map((h) => el('th', null, h)))),
        el('tbody', null, w.services.map((s) => el('tr', null,
          el('td', null, s.transport + '/' + s.port, s.admin_service ? [' ', chip('admin', 'label')] : null, s.infrastructure ? [' ', chip('infra', 'label')] : null),
          el('td', null, s.app), el('td', { class: 'num' }, fmtInt(s.clients)), el('td', { class: 'num' }, fmtInt(s.flows)),
          el('td', null, authBar(s.auth))))))] : null,
      reach ? [el('h4', null, 'Blast radius'), el('p', null, 'Reaches ' + plural(reach.reachable, 'workload') + ', ' + plural(reach.reachable_critical, 'critical asset') +
        ' over admin and unauthenticated edges.'), pathsList(reach.paths)] : null,
      findingList(findingsByWorkload.get(i)),
      edgeList('Edges as client', asClient, (e) => workloadName(e.key.server)),
      edgeList('Edges as server', asServer, (e) => workloadName(e.key.client)));
  }

  function verdictText(v) { return v ? titleCase(v.verdict) + ' (' + fmtInt(v.denied) + ' of ' + fmtInt(v.attempts) + ' attempts denied)' : '—'; }

  function pathsList(paths) {
    if (!paths || !paths.length) return null;
    return el('ul', null, paths.map((p) => el('li', null, 'to ' + workloadLabel(p.target) + ': ',
      p.hops.map((h, j) => [j ? ' → ' : '', workloadName(h.client), ' —', h.via, '→ ', workloadName(h.server)]))));
  }

  function findingList(list) {
    if (!list || !list.length) return null;
    return [el('h4', null, 'Findings'), el('ul', null, list.map((f) => el('li', null, sevChip(f.severity), ' ',
      el('a', { href: '#finding-' + f.id, on: { click: () => openFinding(f.id) } }, f.title))))];
  }

  function edgeList(title, idx, peer, peerHeader) {
    if (!idx.length) return null;
    const shown = idx.slice(0, 200);
    return [el('h4', null, title + ' (' + fmtInt(idx.length) + ')'), el('table', null,
      el('thead', null, el('tr', null, [peerHeader || 'Peer', 'Service', 'Protocol', 'Authentication', 'Flows'].map((h) => el('th', null, h)))),
      el('tbody', null, shown.map((j) => {
        const e = E[j];
        return el('tr', { class: 'clickable', on: { click: () => renderEdgeDetails([j], null) } },
          el('td', null, peer(e)), el('td', null, serviceLabel(e.key)), el('td', null, e.app),
          el('td', null, el('span', { class: 'swatch', style: { background: authOf(e.main_auth).color } }), authOf(e.main_auth).label,
            e.status !== 'service' ? ' (' + titleCase(e.status) + ')' : ''),
          el('td', { class: 'num' }, fmtInt(e.flows)));
      }))),
    idx.length > shown.length ? el('p', { class: 'muted' }, (idx.length - shown.length) + ' more not listed') : null];
  }

  function selectLink(id) {
    const l = graph.links.get(id);
    if (!l) return;
    graph.selected = { link: id };
    graph.svg.querySelectorAll('.link.selected, .node.selected').forEach((n) => n.classList.remove('selected'));
    const path = graph.svg.querySelector('[data-link="' + CSS.escape(id) + '"]');
    if (path) path.classList.add('selected');
    renderEdgeDetails(l.edges, l);
  }

  function renderEdgeDetails(idx, link) {
    if (idx.length === 1) {
      const e = E[idx[0]];
      details(workloadName(e.key.client) + ' → ' + workloadName(e.key.server) + ' ' + serviceLabel(e.key), edgeCard(idx[0]));
      return;
    }
    details(endpointName(link.a) + ' → ' + endpointName(link.b),
      el('p', null, plural(idx.length, 'edge') + ', ' + plural(link.flows, 'flow') + ', ' + fmtBytes(link.bytes) + '. Click an edge for its evidence.'),
      edgeList('Edges', idx, (e) => workloadName(e.key.client) + ' → ' + workloadName(e.key.server), 'Client → server'),
      el('h4', null, 'Evidence flows (earliest 25)'),
      evidenceTable(idx.flatMap(edgeEvidence).sort(byTime).slice(0, 25), { label: 'Class', value: (f) => authOf(f.cls).label }));
  }

  const byTime = (a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  function edgeEvidence(j) {
    const rows = [];
    for (const [cls, flows] of Object.entries(E[j].evidence || {})) for (const f of flows) rows.push(Object.assign({ cls }, f));
    return rows;
  }

  function edgeCard(j) {
    const e = E[j];
    const sets = [['Users', e.users], ['Client identities', e.client_identities], ['Mechanisms', e.mechanisms], ['JA4', e.ja4], ['SMB paths', e.smb_paths]];
    const evidenceRows = edgeEvidence(j).sort(byTime);
    const weak = edgeWeaknesses(e);
    return el('div', { data: { edge: j } },
      el('div', null, chip(titleCase(e.status), 'label'), ' ', e.crosses_segment ? chip('crosses segment', 'label') : null, ' ',
        e.admin_service ? chip('admin: ' + e.admin_service, 'label') : null, ' ', e.infrastructure ? chip('infrastructure', 'label') : null),
      kv([
        ['Client', workloadLabel(e.key.client) + ' (' + e.client_segment + ')'],
        ['Server', workloadLabel(e.key.server) + ' (' + e.server_segment + ')'],
        ['Service', serviceLabel(e.key) + ' — ' + e.app],
        ['Authentication', [el('span', { class: 'swatch', style: { background: authOf(e.main_auth).color } }), authOf(e.main_auth).label, ' (most common)']],
        ['Flows', fmtInt(e.flows) + ' (' + fmtInt(e.established) + ' answered, ' + fmtInt(e.no_reply) + ' unanswered, ' + fmtInt(e.rejected) + ' refused, ' + fmtInt(e.admin_prohibited) + ' prohibited)'],
        ['Bytes', fmtBytes(e.client_bytes) + ' client → server, ' + fmtBytes(e.server_bytes) + ' back'],
        ['Seen', fmtTs(e.first_seen) + ' → ' + fmtTs(e.last_seen)],
        ['Infrastructure', e.infrastructure],
        ['Expected use', e.expected_service_use ? 'the server\'s own service' : null],
        ['Client hosts', (e.client_hosts || []).join(', ')],
        ['Server hosts', (e.server_hosts || []).join(', ')],
        ...sets.map(([k, v]) => [k, (v || []).join(', ')]),
        ['TLS indicators', Object.entries(e.tls_indicators || {}).map(([k, v]) => k + ': ' + v).join(', ')],
        ['Tunnels', Object.entries(e.tunnels || {}).map(([k, v]) => k + ': ' + v).join(', ')],
      ]),
      el('h4', null, 'Flows by authentication class'), authBar(e.auth), el('div', { class: 'legend' }, authList(e.auth)),
      weak.length ? [el('h4', null, 'Weaknesses'), el('ul', null, weak.map((r) => el('li', null, titleCase(r.weakness.kind) + (r.weakness.detail ? ' (' + r.weakness.detail + ')' : '') + ': ' + plural(r.flows, 'flow')))),
        evidenceTable(weak.flatMap((r) => r.evidence.map((f) => Object.assign({ cls: r.weakness.kind }, f))), { label: 'Weakness', value: (f) => titleCase(f.cls) })] : null,
      findingList(findingsByEdge.get(j)),
      el('h4', null, 'Evidence flows'),
      evidenceTable(evidenceRows, { label: 'Class', value: (f) => authOf(f.cls).label }),
      (e.failed_evidence && e.failed_evidence.length) ? [el('h4', null, 'Failed attempts'), evidenceTable(e.failed_evidence)] : null);
  }

  function selectGroup(id, collapsed) {
    const info = graph.groupInfo.get(id);
    const seg = ((A.segments) || []).find((s) => String(s.id) === id);
    const dd = ((A.zones) || []).find((z) => String(z.segment) === id);
    const toggle = el('button', { type: 'button', on: { click: () => {
      if (graph.collapsed.has(id)) graph.collapsed.delete(id); else graph.collapsed.add(id);
      redraw(false); selectGroup(id, graph.collapsed.has(id));
    } } }, collapsed ? 'Expand this group' : 'Collapse this group');
    const roles = {};
    for (const wi of info.members) roles[W[wi].role] = (roles[W[wi].role] || 0) + 1;
    details(id, toggle,
      kv([
        ['Workloads', fmtInt(info.members.length)],
        ['Roles', Object.entries(roles).map(([r, n]) => titleCase(r) + ' ' + n).join(', ')],
        ['Source', seg ? titleCase(seg.source) : (graph.groupBy === 'zone' ? 'proposed zone' : null)],
        ['Internal', seg ? (seg.internal ? 'yes' : 'no') : null],
        ['Critical assets', seg ? fmtInt(seg.critical_assets) : null],
        ['Admin sources', seg ? fmtInt(seg.admin_sources) : null],
        ['Traffic inside seen', seg ? (seg.intra_segment_visible ? 'yes' : 'no (a SPAN port may not see it)') : null],
        ['Ingress default deny', dd ? verdictText(dd.ingress) : null],
        ['Egress default deny', dd ? verdictText(dd.egress) : null],
      ]),
      el('h4', null, 'Members'),
      el('ul', null, info.members.slice(0, 300).map((wi) => el('li', null, el('a', { href: '#graph', on: { click: () => selectNode(wi) } }, W[wi].display_name), ' ', el('span', { class: 'muted' }, wkey(W[wi].key) + ' · ' + titleCase(W[wi].role))))),
      info.members.length > 300 ? el('p', { class: 'muted' }, (info.members.length - 300) + ' more') : null);
  }

  function renderGraph() {
    buildGroups();
    renderToolbar();
    renderFilters();
    wireGraphEvents();
    drawGraph();
    fitView();
    details('Details', el('p', { class: 'muted' }, 'Click a workload, a line or a group to see its services, authentication and the evidence flows (Community ID, capture file, frame number).'));
  }

  // ---------------------------------------------------------------- findings
  let findingsTable = null;
  function renderFindings() {
    const s = section('findings');
    append(s, el('h2', null, 'Findings'));
    if (!F.length) { append(s, el('p', null, 'No findings.')); return; }
    const sev = el('select', { id: 'findings-severity', 'aria-label': 'severity' }, el('option', { value: '' }, 'all severities'),
      Array.from(new Set(F.map((f) => f.severity))).sort((a, b) => sevRank(a) - sevRank(b)).map((x) => el('option', { value: x }, x)));
    const kind = el('select', { id: 'findings-kind', 'aria-label': 'kind' }, el('option', { value: '' }, 'all kinds'),
      Array.from(new Set(F.map((f) => f.kind))).sort().map((x) => el('option', { value: x }, titleCase(x))));
    const text = el('input', { type: 'search', id: 'findings-search', placeholder: 'search title, workload, id', 'aria-label': 'search findings' });
    const count = el('span', { class: 'muted' });
    append(s, el('div', { class: 'controls' }, el('label', null, 'Filter '), sev, kind, text, count));
    findingsTable = dataTable({
      rows: F,
      rowData: (f) => ({ finding: f.id }),
      columns: [
        { label: 'Severity', sort: (f) => sevRank(f.severity), render: (f) => sevChip(f.severity) },
        { label: 'Kind', sort: (f) => f.kind, render: (f) => titleCase(f.kind) },
        { label: 'Finding', sort: (f) => f.title, render: (f) => el('span', { id: 'finding-' + f.id }, f.title) },
        { label: 'Workloads', sort: (f) => (f.workloads || []).length, render: (f) => (f.workloads || []).slice(0, 3).map(workloadName).join(', ') + ((f.workloads || []).length > 3 ? ' +' + ((f.workloads.length - 3)) : '') },
        { label: 'Evidence', num: true, sort: (f) => (f.evidence || []).length, render: (f) => fmtInt((f.evidence || []).length) },
        { label: 'Id', sort: (f) => f.id, render: (f) => el('code', null, f.id) },
      ],
      detail: (f) => el('div', null,
        el('p', null, f.explanation),
        el('p', null, el('strong', null, 'What to do: '), f.remediation),
        kv([['Rule', f.rule], ['Basis', f.basis], ['Segments', (f.segments || []).join(', ')],
          ['Workloads', (f.workloads || []).map(workloadLabel).join(', ')],
          ['Edges', (f.edges || []).slice(0, 20).map((k) => workloadName(k.client) + ' → ' + workloadName(k.server) + ' ' + serviceLabel(k)).join('; ') + ((f.edges || []).length > 20 ? '; …' : '')]]),
        el('button', { type: 'button', on: { click: (ev) => { ev.stopPropagation(); showFindingInGraph(f.id); } } }, 'Show in graph'),
        el('h4', null, 'Evidence flows'), evidenceTable(f.evidence)),
      onDraw: (n) => { count.textContent = fmtInt(n) + ' of ' + fmtInt(F.length) + ' findings'; },
    });
    const apply = () => {
      const q = text.value.trim().toLowerCase();
      findingsTable.setRows(F.filter((f) => (!sev.value || f.severity === sev.value) && (!kind.value || f.kind === kind.value) &&
        (!q || (f.title + ' ' + f.id + ' ' + (f.workloads || []).map(workloadLabel).join(' ')).toLowerCase().includes(q))));
    };
    [sev, kind].forEach((x) => x.addEventListener('change', apply));
    text.addEventListener('input', apply);
    append(s, findingsTable.el);
    append(s, el('div', { id: 'findings-print', class: 'print-only' }));
  }

  // Printing: an assessor attaches the page to a report, so everything folded on screen is
  // printed — every <details> opens, and each finding is written out with its evidence.
  function preparePrint() {
    document.querySelectorAll('details:not([open])').forEach((d) => { d.open = true; d.dataset.printOpened = '1'; });
    const box = byId('findings-print');
    if (!box || box.firstChild) return;
    append(box, el('h3', null, 'Findings in full'));
    for (const f of F) {
      append(box, el('div', { class: 'print-finding' },
        el('h4', null, sevChip(f.severity), ' ', f.title, ' ', el('code', null, f.id)),
        el('p', null, f.explanation), el('p', null, el('strong', null, 'What to do: '), f.remediation),
        evidenceTable(f.evidence)));
    }
  }
  function afterPrint() {
    document.querySelectorAll('details[data-print-opened]').forEach((d) => { d.open = false; delete d.dataset.printOpened; });
  }

  function openFinding(id) {
    const row = document.querySelector('#findings tr[data-finding="' + CSS.escape(id) + '"]');
    if (row && !(row.nextSibling && row.nextSibling.classList && row.nextSibling.classList.contains('detail-row'))) row.click();
  }

  function showFindingInGraph(id) {
    graph.finding = 'id:' + id;
    const sel = byId('finding-filter');
    if (sel) sel.value = graph.finding;
    const f = F.find((x) => x.id === id);
    for (const k of (f && f.workloads) || []) { const i = wIndex.get(wkey(k)); if (i !== undefined) { graph.collapsed.delete(groupOf(W[i])); graph.hiddenGroups.delete(groupOf(W[i])); } }
    redraw(false);
    byId('graph').scrollIntoView();
  }

  // ---------------------------------------------------------------- maturity (score.json)
  function functionName(id) {
    const f = SCORE && Array.isArray(SCORE.functions) ? SCORE.functions.find((x) => x.id === id) : null;
    return f ? f.name : titleCase(id);
  }
  const stageOf = (fn) => (fn.assessment && fn.assessment.stage) || null;

  function renderMaturity() {
    const s = section('maturity');
    if (!SCORE) { hide('maturity'); return; }
    append(s, el('h2', null, 'Zero Trust maturity — Networks pillar'));
    if (!Array.isArray(SCORE.functions)) { append(s, generic(SCORE)); return; }
    if (SCORE.model) append(s, el('p', { class: 'muted' }, SCORE.model + (SCORE.rubric ? ' · rubric ' + SCORE.rubric : '')));
    if (SCORE.method) append(s, el('p', null, SCORE.method));
    const projected = new Map(((SCORE.projection && SCORE.projection.functions) || []).map((p) => [p.function, p]));
    append(s, stageChart(SCORE.functions, projected));
    if (SCORE.rollup) {
      const r = SCORE.rollup;
      append(s, el('p', null, el('strong', null, 'Pillar (weakest assessed function): '), r.observed ? titleCase(r.observed) : 'not assessed',
        r.with_attested ? ' · with attested answers: ' + titleCase(r.with_attested) : '', '. ', el('span', { class: 'muted' }, r.method || ''),
        (r.excluded && r.excluded.length) ? el('div', { class: 'muted' }, 'Excluded: ' + r.excluded.map((x) => functionName(x.function) + ' (' + x.reason + ')').join('; ')) : null));
    }
    for (const fn of SCORE.functions) append(s, functionCard(fn, projected.get(fn.id)));
    if (Array.isArray(SCORE.authentication) && SCORE.authentication.length) {
      append(s, el('h3', null, 'Entity authentication (reported alongside, not part of the Networks stages)'));
      append(s, metricUseTable(SCORE.authentication));
    }
    if (SCORE.projection) {
      const p = SCORE.projection;
      append(s, el('h3', null, 'If the proposed policy were enforced ', chip('projected', 'projected')));
      append(s, el('p', null, 'The policy would block ' + plural(p.edges_blocked || 0, 'edge') + ' (' + plural(p.flows_blocked || 0, 'flow') + '). Projected stages are not evidence and are never the score.'));
      append(s, el('table', null, el('thead', null, el('tr', null, ['Function', 'Observed', 'Projected', 'Note'].map((h) => el('th', null, h)))),
        el('tbody', null, (p.functions || []).map((x) => el('tr', null, el('td', null, functionName(x.function)), el('td', null, titleCase(x.observed || '—')),
          el('td', null, titleCase(x.projected || '—')), el('td', null, x.note || ''))))));
    }
    if (SCORE.crosswalk && Array.isArray(SCORE.crosswalk.rows)) {
      append(s, el('details', null, el('summary', null, 'DoD Zero Trust crosswalk ', chip('mapping', 'label')),
        el('p', { class: 'muted' }, SCORE.crosswalk.note || ''),
        el('table', null, el('thead', null, el('tr', null, ['Function', 'Stage', 'DoD capabilities', 'NSA'].map((h) => el('th', null, h)))),
          el('tbody', null, SCORE.crosswalk.rows.map((r) => el('tr', null, el('td', null, functionName(r.function)), el('td', null, titleCase(r.stage || '—')),
            el('td', null, (r.dod || []).join('; ')), el('td', null, (r.nsa || []).join('; '))))))));
    }
  }

  function stageChart(functions, projected) {
    const rowH = 30; const left = 290; const colW = 110; const top = 26;
    const h = top + functions.length * rowH + 10;
    const width = left + 4 * colW + 260;
    const chart = svg('svg', { class: 'stage-chart', viewBox: '0 0 ' + width + ' ' + h, width, height: h, role: 'img', 'aria-label': 'stage per function' });
    STAGES.forEach((st, j) => append(chart, svg('text', { x: left + j * colW + colW / 2, y: 16, 'text-anchor': 'middle', 'font-weight': 700 }, titleCase(st))));
    functions.forEach((fn, i) => {
      const y = top + i * rowH;
      append(chart, svg('text', { x: 0, y: y + 19 }, fn.name));
      for (let j = 0; j < 4; j++) append(chart, svg('rect', { x: left + j * colW + 1, y: y + 4, width: colW - 2, height: rowH - 8, fill: '#eef1f4' }));
      const st = stageOf(fn);
      const status = (fn.assessment && fn.assessment.status) || '';
      if (st) {
        const n = STAGES.indexOf(st) + 1;
        append(chart, svg('rect', { x: left + 1, y: y + 4, width: n * colW - 2, height: rowH - 8, fill: STAGE_COLOR[st], opacity: status === 'attested' ? 0.55 : 1, data: { stage: st } },
          svg('title', null, fn.name + ': ' + titleCase(st) + ' (' + status + ', confidence ' + (fn.confidence || '—') + ')')));
        append(chart, svg('text', { x: left + 4 * colW + 10, y: y + 19 }, status + (fn.confidence ? ', ' + fn.confidence + ' confidence' : '')));
      } else {
        append(chart, svg('text', { x: left + 8, y: y + 19, fill: '#5b6673' }, 'not assessable from traffic'));
      }
      const p = projected.get(fn.id);
      if (p && p.projected) {
        const n = STAGES.indexOf(p.projected) + 1;
        append(chart, svg('rect', { x: left + 1, y: y + 2, width: n * colW - 2, height: rowH - 4, fill: 'none', stroke: '#7a4bc2', 'stroke-width': 2, 'stroke-dasharray': '5 3', data: { projected: p.projected } },
          svg('title', null, 'projected if the proposed policy were enforced: ' + titleCase(p.projected))));
      }
    });
    const wrap = el('div', null, chart, el('div', { class: 'legend' },
      STAGES.map((st) => el('span', { class: 'item' }, el('span', { class: 'swatch', style: { background: STAGE_COLOR[st] } }), titleCase(st))),
      el('span', { class: 'item' }, 'faded = attested (not verified)'), el('span', { class: 'item' }, 'dashed purple outline = projected under the proposed policy')));
    return wrap;
  }

  function metricUseTable(list) {
    return el('table', null, el('thead', null, el('tr', null, ['Metric', 'Value', 'Thresholds', 'Evidence'].map((h) => el('th', null, h)))),
      el('tbody', null, list.map((m) => el('tr', null,
        el('td', { title: m.definition || '' }, el('strong', null, m.id), ' ', m.name || ''),
        el('td', null, m.value !== null && m.value !== undefined ? fmtNum(m.value) + (m.denominator ? ' (' + fmtNum(m.numerator) + ' / ' + fmtNum(m.denominator) + ')' : '') : (m.not_computed || '—'),
          m.source && m.source !== 'analysis' ? [' ', chip(m.source, m.source === 'projected' ? 'projected' : 'label')] : null),
        el('td', null, (m.thresholds || []).join('; ')),
        el('td', { class: 'num' }, fmtInt((m.evidence || []).length))))));
  }

  function functionCard(fn, projected) {
    const a = fn.assessment || {};
    const st = stageOf(fn);
    const card = el('div', { class: 'fn-card', data: { function: fn.id } });
    append(card, el('h3', null, fn.name, ' ', st ? chip(titleCase(st), a.status === 'attested' ? 'attested' : 'observed') : chip('not assessable from traffic', 'label'), ' ',
      st && a.status ? chip(a.status, 'label') : null, ' ', fn.confidence ? chip('confidence ' + fn.confidence, 'label') : null,
      projected && projected.projected ? [' ', chip('projected ' + projected.projected, 'projected')] : null));
    if (fn.ztmm_ref) append(card, el('div', { class: 'muted' }, fn.ztmm_ref));
    if (!st && a.reason) append(card, el('p', null, el('strong', null, 'Why no stage: '), a.reason, el('br'), el('strong', null, 'What would settle it: '), a.question || '—'));
    if (a.status === 'attested' && a.observed) append(card, el('p', null, 'Traffic showed ' + titleCase(a.observed) + '; the stage comes from an attestation.'));
    if (fn.reached) append(card, el('div', null, el('h4', null, 'ZTMM text of ' + titleCase(fn.reached.stage)), el('p', { class: 'quote' }, fn.reached.text)));
    if (fn.next) append(card, el('div', null, el('h4', null, 'Next stage: ' + titleCase(fn.next.stage)), el('p', { class: 'quote' }, fn.next.text)));
    if (fn.reasons && fn.reasons.length) append(card, el('h4', null, 'Why'), el('ul', null, fn.reasons.map((r) => el('li', null, r))));
    if (fn.next_steps && fn.next_steps.length) {
      const step = (n) => el('li', { value: n.rank || null }, n.action, ' ',
        el('span', { class: 'muted' }, '(towards ' + titleCase(n.towards) + (n.completes_stage ? ', completes the stage' : '') + (n.finding ? ', finding ' + n.finding : '') + (n.policy_rule ? ', rule ' + n.policy_rule : '') + ')'),
        n.severity ? [' ', sevChip(n.severity)] : null);
      const FIRST = 5;
      append(card, el('h4', null, 'Next steps, most effective first'), el('ol', null, fn.next_steps.slice(0, FIRST).map(step)));
      if (fn.next_steps.length > FIRST) {
        append(card, el('details', null, el('summary', null, (fn.next_steps.length - FIRST) + ' more steps'), el('ol', { start: FIRST + 1 }, fn.next_steps.slice(FIRST).map(step))));
      }
    }
    const more = el('details', null, el('summary', null, 'Metrics, conditions, caps and evidence'));
    if (fn.metrics && fn.metrics.length) append(more, el('h4', null, 'Metrics'), metricUseTable(fn.metrics));
    if (fn.conditions && fn.conditions.length) {
      append(more, el('h4', null, 'Conditions'), el('table', null, el('thead', null, el('tr', null, ['Stage', 'Condition', 'Metric', 'Value', 'Test', 'Outcome'].map((h) => el('th', null, h)))),
        el('tbody', null, fn.conditions.map((c) => el('tr', null, el('td', null, titleCase(c.stage)), el('td', null, c.says, c.note ? el('div', { class: 'muted' }, c.note) : null),
          el('td', null, c.metric), el('td', null, fmtNum(c.value)), el('td', null, c.op + ' ' + c.threshold), el('td', null, c.outcome))))));
    }
    if (fn.caps && fn.caps.length) append(more, el('h4', null, 'Caps'), el('ul', null, fn.caps.map((c) => el('li', null, el('code', null, c.id), ' ', c.description))));
    if (fn.confidence_reasons && fn.confidence_reasons.length) append(more, el('h4', null, 'Confidence'), el('ul', null, fn.confidence_reasons.map((r) => el('li', null, r))));
    if (fn.indicators && fn.indicators.length) {
      append(more, el('h4', null, 'Traffic indicators (presence is not maturity)'), el('table', null, el('tbody', null, fn.indicators.map((x) =>
        el('tr', null, el('td', null, x.name), el('td', { class: 'num' }, plural(x.edges, 'edge')), el('td', { class: 'num' }, plural(x.flows, 'flow')), el('td', { class: 'num' }, plural(x.servers, 'server')))))));
    }
    if (fn.attestation) append(more, el('h4', null, 'Attestation'), generic(fn.attestation));
    append(more, el('h4', null, 'Evidence flows'), evidenceTable(fn.evidence));
    append(card, more);
    return card;
  }

  // ---------------------------------------------------------------- zones and rules
  function renderZones() {
    const s = section('zones');
    append(s, el('h2', null, 'Segments, zones and rules'));
    const dd = new Map(((A.zones) || []).map((z) => [String(z.segment), z]));
    append(s, el('h3', null, 'Observed segments and default-deny evidence'));
    append(s, dataTable({
      rows: A.segments || [],
      columns: [
        { label: 'Segment', sort: (x) => String(x.id), render: (x) => String(x.id) },
        { label: 'Source', sort: (x) => x.source, render: (x) => titleCase(x.source) },
        { label: 'Workloads', num: true, sort: (x) => x.workloads, render: (x) => fmtInt(x.workloads) },
        { label: 'Roles', render: (x) => Object.entries(x.roles || {}).map(([r, n]) => titleCase(r) + ' ' + n).join(', ') },
        { label: 'Critical', num: true, sort: (x) => x.critical_assets, render: (x) => fmtInt(x.critical_assets) },
        { label: 'Ingress default deny', sort: (x) => (dd.get(String(x.id)) || {}).ingress ? dd.get(String(x.id)).ingress.verdict : '', render: (x) => dd.has(String(x.id)) ? verdictText(dd.get(String(x.id)).ingress) : '—' },
        { label: 'Egress default deny', render: (x) => dd.has(String(x.id)) ? verdictText(dd.get(String(x.id)).egress) : '—' },
      ],
      detail: (x) => el('div', null, generic(x), dd.has(String(x.id)) ? [el('h4', null, 'Default-deny evidence'), evidenceTable((dd.get(String(x.id)).ingress || {}).evidence)] : null),
    }).el);
    if ((A.segment_pairs || []).length) {
      append(s, el('h3', null, 'Segment pairs that talk'));
      append(s, dataTable({
        rows: A.segment_pairs,
        columns: [
          { label: 'From', sort: (x) => String(x.from), render: (x) => String(x.from) },
          { label: 'To', sort: (x) => String(x.to), render: (x) => String(x.to) },
          { label: 'Edges', num: true, sort: (x) => x.edges, render: (x) => fmtInt(x.edges) },
          { label: 'Flows', num: true, sort: (x) => x.flows, render: (x) => fmtInt(x.flows) },
          { label: 'Bytes', num: true, sort: (x) => x.bytes, render: (x) => fmtBytes(x.bytes) },
          { label: 'Services', render: (x) => (x.ports || []).join(', ') },
          { label: 'Admin', render: (x) => (x.admin_services || []).join(', ') },
        ],
        detail: (x) => evidenceTable(x.evidence),
      }).el);
    }
    if (ZONES) {
      append(s, el('h3', null, 'Proposed zones'));
      if (Array.isArray(ZONES.zones)) {
        append(s, dataTable({
          rows: ZONES.zones,
          rowData: (z) => ({ zone: z.name }),
          columns: [
            { label: 'Zone', sort: (z) => z.name, render: (z) => z.name },
            { label: 'Source', sort: (z) => z.source || '', render: (z) => titleCase(z.source || '') },
            { label: 'Hosts', num: true, sort: (z) => (z.hosts || []).length, render: (z) => fmtInt((z.hosts || []).length) },
            { label: 'Subnets', render: (z) => (z.subnets || []).join(', ') },
            { label: 'Description', render: (z) => z.description || '' },
          ],
          detail: (z) => el('table', null, el('thead', null, el('tr', null, ['Host', 'Name', 'Role', 'Why here'].map((h) => el('th', null, h)))),
            el('tbody', null, (z.hosts || []).map((h) => el('tr', null, el('td', null, String(h.ip)), el('td', null, h.name || ''), el('td', null, titleCase(h.role || '')), el('td', null, h.reason || ''))))),
        }).el);
        if (ZONES.agreement) append(s, el('details', null, el('summary', null, 'Agreement with the inventory'), generic(ZONES.agreement)));
      } else append(s, generic(ZONES));
    }
    if (POLICY) {
      append(s, el('h3', null, 'Proposed policy' + (POLICY.name ? ': ' + POLICY.name : '')));
      if (POLICY.description) append(s, el('p', null, POLICY.description));
      append(s, kv([['Default action', POLICY.default_action || 'deny'], ['Zones', Array.isArray(POLICY.zones) ? fmtInt(POLICY.zones.length) : null],
        ['Rules', Array.isArray(POLICY.rules) ? fmtInt(POLICY.rules.length) : null], ['Generated', POLICY.generated ? (POLICY.generated.by || '') + ' from ' + (POLICY.generated.from || []).map(basename).join(', ') : null]]));
      if (Array.isArray(POLICY.rules)) {
        append(s, el('h4', null, 'Rules'));
        append(s, dataTable({
          rows: POLICY.rules,
          rowData: (r) => ({ rule: r.id }),
          columns: [
            { label: 'Rule', sort: (r) => r.id, render: (r) => el('code', null, r.id) },
            { label: 'Action', sort: (r) => r.action || 'allow', render: (r) => r.action || 'allow' },
            { label: 'From', sort: (r) => r.from, render: (r) => r.from },
            { label: 'To', sort: (r) => r.to, render: (r) => r.to },
            { label: 'Service', sort: (r) => String(r.service), render: (r) => typeof r.service === 'object' ? JSON.stringify(r.service) : String(r.service) },
            { label: 'Kind', sort: (r) => r.kind || '', render: (r) => titleCase(r.kind || '') + (r.infrastructure ? ' (' + r.infrastructure + ')' : '') },
            { label: 'Flows', num: true, sort: (r) => (r.evidence || {}).flows || 0, render: (r) => fmtInt((r.evidence || {}).flows) },
            { label: 'Edges', num: true, sort: (r) => (r.evidence || {}).edges || 0, render: (r) => fmtInt((r.evidence || {}).edges) },
          ],
          detail: (r) => el('div', null, r.comment ? el('p', null, r.comment) : null, r.evidence ? [kv([['Clients', fmtInt(r.evidence.clients)], ['Servers', fmtInt(r.evidence.servers)],
            ['Protocols', Object.entries(r.evidence.apps || {}).map(([k, v]) => k + ' ' + v).join(', ')], ['Seen', fmtTs(r.evidence.first_seen) + ' → ' + fmtTs(r.evidence.last_seen)]]),
          evidenceTable(r.evidence.example_flows)] : el('p', { class: 'muted' }, 'No observed traffic cited.')),
        }).el);
      }
      if (Array.isArray(POLICY.denied_by_design) && POLICY.denied_by_design.length) {
        append(s, el('h4', null, 'Observed traffic the policy blocks by design'));
        append(s, dataTable({
          rows: POLICY.denied_by_design,
          columns: [
            { label: 'Why', sort: (d) => d.reason, render: (d) => titleCase(d.reason) },
            { label: 'From', sort: (d) => d.from, render: (d) => d.from },
            { label: 'To', sort: (d) => d.to, render: (d) => d.to },
            { label: 'Flows', num: true, sort: (d) => d.flows, render: (d) => fmtInt(d.flows) },
            { label: 'Summary', render: (d) => d.summary },
            { label: 'Findings', render: (d) => (d.findings || []).join(', ') },
          ],
          detail: (d) => el('div', null, el('p', null, (d.edges || []).join('; ')), evidenceTable(d.example_flows)),
        }).el);
      }
      if (Array.isArray(POLICY.zones)) {
        append(s, el('details', null, el('summary', null, 'Policy zones and members'), el('ul', null, POLICY.zones.map((z) =>
          el('li', null, el('strong', null, z.name), z.external ? ' (external)' : '', ': ', (z.members || []).map((m) =>
            (m.ip || m.cidr || (m.labels ? JSON.stringify(m.labels) : '?')) + (m.name ? ' ' + m.name : '')).join(', '))))));
      } else append(s, generic(POLICY));
    }
  }

  // ---------------------------------------------------------------- audit
  function renderAudit() {
    const s = section('audit');
    if (!AUDIT) { hide('audit'); return; }
    append(s, el('h2', null, 'Audit: traffic replayed against ' + (AUDIT.policy ? 'policy ' + AUDIT.policy : 'the policy')));
    if (!Array.isArray(AUDIT.summary)) { append(s, generic(AUDIT)); return; }
    const tiles = el('div', { class: 'tiles' });
    append(tiles, el('div', { class: 'tile' }, el('div', { class: 'label' }, 'Flows judged'), el('div', { class: 'value' }, fmtInt(AUDIT.flows))));
    for (const [k, v] of Object.entries(AUDIT.by_verdict || {})) {
      append(tiles, el('div', { class: 'tile ' + (k.startsWith('blocked') ? 'bad' : '') }, el('div', { class: 'label' }, titleCase(k)), el('div', { class: 'value' }, fmtInt(v)),
        el('div', { class: 'hint' }, AUDIT.flows ? fmtPct(v / AUDIT.flows) : '')));
    }
    append(tiles, el('div', { class: 'tile ' + (AUDIT.enforced_blocked ? 'bad' : 'good') }, el('div', { class: 'label' }, 'Blocked inside enforcement scope'), el('div', { class: 'value' }, fmtInt(AUDIT.enforced_blocked))));
    append(s, tiles);
    append(s, el('h3', null, 'What the policy would do'));
    append(s, dataTable({
      rows: AUDIT.summary,
      rowData: (r) => ({ verdict: r.verdict }),
      columns: [
        { label: 'Verdict', sort: (r) => r.verdict, render: (r) => chip(titleCase(r.verdict), r.verdict.startsWith('blocked') ? 'high' : r.verdict === 'unmatched_zone' ? 'medium' : 'label') },
        { label: 'From', sort: (r) => r.from, render: (r) => r.from },
        { label: 'To', sort: (r) => r.to, render: (r) => r.to },
        { label: 'Service', sort: (r) => r.service, render: (r) => r.service },
        { label: 'Flows', num: true, sort: (r) => r.flows, render: (r) => fmtInt(r.flows) },
        { label: 'Bytes', num: true, sort: (r) => r.bytes, render: (r) => fmtBytes(r.bytes) },
        { label: 'Host pairs', num: true, sort: (r) => r.host_pairs, render: (r) => fmtInt(r.host_pairs) },
      ],
      detail: (r) => el('div', null, kv([['Seen', fmtTs(r.first_seen) + ' → ' + fmtTs(r.last_seen)], ['Enforced flows', fmtInt(r.enforced_flows)]]), evidenceTable(r.examples)),
    }).el);
    const hits = Object.entries(AUDIT.rule_hits || {});
    if (hits.length) {
      append(s, el('h3', null, 'Rule hits'));
      append(s, dataTable({
        rows: hits,
        columns: [
          { label: 'Rule', sort: (h) => h[0], render: (h) => el('code', null, h[0]) },
          { label: 'Flows', num: true, sort: (h) => h[1].flows, render: (h) => fmtInt(h[1].flows) },
          { label: 'Ports used', render: (h) => (h[1].ports || []).slice(0, 20).join(', ') },
        ],
        detail: (h) => evidenceTable(h[1].examples),
      }).el);
    }
    const lists = [['Unused rules (candidates for removal)', AUDIT.unused_rules], ['Rules broader than their traffic', AUDIT.broader_than_needed], ['Shadowed rules', AUDIT.shadowed_rules]];
    for (const [title, v] of lists) if (Array.isArray(v) && v.length) append(s, el('h4', null, title), generic(v));
    const zones = Object.entries(AUDIT.zones || {});
    if (zones.length) {
      append(s, el('h3', null, 'Impact per zone (for staged enforcement)'));
      append(s, el('table', null, el('thead', null, el('tr', null, ['Zone', 'Ingress blocked', 'Egress blocked', 'Inside blocked', 'Allowed'].map((h) => el('th', null, h)))),
        el('tbody', null, zones.map(([z, x]) => el('tr', null, el('td', null, z), el('td', { class: 'num' }, fmtInt(x.ingress_blocked)), el('td', { class: 'num' }, fmtInt(x.egress_blocked)),
          el('td', { class: 'num' }, fmtInt(x.intra_blocked)), el('td', { class: 'num' }, fmtInt(x.allowed)))))));
    }
  }

  // ---------------------------------------------------------------- blast radius, before and after
  function renderBlast() {
    const s = section('blast');
    const observed = A.blast_radius || {};
    const proj = PROJECTED ? (PROJECTED.blast_radius ? PROJECTED : PROJECTED.projected) : null;
    const after = proj && proj.blast_radius ? proj.blast_radius : null;
    append(s, el('h2', null, 'Blast radius', after ? ' — before and after the proposed policy' : ''));
    append(s, el('p', null, 'What an attacker holding one workload reaches by following ' + (observed.edge_rule || 'admin and unauthenticated edges') + ', hop after hop.'));
    const reach = (br) => new Map(((br && br.workloads) || []).map((r) => [wkey(r.workload), r]));
    const before = reach(observed); const later = reach(after);
    const maxOf = (m) => Math.max(0, ...Array.from(m.values()).map((r) => r.reachable));
    const tiles = el('div', { class: 'tiles' });
    const tile = (label, v, hint, cls) => append(tiles, el('div', { class: 'tile ' + (cls || '') }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, v), el('div', { class: 'hint' }, hint)));
    tile('Movement edges', fmtInt(observed.movement_edges), 'observed', observed.movement_edges ? 'bad' : 'good');
    tile('Workloads that reach others', fmtInt(before.size), 'observed');
    tile('Largest reach', fmtInt(maxOf(before)), 'workloads, observed');
    if (after) {
      tile('Movement edges', fmtInt(after.movement_edges), 'projected', 'good');
      tile('Largest reach', fmtInt(maxOf(later)), 'workloads, projected', 'good');
      if (proj.edges_blocked !== undefined) tile('Edges blocked', fmtInt(proj.edges_blocked), plural(proj.flows_blocked || 0, 'flow') + ', projected');
      const lateralBefore = F.filter((f) => f.kind === 'lateral_movement').length;
      if (Array.isArray(proj.findings)) tile('Lateral-movement findings', fmtInt(lateralBefore) + ' → ' + fmtInt(proj.findings.length), 'observed → projected');
    }
    append(s, tiles);
    if (after) append(s, el('p', null, chip('projected', 'projected'), ' The "after" figures are recomputed over the edges the policy allows. They show what enforcement would change, not that anything is enforced.'));
    const top = (observed.top_footholds || []).map(wkey);
    for (const k of before.keys()) if (top.length < 15 && !top.includes(k)) top.push(k);
    if (top.length) {
      const max = Math.max(1, maxOf(before), maxOf(later));
      append(s, el('h3', null, 'Worst footholds'));
      const bars = el('div', { class: 'bars' });
      for (const k of top.slice(0, 15)) {
        const r = before.get(k); if (!r) continue;
        const p = later.get(k);
        append(bars, [el('div', null, workloadLabel(r.workload)), el('div', null,
          el('div', { class: 'bar', title: 'observed: ' + r.reachable, style: { width: (100 * r.reachable / max) + '%' } }),
          el('span', { class: 'muted' }, 'observed ' + fmtInt(r.reachable) + (r.reachable_critical ? ' (' + r.reachable_critical + ' critical)' : '')),
          after ? [el('div', { class: 'bar projected', title: 'projected: ' + (p ? p.reachable : 0), style: { width: (100 * (p ? p.reachable : 0) / max) + '%' } }),
            el('span', { class: 'muted' }, 'projected ' + fmtInt(p ? p.reachable : 0))] : null)]);
      }
      append(s, bars);
      const withPaths = Array.from(before.values()).filter((r) => r.paths && r.paths.length).slice(0, 10);
      if (withPaths.length) {
        append(s, el('h3', null, 'Shortest paths to critical assets'));
        append(s, el('ul', null, withPaths.map((r) => el('li', null, el('strong', null, workloadName(r.workload)), pathsList(r.paths)))));
      }
    } else {
      append(s, el('p', null, 'No workload reaches another over admin or unauthenticated edges.'));
    }
    if (PROJECTED) {
      const changes = Array.isArray(PROJECTED.metrics) && PROJECTED.metrics.length && 'observed' in PROJECTED.metrics[0] ? PROJECTED.metrics
        : ((proj && proj.metrics) || []).map((m) => ({ id: m.id, name: m.name, observed: (metric(m.id) || {}).value, projected: m.value }));
      if (changes.length) {
        append(s, el('h3', null, 'Metrics before and after ', chip('projected', 'projected')));
        append(s, el('table', null, el('thead', null, el('tr', null, ['Metric', 'Observed', 'Projected'].map((h) => el('th', null, h)))),
          el('tbody', null, changes.map((m) => el('tr', null, el('td', null, el('strong', null, m.id), ' ', m.name || ''), el('td', { class: 'num' }, fmtNum(m.observed)), el('td', { class: 'num' }, fmtNum(m.projected)))))));
      }
    }
  }

  // ---------------------------------------------------------------- metrics and coverage
  function renderMetrics() {
    const s = section('metrics');
    append(s, el('h2', null, 'Metrics'));
    append(s, el('p', { class: 'muted' }, 'Each metric as implemented (ztmm-networks-rubric.md §3): value, numerator and denominator, exclusions, evidence. A metric without a value says why; nothing is defaulted.'));
    append(s, dataTable({
      rows: A.metrics || [],
      columns: [
        { label: 'Id', sort: (m) => m.id, render: (m) => el('strong', null, m.id) },
        { label: 'Metric', sort: (m) => m.name, render: (m) => m.name },
        { label: 'Value', num: true, sort: (m) => (m.value === null ? -1 : m.value), render: (m) => (m.value === null || m.value === undefined ? el('span', { class: 'muted' }, m.not_computed || '—') : fmtNum(m.value)) },
        { label: 'Numerator / denominator', num: true, render: (m) => (m.denominator !== undefined ? fmtNum(m.numerator) + ' / ' + fmtNum(m.denominator) : '') },
        { label: 'Evidence', num: true, sort: (m) => (m.evidence || []).length, render: (m) => fmtInt((m.evidence || []).length) },
      ],
      detail: (m) => el('div', null, el('p', null, m.definition), kv([
        ['Exclusions', (m.exclusions || []).join(', ')],
        ['Thresholds', (m.thresholds || []).map((t) => t.description + ': ' + t.value).join('; ')],
        ['Detail', Object.entries(m.detail || {}).map(([k, v]) => k + ' = ' + fmtNum(v)).join(', ')],
        ['Basis', m.basis]]), evidenceTable(m.evidence)),
    }).el);
  }

  function renderCoverage() {
    const s = section('coverage');
    const c = A.coverage || {};
    append(s, el('h2', null, 'What the capture covered'));
    append(s, kv([
      ['Captures', (c.vantage_points || []).join(', ')],
      ['First packet', fmtTs(c.first_ts)], ['Last packet', fmtTs(c.last_ts)], ['Duration', fmtDuration(c.duration_seconds)],
      ['Application bytes', fmtBytes(c.total_bytes)],
      ['Opaque (unrecognised)', fmtBytes(c.opaque_bytes) + ' in ' + plural(c.opaque_flows || 0, 'flow') + (c.opaque_bytes_share !== undefined && c.opaque_bytes_share !== null ? ' (' + fmtPct(c.opaque_bytes_share) + ' of bytes)' : '')],
      ['Active internal segments', fmtInt(c.active_segments)],
      ['Segments whose internal traffic was seen', (c.segments_with_intra_traffic || []).join(', ') || 'none: flatness inside segments cannot be judged from this capture'],
      ['Schema', A.schema],
    ]));
    if ((A.exclusions || []).length) {
      append(s, el('h3', null, 'Left out of some metrics'));
      append(s, el('table', null, el('thead', null, el('tr', null, ['Exclusion', 'Edges', 'Flows', 'Why', 'Break-down'].map((h) => el('th', null, h)))),
        el('tbody', null, A.exclusions.map((x) => el('tr', null, el('td', null, el('code', null, x.id)), el('td', { class: 'num' }, fmtInt(x.edges)), el('td', { class: 'num' }, fmtInt(x.flows)),
          el('td', null, x.description), el('td', null, Object.entries(x.items || {}).map(([k, v]) => k + ' ' + v).join(', ')))))));
    }
  }

  // ---------------------------------------------------------------- self-test (report.html#selftest)
  // Drives the page through its own controls and writes what it saw into #segscope-selftest,
  // so that a headless browser's DOM dump can be checked by a test.
  function selfTest() {
    const out = { workloads: W.length, edges: E.length, findings: F.length };
    const count = (sel) => document.querySelectorAll(sel).length;
    const click = (sel) => { const n = document.querySelector(sel); if (!n) throw new Error('self-test: no element ' + sel); n.click(); };
    out.default = { nodes: count('#graph-canvas .node'), groups: count('#graph-canvas .group-node'), lines: count('#graph-canvas .link'), edges: graph.stats.visibleEdges };
    click('[data-action="expand-all"]');
    out.expanded = { nodes: count('#graph-canvas .node'), groups: count('#graph-canvas .group-node'), lines: count('#graph-canvas .link'), ms: graph.stats.ms };
    click('#graph-filters button[data-none="auth"]');
    out.auth_none = { lines: count('#graph-canvas .link'), dimmed: count('#graph-canvas .node.dim') };
    click('#graph-filters input[data-filter="auth"][value="cleartext_credentials"]');
    out.auth_cleartext_credentials = { lines: count('#graph-canvas .link'), edges: graph.stats.visibleEdges, dimmed: count('#graph-canvas .node.dim'),
      colors: Array.from(new Set(Array.from(document.querySelectorAll('#graph-canvas .link')).map((n) => n.getAttribute('stroke')))) };
    click('#graph-filters button[data-all="auth"]');
    out.auth_all = { lines: count('#graph-canvas .link') };
    const firstGroup = graph.groupIds[0];
    click('#graph-filters input[data-filter="group"][value="' + CSS.escape(firstGroup) + '"]');
    out.group_hidden = { group: firstGroup, size: graph.groupInfo.get(firstGroup).members.length, nodes: count('#graph-canvas .node') };
    click('#graph-filters button[data-all="group"]');
    click('[data-action="collapse-all"]');
    out.collapsed = { nodes: count('#graph-canvas .node'), groups: count('#graph-canvas .group-node'), lines: count('#graph-canvas .link') };
    click('[data-action="expand-all"]');
    const node = document.querySelector('#graph-canvas .node');
    if (node) {
      node.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      out.node_details = byId('graph-details').querySelector('h3').textContent;
      out.node_clicked = W[Number(node.dataset.node)].display_name;
    }
    const link = document.querySelector('#graph-canvas .link');
    if (link) {
      link.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      out.link_evidence_rows = byId('graph-details').querySelectorAll('table.evidence tbody tr').length;
    }
    if (findingsTable) {
      out.findings_rows = findingsTable.count();
      const sev = byId('findings-severity');
      sev.value = 'critical'; sev.dispatchEvent(new Event('change'));
      out.findings_rows_critical = findingsTable.count();
      sev.value = ''; sev.dispatchEvent(new Event('change'));
    }
    if (byId('graph-filters').querySelector('select[data-filter="group-by"]')) {
      const by = byId('graph-filters').querySelector('select[data-filter="group-by"]');
      by.value = 'zone'; by.dispatchEvent(new Event('change'));
      click('[data-action="collapse-all"]');
      out.by_zone = { groups: count('#graph-canvas .group-node'), names: graph.groupIds.slice() };
      const again = byId('graph-filters').querySelector('select[data-filter="group-by"]');
      again.value = 'segment'; again.dispatchEvent(new Event('change'));
    }
    out.weak_edges = E.filter((e) => edgeWeaknesses(e).length > 0).length;
    out.maturity = { cards: count('#maturity .fn-card'), observed_bars: count('#maturity .stage-chart rect[data-stage]'), projected_marks: count('#maturity .stage-chart rect[data-projected]') };
    out.zones = { proposed_rows: count('#zones tr[data-zone]'), rule_rows: count('#zones tr[data-rule]') };
    out.audit = { summary_rows: count('#audit tr[data-verdict]') };
    out.blast = { observed_bars: count('#blast .bar:not(.projected)'), projected_bars: count('#blast .bar.projected') };
    out.sections = Array.from(document.querySelectorAll('main > section')).filter((x) => !x.hidden).map((x) => x.id);
    out.problems = problems.slice();
    byId('segscope-selftest').textContent = JSON.stringify(out);
  }

  // ---------------------------------------------------------------- start
  function start() {
    if (!A || !Array.isArray(A.workloads)) {
      append(byId('summary'), el('p', { class: 'notice' }, 'This report has no readable analysis document.'));
      return;
    }
    if (META.schema && META.schema !== 'segscope.report-html/1') problems.push('page schema ' + META.schema + ' is newer than this script');
    const steps = [renderSummary, renderGraph, renderMaturity, renderFindings, renderZones, renderAudit, renderBlast, renderMetrics, renderCoverage];
    for (const step of steps) {
      try { step(); } catch (e) { problems.push(step.name + ': ' + (e && e.message ? e.message : e)); }
    }
    renderHeader();
    window.addEventListener('beforeprint', preparePrint);
    window.addEventListener('afterprint', afterPrint);
    if (location.hash === '#selftest') {
      try { selfTest(); } catch (e) {
        problems.push('self-test: ' + e.message);
        byId('segscope-selftest').textContent = JSON.stringify({ problems });
      }
    }
  }
  start();
})();
