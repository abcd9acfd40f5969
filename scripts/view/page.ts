/**
 * The trace viewer page: one self-contained HTML file (its style, script and data inline, nothing
 * fetched, so it opens from disk) that shows a trace as a swimlane picture beside the shared objects
 * at the selected step.
 *
 * The page carries what the script needs to step through the trace without a second model: for each
 * step its label, what it changed, the drawn shared objects (each distinct drawing stored once, since
 * a step redraws one or two of them), the control state of every actor that moved, and the decoded
 * state as patches on the previous one, from which the script rebuilds the step's ITF state exactly
 * as the trace file stores it. The output depends only on the trace and the model: the same trace
 * gives the same bytes.
 */
import { readFileSync } from 'node:fs';
import { shownConfig } from '../../model/kit/config.ts';
import type { Plain } from '../../model/kit/view.ts';
import { programText } from '../../model/posix/program.ts';
import { drawLanes } from './lanes.ts';
import { drawObjects, esc } from './objects.ts';
import type { Story } from './story.ts';

const STYLE = readFileSync(new URL('./page.css', import.meta.url), 'utf8');
const SCRIPT = readFileSync(new URL('./page.js', import.meta.url), 'utf8');

/** Set `path` to a value, or delete it when the patch has no value. */
type Patch = [(string | number)[], Plain] | [(string | number)[]];

const isRecord = (v: Plain): v is { [k: string]: Plain } => typeof v === 'object' && !Array.isArray(v);

/** The patches that turn `a` into `b`; a record whose keys change is replaced whole, so its field order stays the model's. */
function diff(a: Plain, b: Plain, path: (string | number)[], out: Patch[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (isRecord(a) && isRecord(b) && JSON.stringify(Object.keys(a)) === JSON.stringify(Object.keys(b))) {
    for (const k of Object.keys(b)) diff(a[k], b[k], [...path, k], out);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    b.forEach((x, i) => diff(a[i], x, [...path, i], out));
  } else out.push([path, b]);
}

export interface PageOptions {
  /** how the page names the trace file, and the link to it (relative to the page) */
  shownFile: string;
  href: string;
}

export function renderPage(story: Story, opts: PageOptions): string {
  const { trace, steps, lanes, verdict, divergence } = story;
  const meta = trace.meta;
  const picture = drawLanes(story);

  const drawings: string[] = [];
  const index = new Map<string, number>();
  const intern = (html: string) => {
    let i = index.get(html);
    if (i === undefined) index.set(html, (i = drawings.push(html) - 1));
    return i;
  };
  const data = {
    lanes,
    verdictStep: verdict && !divergence ? verdict.step : -1,
    state0: steps[0]?.decoded ?? {},
    drawings,
    steps: steps.map((s, i) => {
      const patches: Patch[] = [];
      if (i > 0) diff(steps[i - 1].decoded, s.decoded, [], patches);
      const moved = s.pcs.flatMap((pc, k) => (i === 0 || steps[i - 1].pcs[k] !== pc ? [[k, pc]] : []));
      return { n: s.n, lane: s.lane, event: s.event, label: s.label, phase: s.phase, changes: s.changes, changed: s.changed, objects: drawObjects(s.decoded).map((d) => intern(d.html)), pcs: moved, patches };
    }),
    messages: story.messages.map((m) => [m.from, m.to, m.words]),
    divergence,
  };

  const v = meta.verdict;
  const px = meta.config.posix;
  const posix = px
    ? `<details class="config"><summary>posix layer: threads=${px.threads} forks=${px.forks} calls=${px.calls} descriptors=${px.descriptors} fileBytes=${px.fileBytes}${px.program ? ', and the program' : ''}</summary>` +
      `<pre>${esc(px.program ? programText(px.program, px.threads).join('\n') : '')}</pre></details>\n`
    : '';
  const config = Object.entries(shownConfig(meta.config)).filter(([k]) => k !== 'posix').map(([k, x]) => `${k}=${x}`).join(' ');
  const verdictBox = divergence
    ? `<div class="verdict diverged" id="verdict"><p><b>Replay diverges at step ${divergence.step}</b>: ${esc(divergence.why)}</p><p>The page shows the steps that reproduced. Recorded verdict: ${v.status === 'violated' ? esc(`${v.property} violated (${v.clause}) at step ${v.step}`) : 'all checked properties hold'}.</p></div>`
    : verdict
      ? `<div class="verdict violated" id="verdict"><p><b>✗ ${esc(verdict.property)}</b> (${esc(verdict.kind)}) is violated at <a href="#step-${verdict.step}">step ${verdict.step}</a>, clause <code>${esc(verdict.clause)}</code>: ${esc(verdict.message)}</p>` +
        `<p class="statement"><b>The property:</b> ${esc(verdict.statement)}</p><p class="statement"><b>The clause <code>${esc(verdict.clause)}</code>:</b> ${esc(verdict.clauseText)}</p><p>Replay reproduces this verdict.</p></div>`
      : '<div class="verdict holds" id="verdict"><p><b>✓ All checked properties hold</b> in this trace; replay reproduces that verdict.</p></div>';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(`${meta.variant}: ${verdict && !divergence ? `${verdict.property} violated at step ${verdict.step}` : divergence ? 'replay diverges' : 'holds'}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Trace <code>${esc(opts.shownFile)}</code></h1>
<p>variant <b>${esc(meta.variant)}</b>, seed ${meta.seed ?? '-'}, ${meta.steps.length} steps, checks: ${esc(meta.checked.join(', '))}; <a href="${esc(opts.href)}">the trace file</a></p>
<p class="config">config: ${esc(config)}</p>
${posix}${verdictBox}
<p class="help">Step with ← and → (Home, End for the first and the last), or click a row. A dot is the actor that moved; an arrow runs from a step that wrote a word to the first step of another actor that reads it. Words the selected step changed are highlighted.</p>
${story.hidden.length ? `<p class="help hidden-actors">${story.hidden.length} actors neither move nor change state in this trace and are not drawn: ${esc(story.hidden.join(', '))}.</p>` : ''}
</header>
<main>
<section id="picture"><div class="scroll">${picture.head}${picture.body}</div></section>
<aside id="panel">
<div class="nav"><button id="first" title="first step (Home)">⇤</button><button id="prev" title="previous step (←)">←</button><span id="step-title"></span><button id="next" title="next step (→)">→</button><button id="last" title="last step (End)">⇥</button></div>
<p id="step-label"></p>
<p id="step-meta"></p>
<div id="step-violation" class="verdict violated" hidden></div>
<h2>What it changed</h2><ul id="changes"></ul>
<h2>Messages</h2><ul id="messages"></ul>
<h2>Shared objects after this step</h2><div id="objects"></div>
<h2>Actors</h2><table id="actors" class="grid"></table>
<details id="itf"><summary id="itf-title">ITF state</summary><p>As <code>states[n]</code> of <a href="${esc(opts.href)}">${esc(opts.shownFile)}</a> holds it (replay found them equal).</p><pre id="itf-json"></pre></details>
</aside>
</main>
<script type="application/json" id="data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
