// Look at the control panel's Live page in a real (headless) Chromium at 1280x800, as an
// operator's laptop shows it: is every card value and every table cell fully visible, and
// which state folder does the sidebar name?
//
//   node layout_at_1280.mjs URL SCREENSHOT.png
//
// Waits until the live figures are up and both the open positions and the open orders hold
// a row, then measures everything in one go (the page refreshes itself every second).
// Prints one JSON line: {"state_lines": [...], "cards": N, "cells": {...}, "truncated": [...]}
// where "truncated" lists every element whose text does not fit (scrollWidth above
// clientWidth, an ellipsis, or drawn past the right edge of its card or table box).
// Exits non-zero (the reason on stderr) when a step does not happen within its deadline.
// The picture shows the page scrolled to the open positions.
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node layout_at_1280.mjs URL SCREENSHOT.png');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_MS = 60_000;
const TABLES_MS = 120_000;
const NUMBER = /\d[\d,]*\.\d{2}/;

// Runs in the page. Tables are found by the subheader just above them, so the same code
// measures a canvas grid (st.dataframe) and an HTML table (st.table / st.html).
function measure(required) {
  const truncated = [];
  const visible = (el) => el.getClientRects().length > 0 && el.offsetParent !== null;
  const text = (el) => (el.innerText ?? el.textContent ?? '').trim();
  const clipped = (el) => el.scrollWidth > el.clientWidth + 1 || /…$/.test(text(el));
  const past = (el, box) => el.getBoundingClientRect().right > box.getBoundingClientRect().right + 1;
  const where = (el) => text(el).slice(0, 60);

  let cards = 0;
  for (const card of document.querySelectorAll('[data-testid="stMetric"]')) {
    if (!visible(card)) continue;
    cards += 1;
    for (const part of card.querySelectorAll(
      '[data-testid="stMetricValue"], [data-testid="stMetricValue"] *')) {
      if (!text(part)) continue;
      if (clipped(part)) truncated.push(`card value ${JSON.stringify(where(part))} is cut `
        + `(${part.scrollWidth} px of text in ${part.clientWidth} px)`);
      else if (past(part, card)) truncated.push(`card value ${JSON.stringify(where(part))} `
        + 'runs past its card');
    }
  }

  const cells = {};
  const tableAfter = (heading) => {
    const box = heading.closest('[data-testid="stElementContainer"], .stElementContainer');
    let next = box?.nextElementSibling;
    while (next && !text(next) && !next.querySelector('canvas, table')) next = next.nextElementSibling;
    return next;
  };
  for (const name of required) {
    const heading = [...document.querySelectorAll('h1, h2, h3, h4')]
      .find((h) => visible(h) && text(h).startsWith(name));
    const holder = heading && tableAfter(heading);
    if (!holder) { cells[name] = { kind: 'missing', rows: 0, cells: 0 }; continue; }
    const grid = holder.querySelector('[data-testid="stDataFrame"]');
    const table = holder.querySelector('table');
    if (grid) {
      // Canvas-drawn: only its scroller tells whether columns were pushed out of view.
      const rows = grid.querySelectorAll('table[role="grid"] tbody tr').length;
      cells[name] = { kind: 'canvas', rows, cells: 0 };
      for (const el of [grid, ...grid.querySelectorAll('*')]) {
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
          truncated.push(`${name}: canvas table cut at the edge (${el.scrollWidth} px `
            + `of columns in ${el.clientWidth} px)`);
          break;
        }
      }
      continue;
    }
    if (!table) { cells[name] = { kind: 'empty', rows: 0, cells: 0 }; continue; }
    const rows = table.querySelectorAll('tbody tr').length;
    const all = [...table.querySelectorAll('th, td')].filter(visible);
    cells[name] = { kind: 'html', rows, cells: all.length };
    for (let el = table.parentElement; el && el !== holder.parentElement; el = el.parentElement) {
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
        truncated.push(`${name}: table cut at the edge (${el.scrollWidth} px in `
          + `${el.clientWidth} px)`);
        break;
      }
    }
    if (past(table, holder)) truncated.push(`${name}: table runs past its box`);
    for (const cell of all) {
      for (const part of [cell, ...cell.querySelectorAll('*')]) {
        if (!text(part)) continue;
        if (clipped(part)) {
          truncated.push(`${name}: cell ${JSON.stringify(where(part))} is cut `
            + `(${part.scrollWidth} px of text in ${part.clientWidth} px)`);
          break;
        }
        if (past(part, holder)) {
          truncated.push(`${name}: cell ${JSON.stringify(where(part))} runs past the table box`);
          break;
        }
      }
    }
  }

  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const stateLines = [...(sidebar?.querySelectorAll('[data-testid="stCaptionContainer"]') ?? [])]
    .flatMap((c) => text(c).split('\n')).map((l) => l.trim()).filter((l) => l.startsWith('state '));
  return { cards, cells, truncated, state_lines: stateLines };
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic'],
});
let last = null;
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
try {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: STEP_MS });
  await page.waitForFunction(
    ([sel, pattern]) => new RegExp(pattern).test(document.querySelector(sel)?.textContent ?? ''),
    ['.st-key-live_portfolio_value [data-testid="stMetricValue"]', NUMBER.source],
    { timeout: STEP_MS });
  // Wait for a moment when both tables hold rows, and measure that very moment.
  const required = ['Open positions', 'Open orders'];
  const deadline = Date.now() + TABLES_MS;
  for (;;) {
    last = await page.evaluate(measure, required);
    const full = required.every((name) => ['canvas', 'html'].includes(last.cells[name].kind)
      && (last.cells[name].kind === 'canvas' || last.cells[name].rows > 0));
    if (full) break;
    if (Date.now() > deadline) throw new Error('the open positions and open orders never both held a row');
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  // The page scrolls inside Streamlit's own container: bring the tables into the picture.
  await page.locator('h3', { hasText: 'Open positions' }).first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot });
  last.screenshot = screenshot;
  console.log(JSON.stringify(last));
} catch (error) {
  console.error(`browser step failed: ${error.message}`);
  console.error(`last measure: ${JSON.stringify(last)}`);
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-failed.png'), fullPage: true })
    .catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
