// Drive the control panel in a real (headless) Chromium: wait for live figures, press STOP
// by its widget key, confirm, wait until the panel shows the bot stopped, take a screenshot.
//
//   node stop_from_panel.mjs URL DIR/NAME_live.png
//
// (also saves DIR/NAME_running.png, taken before STOP)
// Prints one JSON line with what the page showed; exits non-zero (with the reason on stderr)
// when a step does not happen within its deadline.
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node stop_from_panel.mjs URL SCREENSHOT.png');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_MS = 60_000;
// Streamlit gives each keyed widget's container the class st-key-<key>: the panel's STOP is
// .st-key-bot_stop (Streamlit's own toolbar has a "Stop" too, which this never touches).
// Streamlit also keeps a zero-size copy of a button with help text, hence ':visible'.
const NUMBER = /\d[\d,]*\.\d{2}/;
const button = (page, key) => page.locator(`.st-key-${key} button:visible`);
const SETTLE_MS = 3_000;

async function settled(locator) {
  const deadline = Date.now() + STEP_MS;
  let text = null;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = (await locator.textContent()).trim();
    if (now !== text || !NUMBER.test(now)) {
      text = now;
      since = Date.now();
    } else if (Date.now() - since >= SETTLE_MS) {
      return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the value never settled (last: ${text})`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const result = {};
const page = await browser.newPage({ viewport: { width: 1600, height: 2300 } });
try {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: STEP_MS });

  const value = page.locator('.st-key-live_portfolio_value [data-testid="stMetricValue"]');
  await value.waitFor({ timeout: STEP_MS });
  await page.waitForFunction(
    ([sel, pattern]) => new RegExp(pattern).test(document.querySelector(sel)?.textContent ?? ''),
    ['.st-key-live_portfolio_value [data-testid="stMetricValue"]', NUMBER.source],
    { timeout: STEP_MS });
  result.portfolio_value_running = (await value.textContent()).trim();
  result.state_before = (await page.locator('.st-key-bot_state').textContent()).trim();
  await page.locator('.st-key-live_price canvas, .st-key-live_price svg').first()
    .waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: screenshot.replace(/_live\.png$/, '_running.png') });

  const stop = button(page, 'bot_stop');
  await stop.waitFor({ timeout: STEP_MS });
  await stop.click({ timeout: STEP_MS });  // waits until the button is enabled
  const confirm = button(page, 'bot_stop_confirm');
  await confirm.waitFor({ timeout: STEP_MS });
  result.confirmation = (await page.locator('.st-key-stop_confirmation').textContent()).trim();
  await confirm.click({ timeout: STEP_MS });

  await page.waitForFunction(
    (sel) => /STOPPED/.test(document.querySelector(sel)?.textContent ?? ''),
    '.st-key-bot_state', { timeout: STEP_MS });
  result.state_after = (await page.locator('.st-key-bot_state').textContent()).trim();
  // The live view keeps showing the ledger's last figures, now marked as not running.
  await page.locator('.st-key-live_banner').getByText('Bot not running').waitFor(
    { timeout: STEP_MS });
  // Streamlit redraws a page top to bottom, leaving the previous run's cards on screen until
  // each is redrawn: the final figure is the one that stays put over a few refreshes.
  result.portfolio_value_stopped = await settled(value);
  result.start_enabled = await button(page, 'bot_start').isEnabled();
  result.stop_enabled = await button(page, 'bot_stop').isEnabled();
  // Let the charts finish drawing before the picture is taken.
  await page.locator('.st-key-live_price canvas, .st-key-live_price svg').first()
    .waitFor({ timeout: STEP_MS });
  result.message = (await page.locator('.st-key-control_card [data-testid="stAlert"]')
    .first().textContent({ timeout: STEP_MS })).trim();
  await page.screenshot({ path: screenshot });
  result.screenshot = screenshot;
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(`browser step failed: ${error.message}`);
  console.error(`seen so far: ${JSON.stringify(result)}`);
  const card = await page.locator('.st-key-control_card').textContent().catch(() => '');
  console.error(`control card: ${card}`);
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-failed.png'), fullPage: true })
    .catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
