// The viewer page's script, inlined by page.ts: selects a step (keys, clicks, the address's #step-N
// or #itf-N) and shows it. Everything it shows was computed when the page was generated; the script
// only picks it out, so a page cannot disagree with `virtuos replay`.
(() => {
  const data = JSON.parse(document.getElementById('data').textContent);
  const steps = data.steps;
  const last = steps.length - 1;
  // the initial state itself did not reproduce: there is nothing to step through
  if (last < 0) return;
  const $ = (id) => document.getElementById(id);
  const rows = new Map([...document.querySelectorAll('.lanes-body .row')].map((g) => [Number(g.dataset.step), g]));
  const heads = [...document.querySelectorAll('.lane-head')];
  const msgs = [...document.querySelectorAll('.lanes-body .msg')];
  const picture = document.querySelector('#picture .scroll');
  const headHeight = document.querySelector('.lanes-head').getBoundingClientRect().height;

  // vertically only: scrollIntoView would also jump sideways to the start of the (wide) row
  function reveal(row) {
    const r = row.getBoundingClientRect();
    const box = picture.getBoundingClientRect();
    if (r.top < box.top + headHeight) picture.scrollTop -= box.top + headHeight - r.top;
    else if (r.bottom > box.bottom) picture.scrollTop += r.bottom - box.bottom + 16;
  }

  // control states and decoded states are stored as changes on the step before; rebuilt on demand
  const pcs = [];
  const pcsAt = (n) => {
    for (let i = pcs.length; i <= n; i++) {
      const now = i === 0 ? data.lanes.map(() => '') : pcs[i - 1].slice();
      for (const [k, pc] of steps[i].pcs) now[k] = pc;
      pcs.push(now);
    }
    return pcs[n];
  };
  const states = [];
  const stateAt = (n) => {
    for (let i = states.length; i <= n; i++) {
      const s = i === 0 ? structuredClone(data.state0) : structuredClone(states[i - 1]);
      for (const [path, ...value] of steps[i].patches) {
        if (path.length === 0) throw new Error('a patch replaces the whole state');
        let at = s;
        for (const k of path.slice(0, -1)) at = at[k];
        if (value.length) at[path[path.length - 1]] = value[0];
        else delete at[path[path.length - 1]];
      }
      states.push(s);
    }
    return states[n];
  };
  const itf = (v) =>
    typeof v === 'number' ? { '#bigint': String(v) }
    : Array.isArray(v) ? v.map(itf)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, itf(x)]))
    : v;

  // as the trace file lays a state out: whatever fits in a line stays on one
  const layout = (v, indent = '') => {
    const flat = JSON.stringify(v);
    if (typeof v !== 'object' || v === null || flat.length + indent.length <= 100) return flat;
    const inner = `${indent}  `;
    const items = Array.isArray(v) ? v.map((x) => inner + layout(x, inner)) : Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${layout(x, inner)}`);
    return `${Array.isArray(v) ? '[' : '{'}\n${items.join(',\n')}\n${indent}${Array.isArray(v) ? ']' : '}'}`;
  };
  const text = (tag, content, cls) => {
    const e = document.createElement(tag);
    e.textContent = content;
    if (cls) e.className = cls;
    return e;
  };
  const laneName = (i) => data.lanes[i].name;
  let current = -1;

  function showItf(n) {
    $('itf-title').textContent = `ITF state ${n} (states[${n}])`;
    if ($('itf').open) $('itf-json').textContent = layout({ '#meta': { index: n }, ...itf(stateAt(n)) });
  }

  function select(n) {
    n = Math.max(0, Math.min(last, n));
    const s = steps[n];
    if (rows.get(current)) rows.get(current).classList.remove('selected');
    current = n;
    const row = rows.get(n);
    row.classList.add('selected');
    reveal(row.querySelector('.bg'));
    document.body.dataset.step = String(n);
    heads.forEach((h, i) => h.classList.toggle('acting', i === s.lane));
    msgs.forEach((m) => m.classList.toggle('near', Number(m.dataset.from) === n || Number(m.dataset.to) === n));

    $('step-title').textContent = n === 0 ? `initial state (of ${last})` : `step ${n} of ${last}`;
    $('step-label').textContent = n === 0 ? 'The state before the first step.' : s.label;
    const meta = $('step-meta');
    meta.replaceChildren();
    if (n > 0) meta.append(`${laneName(s.lane)} (${data.lanes[s.lane].machine}) takes ${s.event}${s.phase === 'drain' ? ', in the drain' : ''}. `);
    const link = text('a', `ITF state ${n}`);
    link.href = `#itf-${n}`;
    meta.append(link);

    const v = $('step-violation');
    v.hidden = n !== data.verdictStep;
    if (!v.hidden) v.replaceChildren(...document.getElementById('verdict').cloneNode(true).childNodes);

    $('changes').replaceChildren(...(s.changes.length ? s.changes.map((c) => text('li', c)) : [text('li', n === 0 ? 'nothing yet' : 'nothing shown changed', 'none')]));
    const said = data.messages.flatMap(([from, to, words]) =>
      to === n ? [text('li', `reads ${words.join(', ')} written by ${laneName(steps[from].lane)} at step ${from}`)]
      : from === n ? [text('li', `${laneName(steps[to].lane)} reads ${words.join(', ')} from here at step ${to}`)]
      : [],
    );
    $('messages').replaceChildren(...(said.length ? said : [text('li', 'none', 'none')]));

    const objects = $('objects');
    objects.innerHTML = s.objects.map((i) => data.drawings[i]).join('');
    const changed = new Set(s.changed);
    for (const e of objects.querySelectorAll('[data-path]')) e.classList.toggle('changed', changed.has(e.dataset.path));

    const now = pcsAt(n);
    const moved = new Set(s.pcs.map(([k]) => k));
    const table = $('actors');
    table.replaceChildren(text('tr', ''));
    table.firstChild.append(text('th', 'actor'), text('th', 'machine'), text('th', 'control state'));
    data.lanes.forEach((l, i) => {
      const tr = document.createElement('tr');
      tr.dataset.lane = l.name;
      if (i === s.lane) tr.className = 'acting';
      tr.append(text('th', l.name), text('td', l.machine), text('td', now[i], n > 0 && moved.has(i) ? 'changed' : ''));
      table.append(tr);
    });
    showItf(n);
    history.replaceState(null, '', `#step-${n}`);
  }

  function fromHash() {
    const m = /^#(step|itf)-(\d+)$/.exec(location.hash);
    if (!m) return false;
    select(Number(m[2]));
    if (m[1] === 'itf') {
      $('itf').open = true;
      showItf(current);
      $('itf').scrollIntoView();
    }
    return true;
  }

  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const to = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: last }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select(to);
  });
  rows.forEach((g, n) => g.addEventListener('click', (e) => {
    if (!e.target.closest('a')) select(n);
  }));
  $('first').onclick = () => select(0);
  $('prev').onclick = () => select(current - 1);
  $('next').onclick = () => select(current + 1);
  $('last').onclick = () => select(last);
  $('itf').addEventListener('toggle', () => showItf(current));
  window.addEventListener('hashchange', fromHash);
  if (!fromHash()) select(data.verdictStep >= 0 ? data.verdictStep : 0);
})();
