// SPDX-License-Identifier: GPL-3.0-or-later
// OHIF (the prebuilt @ohif/app the plugin serves at /ohif/) in a real browser (Debian's chromium,
// puppeteer-core): open a study, check the film rendered, open Sagitta's SR, read what
// Cornerstone drew (SVG groups carrying data-annotation-uid), answer "Yes" to OHIF's tracking
// prompt and read the tools it loaded. Prints one JSON line; test_ohif.py judges it.
// usage: node ohif_browser.js URL STUDY_UID SR_SERIES_NUMBER SCREENSHOT_PREFIX SR_GROUPS TOOLS
// (SR_GROUPS: the SR's measurement groups; TOOLS: how many of them OHIF can track as tools)
'use strict';
const puppeteer = require('puppeteer-core');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const [url, study, srSeries, shots, srGroups, trackable] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Cornerstone renders with WebGL: SwiftShader, chromium's software GL, on a machine without a GPU.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--use-gl=swiftshader',
           '--enable-unsafe-swiftshader'],
  });
  const seen = { errors: [], imageErrors: [] };
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => seen.errors.push(e.message));
    page.on('console', (m) => {
      const text = m.text();
      if (m.type() === 'error' && !/favicon|manifest/i.test(text)) seen.errors.push(text.slice(0, 300));
      if (/Invalid VOI LUT|image load|decode/i.test(text) && m.type() !== 'log') seen.imageErrors.push(text.slice(0, 300));
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && /\/dicom-web\//.test(r.url())) seen.imageErrors.push(r.status() + ' ' + r.url());
    });
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(url + '/ohif/viewer?StudyInstanceUIDs=' + study, { waitUntil: 'networkidle0', timeout: 120000 });
    // The film: the stack viewport holds the DX and its pixels (Cornerstone's own state).
    await page.waitForFunction(() => {
      const cs = window.cornerstone;
      const vp = cs && cs.getRenderingEngines().flatMap((e) => e.getViewports())[0];
      return vp && vp.getImageData && vp.getImageData();
    }, { timeout: 60000, polling: 500 });
    seen.film = await page.evaluate(() => {
      const vp = window.cornerstone.getRenderingEngines().flatMap((e) => e.getViewports())[0];
      const data = vp.getImageData();
      const scalars = data.scalarData || (data.voxelManager && data.voxelManager.getCompleteScalarDataArray());
      let min = Infinity, max = -Infinity;
      for (let i = 0; i < scalars.length; i += 97) { min = Math.min(min, scalars[i]); max = Math.max(max, scalars[i]); }
      return { dimensions: Array.from(data.dimensions).slice(0, 2), range: [min, max], imageId: vp.getCurrentImageId() };
    });
    await page.screenshot({ path: shots + '-film.png' });
    // OHIF's first-visit tour and its investigational-use notice stand over the viewport.
    for (const label of ['Skip all', 'Confirm and hide']) {
      const [button] = await page.$$('xpath/.//button[normalize-space()="' + label + '"]');
      if (button) await button.click();
    }
    // The study browser lists the series as their metadata arrives: on a busy machine the SR's
    // thumbnail comes after the film has rendered, so wait for it instead of looking once.
    const srThumb = await page.waitForFunction((series) => {
      return Array.from(document.querySelectorAll('[data-cy^="study-browser-thumbnail"]'))
        .find((e) => e.textContent.includes('S:' + series)) || null;
    }, { timeout: 60000, polling: 500 }, srSeries).catch(() => null);
    seen.srOpened = false;
    if (srThumb) {
      await srThumb.asElement().click({ count: 2 });
      seen.srOpened = true;
    }
    // Drawn: as many annotations of the tools as the SR has groups for are in Cornerstone's state,
    // each with its SVG group and text (a loaded machine adds and renders them late: wait for all
    // of them, not for the first ones).
    const allDrawn = ([tools, expected]) => {
      const anns = window.cornerstoneTools.annotation.state.getAllAnnotations()
        .filter((a) => tools.includes(a.metadata.toolName));
      return anns.length >= expected && anns.every((a) => {
        const g = document.querySelector('[data-annotation-uid="' + a.annotationUID + '"]');
        return g && g.textContent.trim().length > 0;
      });
    };
    // OHIF's SR display draws only once its viewport has the image: when the annotations arrive
    // after the image's last render, nothing is drawn until the next one (a busy machine shows
    // it). A reader moving the mouse over the film gets the next render: so does this driver.
    const waitDrawn = async (tools, expected) => {
      for (let i = 0; i < 90; i++) {
        if (await page.evaluate(allDrawn, [tools, expected])) return i;
        if (i % 5 === 4) {
          await page.mouse.move(500 + (i % 3) * 40, 400 + (i % 7) * 30, { steps: 4 });
          seen.mouseMoves = (seen.mouseMoves || 0) + 1;
        }
        await sleep(1000);
      }
      return -1;
    };
    seen.srDrawnAfter = await waitDrawn(['DICOMSRDisplay'], Number(srGroups));
    await sleep(500);
    seen.drawn = await page.$$eval('[data-annotation-uid]', (groups) => groups.map((g) => ({
      uid: g.getAttribute('data-annotation-uid'), text: g.textContent })));
    seen.srDisplay = await page.evaluate(() => window.cornerstoneTools.annotation.state.getAllAnnotations()
      .filter((a) => a.metadata.toolName === 'DICOMSRDisplay')
      .map((a) => ({ uid: a.annotationUID, types: Object.keys(a.data.renderableData || {}),
                     graphics: Object.values(a.data.renderableData || {}).reduce((n, list) => n + list.length, 0) })));
    await page.screenshot({ path: shots + '-sr.png' });
    // OHIF offers to track (load) the SR's measurements as Cornerstone tools.
    // OHIF shows the prompt once it has read the SR's tracking identifiers; wait for it too.
    const yes = await page.waitForSelector('xpath/.//button[normalize-space()="Yes"]', { timeout: 60000 })
      .catch(() => null);
    seen.trackingPrompt = !!yes;
    if (yes) {
      await yes.click();
      seen.toolsDrawnAfter = await waitDrawn(['Angle', 'CobbAngle'], Number(trackable));
      await sleep(500);
      seen.tools = await page.evaluate(() => window.cornerstoneTools.annotation.state.getAllAnnotations()
        .filter((a) => a.metadata.toolName === 'Angle' || a.metadata.toolName === 'CobbAngle')
        .map((a) => ({ tool: a.metadata.toolName, label: a.data.label, points: a.data.handles.points.filter(Boolean).length,
                       uid: a.annotationUID })));
      seen.toolsDrawn = await page.$$eval('[data-annotation-uid]', (groups) => groups.map((g) => ({
        uid: g.getAttribute('data-annotation-uid'), text: g.textContent })));
      await page.screenshot({ path: shots + '-tools.png' });
    }
  } catch (e) {
    seen.errors.push('driver: ' + e.message);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(seen));
}

main();
