// SPDX-License-Identifier: GPL-3.0-or-later
// Sagitta's review page: the worklist, the film with its landmarks, the decision. Every
// parameter and construction comes from the plugin (POST /sagitta/measure): this page moves
// points and draws what the server measured; it holds no geometry of its own.
'use strict';
(function () {
  const api = '../';  // served at /sagitta/app/review.html: the API is /sagitta/...
  const pageSize = 25;
  const $ = (id) => document.getElementById(id);
  const state = {
    offset: 0, total: 0, catalogue: null, job: null, film: null, filmData: null, windowed: null,
    landmarks: new Map(), original: new Map(), image: null, selected: null, placing: null,
    view: { scale: 1, tx: 0, ty: 0 }, parameters: null, constructions: {}, drag: null, measureTimer: null,
    measureSeq: 0,
    // The constructions drawn: those a radiologist draws by hand, toggled by a click on a
    // parameter's row, and those of the selected landmark's parameters.
    shown: new Set(['PI', 'SS', 'PT', 'LL', 'SVA', 'CL', 'GTK']),
  };

  function text(tag, value, cls) {
    const e = document.createElement(tag);
    e.textContent = value;
    if (cls) e.className = cls;
    return e;
  }

  async function call(method, path, body) {
    const options = { method, headers: {}, credentials: 'same-origin' };
    if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(api + path, options);
    const raw = await response.text();
    let json = null;
    try { json = JSON.parse(raw); } catch (e) { json = null; }
    if (!response.ok) {
      const error = new Error((json && json.error) || raw || response.statusText);
      error.status = response.status;
      throw error;
    }
    return json;
  }

  // ---- worklist ----
  async function loadWorklist() {
    const needs = $('needs-review').checked;
    const list = await call('GET', 'review/worklist?needs_review=' + needs + '&limit=' + pageSize + '&offset=' + state.offset);
    state.total = list.total;
    const body = $('worklist').querySelector('tbody');
    body.replaceChildren();
    for (const film of list.films) {
      const row = document.createElement('tr');
      row.dataset.job = film.job;
      if (state.job && state.job.job === film.job) row.className = 'open';
      row.append(text('td', String(film.job)));
      const result = text('td', film.state, film.state);
      if (film.reasons.length) result.append(text('div', film.reasons.join('; '), 'note'));
      if (film.superseded) result.append(text('div', 'superseded by a newer analysis', 'note'));
      row.append(result);
      const flags = document.createElement('td');
      for (const key of film.warnings) flags.append(text('span', key + ' warning', 'flag'));
      for (const key of film.withheld) flags.append(text('span', key + ' withheld', 'flag'));
      row.append(flags);
      row.append(text('td', [film.model.name, film.model.version].filter(Boolean).join(' ')));
      row.append(text('td', film.review ? 'rev ' + film.review.revision + ': ' + film.review.action + ' by ' + film.review.reviewer : '—'));
      row.addEventListener('click', () => openJob(film.job));
      body.append(row);
    }
    const last = Math.min(state.offset + list.films.length, state.total);
    $('page-info').textContent = state.total ? (state.offset + 1) + '–' + last + ' of ' + state.total : 'no films';
    $('prev').disabled = state.offset === 0;
    $('next').disabled = last >= state.total;
  }

  // ---- one film ----
  function landmarkMap(file) {
    const map = new Map();
    for (const l of (file && file.landmarks) || []) map.set(l.id, { x: l.x, y: l.y });
    return map;
  }

  async function openJob(id) {
    const job = await call('GET', 'review/jobs/' + id);
    state.job = job;
    state.image = job.current.landmarks.image;
    state.landmarks = landmarkMap(job.current.landmarks);
    state.original = landmarkMap(job.current.landmarks);
    state.parameters = null;
    state.selected = null;
    state.placing = null;
    $('film-pane').hidden = false;
    $('side-pane').hidden = false;
    $('film-title').textContent = 'Job ' + job.job + ' · revision ' + job.revision +
      (job.current.origin === 'review' ? ' (reviewed points)' : ' (model points)');
    const notice = $('notice');
    const notes = [];
    if (job.state === 'refused') {
      notes.push('The gate refused this film (' + job.reasons.join('; ') + '). The model\'s points, drawn hollow, are ' +
                 'unreliable: correct them, or clear all and place what the film shows.');
    }
    if (job.superseded_by) notes.push('A newer analysis (job ' + job.superseded_by + ') holds this film: decisions go there.');
    notice.textContent = notes.join(' ');
    notice.className = notes.length ? 'shown' : '';
    $('reviewer-row').hidden = job.authentication;
    $('who').textContent = job.authentication ? 'reviewer: the Orthanc user you signed in as' : 'Orthanc has no users here: give your name';
    renderHistory();
    setStatus('', '');
    for (const row of $('worklist').querySelectorAll('tbody tr')) row.className = Number(row.dataset.job) === job.job ? 'open' : '';
    await loadFilm(id);
    fit();
    await remeasure();
  }

  function loadFilm(id) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        state.film = c;
        state.filmData = g.getImageData(0, 0, c.width, c.height);
        state.windowed = document.createElement('canvas');
        state.windowed.width = c.width;
        state.windowed.height = c.height;
        applyWindow();
        resolve();
      };
      img.onerror = () => reject(new Error('the film did not load'));
      img.src = api + 'review/jobs/' + id + '/film.png';
    });
  }

  // Window over the film's display values (8-bit, after the DICOM's own VOI): level and width.
  function applyWindow() {
    if (!state.filmData) return;
    const level = Number($('level').value), width = Number($('width').value);
    const lut = new Uint8ClampedArray(256);
    for (let v = 0; v < 256; ++v) lut[v] = ((v - (level - width / 2)) / width) * 255;
    const src = state.filmData.data;
    const out = new ImageData(state.filmData.width, state.filmData.height);
    const dst = out.data;
    for (let i = 0; i < src.length; i += 4) {
      const v = lut[src[i]];
      dst[i] = v; dst[i + 1] = v; dst[i + 2] = v; dst[i + 3] = 255;
    }
    state.windowed.getContext('2d').putImageData(out, 0, 0);
    draw();
  }

  function fit() {
    const viewer = $('viewer');
    const canvas = $('canvas');
    canvas.width = viewer.clientWidth;
    canvas.height = viewer.clientHeight;
    if (!state.film) return;
    const s = Math.min(canvas.width / state.film.width, canvas.height / state.film.height);
    state.view = { scale: s, tx: (canvas.width - s * state.film.width) / 2, ty: (canvas.height - s * state.film.height) / 2 };
    draw();
  }

  const toScreen = (p) => ({ x: p.x * state.view.scale + state.view.tx, y: p.y * state.view.scale + state.view.ty });
  const toImage = (x, y) => ({ x: (x - state.view.tx) / state.view.scale, y: (y - state.view.ty) / state.view.scale });

  function colourOf(key) {
    if (key.startsWith('C')) return '#4fc3f7';
    if (key.startsWith('T')) return '#ffd54f';
    if (key.startsWith('L')) return '#81c784';
    return '#f06292';
  }

  function moved(key) {
    const a = state.landmarks.get(key), b = state.original.get(key);
    if (!a || !b) return a !== b;
    return Math.abs(a.x - b.x) > 0.01 || Math.abs(a.y - b.y) > 0.01;
  }

  function changedKeys() {
    const keys = new Set([...state.landmarks.keys(), ...state.original.keys()]);
    return [...keys].filter(moved);
  }

  function draw() {
    const canvas = $('canvas');
    const g = canvas.getContext('2d');
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#000';
    g.fillRect(0, 0, canvas.width, canvas.height);
    if (!state.windowed) return;
    g.imageSmoothingEnabled = state.view.scale < 1;
    g.setTransform(state.view.scale, 0, 0, state.view.scale, state.view.tx, state.view.ty);
    g.drawImage(state.windowed, 0, 0);
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.lineWidth = 2;
    const reading = new Set();
    const labels = [];
    if (state.selected && state.catalogue) {
      for (const p of state.catalogue.parameters) if (p.landmarks.includes(state.selected)) reading.add(p.key);
    }
    for (const [key, points] of Object.entries(state.constructions)) {
      if (points.length < 2 || !(state.shown.has(key) || reading.has(key))) continue;
      g.strokeStyle = 'rgba(255, 140, 0, 0.85)';
      g.beginPath();
      points.forEach((p, i) => {
        const s = toScreen({ x: p[0], y: p[1] });
        if (i === 0) g.moveTo(s.x, s.y); else g.lineTo(s.x, s.y);
      });
      g.stroke();
      const end = toScreen({ x: points[points.length - 1][0], y: points[points.length - 1][1] });
      const value = state.parameters && state.parameters.parameters[key];
      if (value && value.value !== null) labels.push({ text: key + ' ' + value.value + ' ' + value.unit, x: end.x + 6, y: end.y - 4 });
    }
    // Labels that would overlap are stacked downwards, so each stays readable.
    g.font = '12px system-ui, sans-serif';
    const placed = [];
    for (const label of labels.sort((a, b) => a.y - b.y)) {
      const width = g.measureText(label.text).width;
      let y = label.y;
      for (const p of placed) {
        if (label.x < p.x + p.width && p.x < label.x + width && Math.abs(y - p.y) < 14) y = p.y + 14;
      }
      placed.push({ x: label.x, y, width });
      g.fillStyle = 'rgba(0, 0, 0, 0.6)';
      g.fillRect(label.x - 2, y - 11, width + 4, 14);
      g.fillStyle = '#ffcc80';
      g.fillText(label.text, label.x, y);
    }
    const unreliable = state.job && state.job.state === 'refused' && state.job.current.origin === 'model';
    g.font = '11px system-ui, sans-serif';
    for (const [key, p] of state.landmarks) {
      const s = toScreen(p);
      g.beginPath();
      g.arc(s.x, s.y, key === state.selected ? 7 : 5, 0, 2 * Math.PI);
      const hollow = unreliable && !moved(key);
      g.strokeStyle = colourOf(key);
      g.fillStyle = colourOf(key);
      if (hollow) { g.lineWidth = 2; g.stroke(); } else { g.fill(); }
      if (key === state.selected || state.view.scale > 0.35) {
        g.fillStyle = '#fff';
        g.fillText(key, s.x + 8, s.y + 4);
      }
    }
  }

  function hit(x, y) {
    let best = null, bestDistance = 9;
    for (const [key, p] of state.landmarks) {
      const s = toScreen(p);
      const d = Math.hypot(s.x - x, s.y - y);
      if (d < bestDistance) { best = key; bestDistance = d; }
    }
    return best;
  }

  function clampToFilm(p) {
    return { x: Math.min(Math.max(p.x, 0), state.film.width), y: Math.min(Math.max(p.y, 0), state.film.height) };
  }

  // ---- measurement, by the server ----
  function scheduleMeasure() {
    clearTimeout(state.measureTimer);
    state.measureTimer = setTimeout(remeasure, 120);
  }

  function landmarksFile() {
    const landmarks = [];
    for (const [id, p] of state.landmarks) landmarks.push({ id, x: Math.round(p.x * 100) / 100, y: Math.round(p.y * 100) / 100 });
    return { image: state.image, landmarks };
  }

  async function remeasure() {
    const seq = ++state.measureSeq;
    let answer;
    try {
      answer = await call('POST', 'measure/constructions', landmarksFile());
    } catch (e) {
      // Points the geometry cannot use (e.g. two on top of each other): the server says why.
      answer = { parameters: {}, constructions: {}, error: e.message };
    }
    if (seq !== state.measureSeq) return;  // a newer position is on its way
    state.parameters = answer;
    state.constructions = answer.constructions || {};
    renderParameters();
    updateControls();
    draw();
  }

  function renderParameters() {
    const body = $('parameters').querySelector('tbody');
    body.replaceChildren();
    const before = state.job.current.parameters ? state.job.current.parameters.parameters : {};
    if (state.parameters.error) {
      const row = document.createElement('tr');
      const cell = text('td', 'Not measurable from these points: ' + state.parameters.error, 'note');
      cell.colSpan = 3;
      row.append(cell);
      body.append(row);
    }
    for (const [key, value] of Object.entries(state.parameters.parameters)) {
      const row = document.createElement('tr');
      row.dataset.key = key;
      const name = state.catalogue ? (state.catalogue.parameters.find((p) => p.key === key) || {}).name : '';
      row.append(text('td', key));
      row.append(text('td', value.value === null ? '—' : value.value + ' ' + value.unit, 'value'));
      const note = value.value === null ? value.reason : (value.warnings || []).map((w) => w.message || w).join('; ');
      row.append(text('td', note || '', 'note'));
      const old = before[key];
      row.classList.toggle('changed', !!(old && old.value !== value.value));
      row.classList.toggle('shown', state.shown.has(key));
      row.title = (name ? name + '. ' : '') + 'Click to draw or hide its construction.';
      row.addEventListener('click', () => {
        if (state.shown.has(key)) state.shown.delete(key); else state.shown.add(key);
        row.classList.toggle('shown', state.shown.has(key));
        draw();
      });
      body.append(row);
    }
  }

  function updateControls() {
    const changes = changedKeys().length;
    $('approve').textContent = changes ? 'Approve with ' + changes + ' correction' + (changes > 1 ? 's' : '') : 'Approve';
    $('undo').disabled = changes === 0;
    $('remove').disabled = !state.selected;
    const add = $('add-landmark');
    const keep = add.value;
    add.replaceChildren(text('option', 'add landmark…'));
    add.firstChild.value = '';
    for (const l of (state.catalogue ? state.catalogue.landmarks : [])) {
      if (state.landmarks.has(l.key)) continue;
      const option = text('option', l.key + ' — ' + l.description);
      option.value = l.key;
      add.append(option);
    }
    add.value = state.landmarks.has(keep) ? '' : keep;
  }

  function renderHistory() {
    const list = $('history');
    list.replaceChildren();
    if (!state.job.reviews.length) list.append(text('li', 'no review yet', 'note'));
    for (const r of state.job.reviews) {
      const when = new Date(r.at * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
      const item = text('li', 'rev ' + r.revision + ': ' + r.action + ' by ' + r.reviewer +
                        (r.authenticated ? '' : ' (not authenticated)') + ', ' + when);
      if (r.reason) item.append(text('div', r.reason, 'note'));
      if (r.changes && r.changes.length) item.append(text('div', r.changes.length + ' landmark(s): ' + r.changes.map((c) => c.id).join(', '), 'note'));
      list.append(item);
    }
  }

  function setStatus(message, kind) {
    const s = $('decision-status');
    s.textContent = message;
    s.className = kind;
  }

  async function decide(action) {
    const body = { action, based_on: state.job.revision, reason: $('reason').value };
    if (!state.job.authentication) {
      body.reviewer = $('reviewer').value.trim();
      if (!body.reviewer) return setStatus('Give your name: Orthanc has no users here to say who you are.', 'error');
      localStorage.setItem('sagitta.reviewer', body.reviewer);
    }
    if (action === 'reject' && !body.reason.trim()) return setStatus('A rejection needs a reason.', 'error');
    if (action === 'approve' && changedKeys().length) {
      body.action = 'correct';
      body.landmarks = landmarksFile();
    }
    setStatus('Recording…', '');
    try {
      const review = await call('POST', 'review/jobs/' + state.job.job, body);
      const id = state.job.job;
      $('reason').value = '';
      await openJob(id);
      setStatus('Revision ' + review.revision + ' recorded: ' + review.action +
                (review.sr_instance ? '; a verified SR (' + review.sr_instance + ') is in the study' : '') + '.', 'ok');
      await loadWorklist();
    } catch (e) {
      setStatus((e.status === 409 ? 'Not recorded, the result has moved on: ' : 'Not recorded: ') + e.message +
                (e.status === 409 ? ' Open the film again to see its current state.' : ''), 'error');
    }
  }

  // ---- events ----
  function wire() {
    const viewer = $('viewer');
    const canvas = $('canvas');
    canvas.addEventListener('mousedown', (event) => {
      const r = canvas.getBoundingClientRect();
      const x = event.clientX - r.left, y = event.clientY - r.top;
      if (state.placing) {
        state.landmarks.set(state.placing, clampToFilm(toImage(x, y)));
        state.selected = state.placing;
        state.placing = null;
        viewer.classList.remove('placing');
        $('add-landmark').value = '';
        remeasure();
        return;
      }
      const key = hit(x, y);
      state.selected = key;
      state.drag = key ? { key } : { pan: true, x, y, tx: state.view.tx, ty: state.view.ty };
      updateControls();
      draw();
    });
    window.addEventListener('mousemove', (event) => {
      if (!state.drag) return;
      const r = canvas.getBoundingClientRect();
      const x = event.clientX - r.left, y = event.clientY - r.top;
      if (state.drag.key) {
        state.landmarks.set(state.drag.key, clampToFilm(toImage(x, y)));
        scheduleMeasure();
      } else {
        state.view.tx = state.drag.tx + (x - state.drag.x);
        state.view.ty = state.drag.ty + (y - state.drag.y);
      }
      draw();
    });
    window.addEventListener('mouseup', () => {
      if (state.drag && state.drag.key) {
        clearTimeout(state.measureTimer);
        remeasure();
      }
      state.drag = null;
    });
    canvas.addEventListener('wheel', (event) => {
      event.preventDefault();
      const r = canvas.getBoundingClientRect();
      const x = event.clientX - r.left, y = event.clientY - r.top;
      const factor = Math.exp(-event.deltaY * 0.0015);
      const at = toImage(x, y);
      state.view.scale = Math.min(8, Math.max(0.02, state.view.scale * factor));
      state.view.tx = x - at.x * state.view.scale;
      state.view.ty = y - at.y * state.view.scale;
      draw();
    }, { passive: false });
    window.addEventListener('keydown', (event) => {
      if ((event.key === 'Delete' || event.key === 'Backspace') && state.selected && document.activeElement === document.body) {
        removeSelected();
      }
    });
    window.addEventListener('resize', fit);
    $('level').addEventListener('input', applyWindow);
    $('width').addEventListener('input', applyWindow);
    $('fit').addEventListener('click', fit);
    $('remove').addEventListener('click', removeSelected);
    $('clear').addEventListener('click', () => {
      state.landmarks = new Map();
      state.selected = null;
      remeasure();
    });
    $('undo').addEventListener('click', () => {
      state.landmarks = new Map(state.original);
      remeasure();
    });
    $('add-landmark').addEventListener('change', () => {
      state.placing = $('add-landmark').value || null;
      viewer.classList.toggle('placing', !!state.placing);
    });
    $('approve').addEventListener('click', () => decide('approve'));
    $('reject').addEventListener('click', () => decide('reject'));
    $('needs-review').addEventListener('change', () => { state.offset = 0; loadWorklist(); });
    $('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - pageSize); loadWorklist(); });
    $('next').addEventListener('click', () => { state.offset += pageSize; loadWorklist(); });
    $('reviewer').value = localStorage.getItem('sagitta.reviewer') || '';
  }

  function removeSelected() {
    if (!state.selected) return;
    state.landmarks.delete(state.selected);
    state.selected = null;
    remeasure();
  }

  // For automation and assistive tools: where a landmark is drawn, in page pixels.
  window.sagittaReview = {
    landmarkOnScreen(key) {
      const p = state.landmarks.get(key);
      if (!p) return null;
      const r = $('canvas').getBoundingClientRect();
      const s = toScreen(p);
      return { x: r.left + s.x, y: r.top + s.y };
    },
    ready: () => !!(state.job && state.parameters && state.windowed),
    landmarkCount: () => state.landmarks.size,
    constructionsDrawn: () => Object.keys(state.constructions).filter((k) => state.constructions[k].length >= 2),
  };

  async function start() {
    wire();
    try {
      state.catalogue = await call('GET', 'review/catalogue');
      await loadWorklist();
      const wanted = new URLSearchParams(location.search).get('job');
      if (wanted) await openJob(Number(wanted));
    } catch (e) {
      $('page-info').textContent = 'Sagitta cannot be reached: ' + e.message;
    }
  }
  start();
})();
