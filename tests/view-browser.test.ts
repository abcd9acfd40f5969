/**
 * The viewer pages in a real browser: Debian's Chromium, driven by playwright-core (no browser of its
 * own is downloaded). One page per layer is generated, opened from disk, stepped with the keyboard and
 * photographed into test-artifacts/. Where no Chromium is installed the tests say so and are skipped;
 * .ci/run installs it, so in CI they run.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeFileAtomic } from '../scripts/traces/itf.ts';
import { loadTrace } from '../scripts/traces/trace.ts';
import { renderPage } from '../scripts/view/page.ts';
import { drawObjects } from '../scripts/view/objects.ts';
import { tell, type Story } from '../scripts/view/story.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';

function chromiumMissing(): string | null {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return null;
  } catch {
    return `no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)`;
  }
}
const missing = chromiumMissing();
if (missing) console.warn(`view-browser tests skipped: ${missing}`);

const PAGES = {
  dispatch: 'traces/no-lost-wakeup/lostwake-1.itf.json',
  isolation: 'traces/memory-isolation/wake-writable-1.itf.json',
  recovery: 'traces/restoration/stale-completion-1.itf.json',
  posix: 'traces/poll-correctness/lost-kick-1.itf.json',
};

describe.skipIf(missing !== null)('viewer pages in Chromium', () => {
  let tmp: string;
  let browser: BrowserContext;
  const stories = new Map<string, { story: Story; url: string }>();

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'virtuos-browser-'));
    for (const [layer, file] of Object.entries(PAGES)) {
      const story = tell(loadTrace(file));
      const out = join(tmp, `${layer}.html`);
      writeFileAtomic(out, renderPage(story, { shownFile: file, href: 'trace.itf.json' }));
      stories.set(layer, { story, url: pathToFileURL(out).href });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Open a page, failing on any script error or any request that leaves the file. */
  async function open(layer: string): Promise<{ page: Page; story: Story; problems: string[] }> {
    const { story, url } = stories.get(layer)!;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('data:')) problems.push(`request to ${r.url()}`);
    });
    await page.goto(url);
    return { page, story, problems };
  }

  const selected = (page: Page) => page.evaluate(() => Number(document.body.dataset.step));

  /** The first step that changes a drawn word of a shared object (not an actor's registers), and that word's path. */
  function firstSharedChange(story: Story): { k: number; path: string } {
    for (const s of story.steps.slice(1)) {
      const drawn = new Set(drawObjects(s.decoded).flatMap((d) => [...d.html.matchAll(/data-path="([^"]*)"/g)].map((m) => m[1])));
      const path = s.changed.find((p) => drawn.has(p) && !/^(threads|kernel_threads|workers|frontend|backend|ghost)\b/.test(p));
      if (path) return { k: s.n, path };
    }
    throw new Error('no step changes a shared object');
  }

  test.each(Object.keys(PAGES))('%s: every step and every lane is drawn, the violation is marked, the keys step', async (layer) => {
    const { page, story, problems } = await open(layer);
    const last = story.steps.length - 1;
    const v = story.verdict!;

    expect(await page.locator('.lanes-body .row').count()).toBe(story.steps.length);
    for (const s of story.steps) expect(await page.locator(`.row[data-step="${s.n}"] .label`).textContent()).toBe(s.label.length > 64 ? `${s.label.slice(0, 63)}…` : s.label);
    expect(await page.locator('.lane-head').evaluateAll((hs) => hs.map((h) => (h as HTMLElement).dataset.lane))).toEqual(story.lanes.map((l) => l.name));
    expect(await page.locator('.lanes-body line.lane').count()).toBe(story.lanes.length);
    expect(await page.locator('#actors tr[data-lane]').count()).toBe(story.lanes.length);

    // it opens at the violation, marked in the picture and in the panel
    expect(await selected(page)).toBe(v.step);
    expect(await page.locator('.row.violation').getAttribute('data-step')).toBe(String(v.step));
    expect(await page.locator('.row.violation .mark').textContent()).toBe(`✗ ${v.property} (${v.clause})`);
    expect(await page.locator('#step-violation').isVisible()).toBe(true);
    expect(await page.locator('#verdict').textContent()).toContain(v.clauseText);

    await page.keyboard.press('Home');
    expect(await selected(page)).toBe(0);
    expect(await page.locator('.row.selected').getAttribute('data-step')).toBe('0');
    expect(await page.locator('#step-violation').isVisible()).toBe(false);

    // step to the first step that changes a shared object: its word is redrawn and highlighted
    const { k, path } = firstSharedChange(story);
    const word = page.locator(`#objects [data-path="${path}"]`).first();
    const drawn = () => word.evaluate((e) => `${e.className.replace('changed', '').trim()}|${e.innerHTML}`);
    for (let i = 1; i < k; i++) await page.keyboard.press('ArrowRight');
    const before = await drawn();
    await page.keyboard.press('ArrowRight');
    expect(await selected(page)).toBe(k);
    expect(await page.locator('#step-label').textContent()).toBe(story.steps[k].label);
    expect(await page.locator('#step-title').textContent()).toBe(`step ${k} of ${last}`);
    expect(await word.getAttribute('class')).toContain('changed');
    expect(await drawn()).not.toBe(before);
    expect(await page.locator('#actors tr.acting').getAttribute('data-lane')).toBe(story.lanes[story.steps[k].lane].name);
    await page.keyboard.press('ArrowLeft');
    expect(await selected(page)).toBe(k - 1);

    await page.keyboard.press('End');
    expect(await selected(page)).toBe(last);
    await page.keyboard.press('ArrowRight');
    expect(await selected(page)).toBe(last);

    // a click selects a row; the link of a step opens its ITF state, as the trace file holds it
    await page.locator(`.row[data-step="1"] .label`).click();
    expect(await selected(page)).toBe(1);
    await page.locator(`.row[data-step="2"] a`).click();
    // the address changes first; the page follows on hashchange
    await expect.poll(() => selected(page)).toBe(2);
    expect(await page.locator('#itf').getAttribute('open')).not.toBeNull();
    const itf = JSON.parse((await page.locator('#itf-json').textContent())!);
    expect(itf['#meta']).toEqual({ index: 2 });
    expect(itf.threads ?? itf.processes).toBeDefined();
    expect(JSON.stringify(Object.keys(itf).slice(1))).toBe(JSON.stringify(loadTrace(PAGES[layer as keyof typeof PAGES]).itf.vars));

    await page.keyboard.press('End');
    await page.screenshot({ path: join(ARTIFACTS, `view-${layer}.png`) });
    expect(problems).toEqual([]);
    await page.close();
  });
});
