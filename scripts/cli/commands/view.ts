/** `virtuos view TRACE`: write a trace as a self-contained HTML page (swimlanes, shared objects, verdict). */
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse, UsageError } from '../args.ts';
import { writeFileAtomic } from '../../traces/itf.ts';
import { REPO_ROOT, tracePage, trackedTraceFiles } from '../../spec/spec.ts';
import { loadTrace } from '../../traces/trace.ts';
import { renderPage } from '../../view/page.ts';
import { tell, type Story } from '../../view/story.ts';

export const help = `usage: virtuos view TRACE [--out FILE.html]
       virtuos view --all

Writes a counterexample trace (ITF, as written by 'virtuos verify') as one self-contained HTML page
that opens from disk with no network: a swimlane picture with one lane per actor and one row per step
in domain words, arrows for the words one actor's step reads from another's, the shared objects as
they stand at the selected step with the words it changed highlighted, and the violated property,
clause and step with the property's statement. Step with the arrow keys, Home and End, or by clicking.
The page is built by re-executing the trace through the model, as 'virtuos replay' does; a trace that
does not replay is shown up to the step where it diverges.

  --out FILE   the page to write (default: for a trace under traces/, the same path under
               docs/traces/ with .html; for any other, the trace's path with .html)
  --all        write the page of every kept trace (those git tracks under traces/) under
               docs/traces/, where SPEC.md links them; these pages are not committed

Exit status: 0 written and replay reproduces the recorded verdict, 1 written but replay diverges
(the page shows where), 2 bad usage, or the trace is missing or malformed (naming the file and the
field; nothing is written).`;

const shown = (file: string) => {
  const rel = relative(REPO_ROOT, resolve(file));
  return rel.startsWith('..') ? file : rel.split(sep).join('/');
};

/** Where a trace's page goes when no --out is given. */
function defaultOut(file: string): string {
  const rel = relative(REPO_ROOT, resolve(file)).split(sep).join('/');
  if (rel.startsWith('traces/')) return join(REPO_ROOT, tracePage(rel));
  return resolve(file).replace(/(\.itf)?\.json$/, '') + '.html';
}

function page(story: Story, file: string, out: string): string {
  const href = relative(dirname(resolve(out)), resolve(file)).split(sep).map(encodeURIComponent).join('/');
  return renderPage(story, { shownFile: shown(file), href });
}

function summary(story: Story, out: string): string {
  const v = story.verdict;
  const what = story.divergence
    ? `replay DIVERGES at step ${story.divergence.step}: ${story.divergence.why}`
    : v
      ? `${v.property} violated (${v.clause}) at step ${v.step}`
      : 'all checked properties hold';
  const n = story.messages.length;
  return `wrote ${out}: ${Math.max(0, story.steps.length - 1)} steps, ${story.lanes.length} lanes${story.hidden.length ? ` (${story.hidden.length} actors that never move not drawn)` : ''}, ${n} message${n === 1 ? '' : 's'}; ${what}`;
}

function write(out: string, text: string): void {
  try {
    writeFileAtomic(out, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new UsageError(`--out ${out}: cannot write (${code})`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, all: { type: 'boolean' } }, { min: 0, max: 1, names: 'the trace FILE' });
  if (values.help) {
    console.log(help);
    return 0;
  }
  let jobs: { file: string; out: string }[];
  if (values.all) {
    if (positionals.length || values.out !== undefined) throw new UsageError('--all takes no TRACE and no --out');
    jobs = trackedTraceFiles(REPO_ROOT).map((rel) => ({ file: join(REPO_ROOT, rel), out: join(REPO_ROOT, tracePage(rel)) }));
  } else {
    if (positionals.length === 0) throw new UsageError('missing the trace FILE');
    jobs = [{ file: positionals[0], out: values.out ?? defaultOut(positionals[0]) }];
  }
  // every trace is read and replayed before anything is written, so a bad one leaves no page behind
  const pages = jobs.map((j) => {
    const story = tell(loadTrace(j.file));
    return { ...j, story, text: page(story, j.file, j.out) };
  });
  let diverged = 0;
  for (const p of pages) {
    write(p.out, p.text);
    console.log(summary(p.story, values.all ? shown(p.out) : p.out));
    if (p.story.divergence) diverged++;
  }
  return diverged ? 1 : 0;
}
