// Open every page of the control panel by its own URL in a real (headless) Chromium and check
// that it renders: no Streamlit exception box, no console error, its key element shown.
//
//   node pages_by_link.mjs URL SCREENSHOT_DIR PAGES_JSON
//
// PAGES_JSON: [{"path": "live", "key": "<CSS selector>", "text": "<regexp the key element's
// text must match>", "drawn": true|false (the key element holds a drawn chart), "also":
// [selectors that must show too]}, ...].
// Also opens the root URL, which must lead on to the first page's path. Saves
// SCREENSHOT_DIR/panel_<path>.png for each page. Prints one JSON line with what each page
// showed (its final URL path, key text, exceptions, console errors, theme colours); exits
// non-zero (with the reason on stderr) when a page does not render within its deadline.
//
// With PANEL_PASSWORD set, each page must first ask for the password (nothing of the page or
// its menu shown), and then show the page asked for once it is given.
import { chromium } from 'playwright-core';

const [url, shots, pagesJson] = process.argv.slice(2);
if (!url || !shots || !pagesJson) {
  console.error('usage: node pages_by_link.mjs URL SCREENSHOT_DIR PAGES_JSON');
  process.exit(2);
}
const pages = JSON.parse(pagesJson);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_MS = 60_000;
const PASSWORD = process.env.PANEL_PASSWORD || '';
// After the key element shows, the page gets this long to finish its run (and to raise).
const SETTLE_MS = 3_000;

// The theme as drawn: the page, the sidebar, the text and the primary button (START).
async function colours(page) {
  return page.evaluate(() => {
    const css = (sel, prop) => {
      const el = document.querySelector(sel);
      return el ? getComputedStyle(el)[prop] : null;
    };
    return {
      background: css('[data-testid="stApp"]', 'backgroundColor'),
      sidebar: css('[data-testid="stSidebar"]', 'backgroundColor'),
      text: css('[data-testid="stApp"]', 'color'),
      primary: css('.st-key-bot_start button', 'backgroundColor'),
    };
  });
}

// Streamlit's page looks for its server under the page's path first (/research/_stcore/...)
// and then under the root, so a deep link always logs these two 404s; any other is counted.
const BASE_PROBE = /\/[^/]+\/_stcore\/(health|host-config)$/;

async function open(browser, target, expectPath, spec) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 2000 } });
  const consoleErrors = [];
  page.on('console', (msg) => {
    const where = msg.location().url;
    if (msg.type() !== 'error') return;
    if (/status of 404/.test(msg.text()) && BASE_PROBE.test(where)
        && where.startsWith(`${url}/${expectPath}/`)) return;
    consoleErrors.push(`${msg.text()} (${where})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  const seen = { requested: target };
  try {
    await page.goto(target, { waitUntil: 'domcontentloaded', timeout: STEP_MS });
    const key = page.locator(spec.key).first();
    if (PASSWORD) {
      const field = page.locator('input[type="password"]');
      await field.waitFor({ timeout: STEP_MS });
      await page.waitForTimeout(SETTLE_MS);  // time for anything behind the gate to leak
      seen.gated = {
        key: await page.locator(spec.key).count(),
        menu: await page.locator('[data-testid="stSidebarNav"]').count(),
        start: await page.locator('.st-key-bot_start').count(),
        path: new URL(page.url()).pathname,
      };
      await field.fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.waitForFunction((path) => window.location.pathname.replace(/\/$/, '') === path,
      `/${expectPath}`, { timeout: STEP_MS });
    await key.waitFor({ timeout: STEP_MS });
    await page.waitForFunction(([sel, pattern]) => new RegExp(pattern).test(
      document.querySelector(sel)?.textContent ?? ''), [spec.key, spec.text],
      { timeout: STEP_MS });
    for (const also of spec.also ?? []) {
      await page.locator(also).first().waitFor({ timeout: STEP_MS });
    }
    if (spec.drawn) {
      await page.locator(`${spec.key} canvas, ${spec.key} svg.marks`).first()
        .waitFor({ timeout: STEP_MS });
    }
    await page.waitForTimeout(SETTLE_MS);
    seen.path = new URL(page.url()).pathname;
    seen.key_text = (await key.textContent()).trim().slice(0, 300);
    seen.exceptions = await page.locator('[data-testid="stException"]').allTextContents();
    seen.not_found = await page.getByText('Page not found').count();
    seen.header = (await page.locator('h1, h2').first().textContent()).trim();
    seen.colours = await colours(page);
    seen.console_errors = consoleErrors;
    await page.screenshot({ path: `${shots}/panel_${expectPath}.png`, fullPage: true });
    return seen;
  } catch (error) {
    await page.screenshot({ path: `${shots}/panel_${expectPath}-failed.png`, fullPage: true })
      .catch(() => {});
    const body = await page.locator('body').textContent().catch(() => '');
    throw new Error(`${target}: ${error.message}\nconsole errors: ${consoleErrors.join(' | ')}`
      + `\npage text: ${body.slice(0, 1500)}`);
  } finally {
    await page.close();
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const result = { pages: {} };
try {
  for (const spec of pages) {
    result.pages[spec.path] = await open(browser, `${url}/${spec.path}`, spec.path, spec);
  }
  // The root URL moves on to the first page's own path.
  result.root = await open(browser, `${url}/`, pages[0].path, pages[0]);
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(`browser step failed: ${error.message}`);
  console.error(`seen so far: ${JSON.stringify(result)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
