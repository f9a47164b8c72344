// SPDX-License-Identifier: GPL-3.0-or-later
// The review page in a real browser (Debian's chromium, puppeteer-core): open the worklist,
// open a film, drag a landmark, see a parameter change, approve. Prints one JSON line of what
// it saw; test_review.py judges it and checks the study afterwards.
// Then, on a film the gate refused: clear the model's points, place S1's two corners by hand,
// see SS measured, approve.
// usage: node review_browser.js URL USER PASSWORD JOB SCREENSHOT REFUSED_JOB
'use strict';
const puppeteer = require('puppeteer-core');

async function main() {
  const [url, user, password, job, screenshot, refusedJob] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const seen = { errors: [] };
  // Another reviewer's page, opened straight on one film (review.html?job=N).
  const openFilm = async (name, id) => {
    const p = await browser.newPage();
    p.on('pageerror', (e) => seen.errors.push(name + ': ' + e.message));
    await p.setViewport({ width: 1500, height: 950 });
    await p.authenticate({ username: user, password });
    await p.goto(url + '/sagitta/app/review.html?job=' + id, { waitUntil: 'networkidle0', timeout: 60000 });
    await p.waitForFunction(() => window.sagittaReview && window.sagittaReview.ready(), { timeout: 60000, polling: 200 });
    return p;
  };
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => seen.errors.push('page: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') seen.errors.push('console: ' + m.text()); });
    await page.setViewport({ width: 1500, height: 950 });
    await page.authenticate({ username: user, password });
    await page.goto(url + '/sagitta/app/review.html', { waitUntil: 'networkidle0', timeout: 60000 });
    // Every analysed film, not only those flagged for review.
    await page.click('#needs-review');
    const row = '#worklist tbody tr[data-job="' + job + '"]';
    await page.waitForSelector(row, { timeout: 30000 });
    seen.worklistRows = await page.$$eval('#worklist tbody tr', (rows) => rows.length);
    await page.click(row);
    await page.waitForFunction(() => window.sagittaReview && window.sagittaReview.ready(), { timeout: 60000, polling: 200 });
    const value = () => page.$eval('#parameters tr[data-key="SS"] td.value', (e) => e.textContent);
    seen.ssBefore = await value();
    // A second reviewer opens the same film now, at revision 0, and decides after the first.
    const other = await openFilm('second page', job);
    await page.bringToFront();
    seen.parameterRows = await page.$$eval('#parameters tbody tr', (rows) => rows.length);
    const p = await page.evaluate(() => window.sagittaReview.landmarkOnScreen('S1_A'));
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 12, p.y - 18, { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(
      (before) => document.querySelector('#parameters tr[data-key="SS"] td.value').textContent !== before,
      { timeout: 30000, polling: 200 }, seen.ssBefore);
    seen.ssAfter = await value();
    seen.approveLabel = await page.$eval('#approve', (e) => e.textContent);
    seen.constructions = await page.evaluate(() => window.sagittaReview.constructionsDrawn());
    seen.reviewerFieldShown = await page.$eval('#reviewer-row', (e) => e.offsetParent !== null);
    await page.screenshot({ path: screenshot });
    await page.click('#approve');
    await page.waitForFunction(() => /ok|error/.test(document.querySelector('#decision-status').className),
                               { timeout: 60000, polling: 200 });
    seen.status = await page.$eval('#decision-status', (e) => e.className + ': ' + e.textContent);
    seen.history = await page.$$eval('#history li', (items) => items.map((i) => i.textContent));
    const settled = (p) => p.waitForFunction(
      () => /ok|error/.test(document.querySelector('#decision-status').className) &&
            !/Recording/.test(document.querySelector('#decision-status').textContent), { timeout: 60000, polling: 200 });
    // The second reviewer's approval is against revision 0: refused, and the page says why.
    await other.bringToFront();
    await other.click('#approve');
    await settled(other);
    seen.conflict = await other.$eval('#decision-status', (e) => e.className + ': ' + e.textContent);
    // The first reviewer, now at revision 1, rejects with a reason.
    await page.bringToFront();
    await page.type('#reason', 'S1 is hidden by the pelvis on this film');
    await page.click('#reject');
    await page.waitForFunction(() => /Revision 2/.test(document.querySelector('#decision-status').textContent) ||
                                     /error/.test(document.querySelector('#decision-status').className), { timeout: 60000, polling: 200 });
    seen.reject = await page.$eval('#decision-status', (e) => e.className + ': ' + e.textContent);

    const hand = await openFilm('refused film page', refusedJob);
    seen.refusedNotice = await hand.$eval('#notice', (e) => e.textContent);
    await hand.click('#clear');
    await hand.waitForFunction(() => window.sagittaReview.landmarkCount() === 0 &&
                                     !/deg$/.test((document.querySelector('#parameters tr[data-key="SS"] td.value') || {}).textContent || ''),
                               { timeout: 30000, polling: 200 });
    const box = await (await hand.$('#canvas')).boundingBox();
    const place = async (key, dx, dy) => {
      await hand.select('#add-landmark', key);
      await hand.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
    };
    await place('S1_A', -20, 0);
    await hand.waitForFunction(() => window.sagittaReview.landmarkOnScreen('S1_A') !== null, { timeout: 30000, polling: 200 });
    await place('S1_P', 20, -8);
    await hand.waitForFunction(() => /deg$/.test((document.querySelector('#parameters tr[data-key="SS"] td.value') || {}).textContent || ''),
                               { timeout: 30000, polling: 200 });
    seen.byHandSs = await hand.$eval('#parameters tr[data-key="SS"] td.value', (e) => e.textContent);
    seen.byHandPi = await hand.$eval('#parameters tr[data-key="PI"] td.value', (e) => e.textContent);
    seen.byHandLabel = await hand.$eval('#approve', (e) => e.textContent);
    await hand.click('#approve');
    await hand.waitForFunction(() => /ok|error/.test(document.querySelector('#decision-status').className),
                               { timeout: 60000, polling: 200 });
    seen.byHandStatus = await hand.$eval('#decision-status', (e) => e.className + ': ' + e.textContent);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(seen));
}

main().catch((e) => {
  console.error('review_browser: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
