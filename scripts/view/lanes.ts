/**
 * The swimlane picture of a trace, as inline SVG: one lane per actor of the system, one row per step
 * (row 0 is the initial state) with its number and its label in domain words, a dot in the lane of
 * the actor that moved, and an arrow for every message (a step reading what another actor's step
 * wrote). The row of the violation is marked red, the row where replay diverges is marked too, and
 * the drain that finishes a run is set off by a dashed rule.
 *
 * Drawn by hand rather than with a diagram library: a lane is a column and a step a row, so every
 * coordinate is a multiplication and there is no layout to compute. A sequence-diagram library
 * (Mermaid) would add megabytes to every page, place each label inside the lanes (a 26-lane page
 * many screens wide) and leave no stable element per step for the page to select.
 */
import { esc } from './objects.ts';
import type { Story } from './story.ts';

const ROW = 20;
const LANE = 34;
const NUM = 44;
/** labels longer than this are cut in the picture; the panel shows them whole */
const LABEL_CHARS = 64;
const CHAR = 7.2;
const LABEL = Math.ceil(LABEL_CHARS * CHAR) + 12;
const MARK = 260;
const HEAD = 36;
const DOT = 5.5;

/** One hue per machine, in the order machines first appear among the lanes. */
const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f', '#e377c2', '#ff7f0e', '#d62728', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd', '#31a354', '#756bb1', '#636363'];

export interface Picture {
  head: string;
  body: string;
  width: number;
}

const laneX = (i: number) => NUM + LABEL + i * LANE + LANE / 2;
const rowY = (r: number) => r * ROW + ROW / 2;

function cut(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

export function drawLanes(story: Story): Picture {
  const { lanes, steps, messages, verdict, divergence } = story;
  const machines = [...new Set(lanes.map((l) => l.machine))];
  const color = (lane: number) => PALETTE[machines.indexOf(lanes[lane].machine) % PALETTE.length];
  // the violation mark is one line of text right of the lanes: room for it (about 7.5 px a character)
  const markText = verdict ? `✗ ${verdict.property} (${verdict.clause})` : '';
  const mark = Math.max(MARK, Math.ceil(markText.length * 7.5) + 16);
  const width = NUM + LABEL + lanes.length * LANE + mark;
  const stuck = divergence?.recorded != null;
  const rows = steps.length + (stuck ? 1 : 0);
  const height = rows * ROW + 8;
  const acted = new Set(steps.map((s) => s.lane));
  const markX = NUM + LABEL + lanes.length * LANE + 8;

  const head = [
    `<svg class="lanes-head" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEAD}" viewBox="0 0 ${width} ${HEAD}">`,
    `<text class="col" x="4" y="${HEAD - 10}">step</text><text class="col" x="${NUM}" y="${HEAD - 10}">what happened (${steps.length - 1} steps)</text>`,
    ...lanes.map(
      (l, i) =>
        `<g class="lane-head${acted.has(i) ? '' : ' idle'}" data-lane="${esc(l.name)}"><title>${esc(`${l.name}: ${l.machine}`)}</title><rect x="${laneX(i) - LANE / 2 + 1}" y="2" width="${LANE - 2}" height="${HEAD - 4}" rx="4" fill="${color(i)}"/><text x="${laneX(i)}" y="${HEAD / 2 + 4}">${esc(l.name)}</text></g>`,
    ),
    '</svg>',
  ].join('');

  const out: string[] = [`<svg class="lanes-body" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  out.push('<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>');
  lanes.forEach((l, i) => out.push(`<line class="lane${acted.has(i) ? '' : ' idle'}" data-lane="${esc(l.name)}" x1="${laneX(i)}" y1="0" x2="${laneX(i)}" y2="${height}" stroke="${color(i)}"/>`));
  for (const s of steps) {
    const y = s.n * ROW;
    const v = verdict && verdict.step === s.n && !divergence;
    const cls = `row${v ? ' violation' : ''}${s.phase === 'drain' ? ' drain' : ''}`;
    const who = s.lane < 0 ? '' : `${lanes[s.lane].name} ${s.event}: `;
    out.push(`<g class="${cls}" data-step="${s.n}" id="step-${s.n}"><title>${esc(`${s.n}. ${who}${s.label}`)}</title>`);
    out.push(`<rect class="bg" x="0" y="${y}" width="${width}" height="${ROW}"/>`);
    out.push(`<a href="#itf-${s.n}"><text class="num" x="${NUM - 8}" y="${y + 14}">${v ? '✗ ' : ''}${s.n}</text></a>`);
    out.push(`<text class="label" x="${NUM}" y="${y + 14}">${esc(cut(s.label))}</text>`);
    if (s.lane >= 0) out.push(`<circle class="dot" cx="${laneX(s.lane)}" cy="${rowY(s.n)}" r="${DOT}" fill="${color(s.lane)}"/>`);
    if (v) out.push(`<text class="mark" x="${markX}" y="${y + 14}">✗ ${esc(`${verdict.property} (${verdict.clause})`)}</text>`);
    out.push('</g>');
    const prev = steps[s.n - 1];
    if (prev && prev.phase !== s.phase) out.push(`<line class="phase" x1="0" y1="${y}" x2="${width}" y2="${y}"/><text class="phase" x="${width - mark + 8}" y="${y + 14}">drain begins</text>`);
  }
  if (divergence && stuck) {
    const y = steps.length * ROW;
    out.push(
      `<g class="row diverged" data-step="${steps.length}" id="step-${steps.length}"><title>${esc(divergence.why)}</title><rect class="bg" x="0" y="${y}" width="${width}" height="${ROW}"/>` +
        `<text class="num" x="${NUM - 8}" y="${y + 14}">${steps.length}</text><text class="label" x="${NUM}" y="${y + 14}">${esc(cut(divergence.recorded ?? ''))}</text><text class="mark" x="${markX}" y="${y + 14}">diverges here</text></g>`,
    );
  } else if (divergence && steps.length > 0) {
    // every step reproduced and the verdict did not: the mark goes on the last step
    out.push(`<text class="mark diverged-mark" x="${markX}" y="${(steps.length - 1) * ROW + 14}">the verdict diverges</text>`);
  }
  for (const m of messages) {
    const a = steps[m.from];
    const b = steps[m.to];
    // from the rim of one dot to the rim of the other, so the arrowhead stays visible
    const [x1, y1, x2, y2] = [laneX(a.lane), rowY(m.from), laneX(b.lane), rowY(m.to)];
    const len = Math.hypot(x2 - x1, y2 - y1);
    const [dx, dy] = [((x2 - x1) / len) * DOT, ((y2 - y1) / len) * DOT];
    const at = (v: number) => Math.round(v * 10) / 10;
    out.push(
      `<line class="msg" data-from="${m.from}" data-to="${m.to}" x1="${at(x1 + dx)}" y1="${at(y1 + dy)}" x2="${at(x2 - dx)}" y2="${at(y2 - dy)}" marker-end="url(#arrow)"><title>${esc(`${lanes[b.lane].name} at step ${m.to} reads ${m.words.join(', ')} written by ${lanes[a.lane].name} at step ${m.from}`)}</title></line>`,
    );
  }
  out.push('</svg>');
  return { head, body: out.join(''), width };
}
