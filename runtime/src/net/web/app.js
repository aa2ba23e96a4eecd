// Rill's Web UI: a client of the JobManager's REST API (as Flink's is of Flink's), one
// page per route of the hash (#/overview, #/jobs, #/jobs/ID, #/taskmanagers, #/submit).
// No framework and no network beyond the JobManager: it works offline. Requests that change
// something carry the cluster's token, which the page takes from `#token=...` once (the
// fragment never reaches a server) or asks for, and keeps in this browser's localStorage.
'use strict';

const page = document.getElementById('page');
let refresh = null;
// What the last Cancel or Stop on a job's page answered, by job id: a refresh redraws the page
// every second and must not wipe it before it is read.
const actionResults = {};

function keepToken() {
  const m = location.hash.match(/[#&?]token=([0-9a-fA-F]+)/);
  if (m) {
    localStorage.setItem('rill-token', m[1]);
    location.hash = location.hash.replace(/[&?]?token=[0-9a-fA-F]+/, '') || '#/overview';
  }
  document.getElementById('token-state').textContent = localStorage.getItem('rill-token') ? 'token set' : 'no token';
}

function token() {
  let t = localStorage.getItem('rill-token');
  if (!t) {
    t = prompt("The cluster's token (the file 'token' in its home, $RILL_HOME):");
    if (t) localStorage.setItem('rill-token', t.trim());
  }
  return t ? t.trim() : '';
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (options.method && options.method !== 'GET') headers['Authorization'] = 'Bearer ' + token();
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = text; }
  if (!response.ok) {
    const why = body && body.errors ? body.errors.join('; ') : response.status + ' ' + text;
    throw new Error(why);
  }
  return body;
}

function esc(v) {
  return String(v === undefined || v === null ? '' : v).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function duration(ms) {
  if (ms < 1000) return ms + ' ms';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  return m < 60 ? m + ' min ' + (s % 60) + ' s' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

function when(ms) { return ms > 0 ? new Date(ms).toLocaleString() : '—'; }

function stateBadge(s) { return '<span class="state ' + esc(s) + '">' + esc(s) + '</span>'; }

function jobsTable(jobs) {
  if (!jobs.length) return '<p class="note">No jobs.</p>';
  const rows = jobs.map(j => '<tr class="job-row" data-id="' + esc(j.jid) + '"><td><a href="#/jobs/' + esc(j.jid) + '">' + esc(j.name) + '</a></td><td>' +
    stateBadge(j.state) + '</td><td>' + when(j['start-time']) + '</td><td>' + duration(j.duration) + '</td><td>' + esc(j.parallelism) +
    '</td><td class="note">' + esc(j.jid) + '</td></tr>').join('');
  return '<table id="jobs"><tr><th>Job</th><th>Status</th><th>Start</th><th>Duration</th><th>Parallelism</th><th>Id</th></tr>' + rows + '</table>';
}

async function overview() {
  const [o, jobs] = await Promise.all([api('/overview'), api('/jobs/overview')]);
  const card = (id, n, what) => '<div class="card" id="' + id + '"><div class="n">' + esc(n) + '</div>' + what + '</div>';
  return '<h1>Overview</h1><div class="cards">' +
    card('card-taskmanagers', o.taskmanagers, 'Task Managers') + card('card-slots', o['slots-available'] + ' / ' + o['slots-total'], 'Slots free / total') +
    card('card-running', o['jobs-running'], 'Running') + card('card-finished', o['jobs-finished'], 'Finished') +
    card('card-cancelled', o['jobs-cancelled'], 'Canceled') + card('card-failed', o['jobs-failed'], 'Failed') + '</div>' +
    '<h2>Running jobs</h2>' + jobsTable(jobs.jobs.filter(j => j.state === 'RUNNING' || j.state === 'CREATED'));
}

async function jobs() {
  const all = await api('/jobs/overview');
  return '<h1>Jobs</h1>' + jobsTable(all.jobs);
}

// The job graph: chains in columns by their distance from the sources, edges with their
// partitioning; each vertex coloured by its back-pressure (OK, LOW, HIGH).
function graph(plan, vertices, pressure) {
  const chains = plan.chains || [], edges = plan.edges || [];
  const level = {};
  chains.forEach(c => { level[c.id] = 0; });
  for (let pass = 0; pass < chains.length; pass++) {
    edges.forEach(e => { level[e.target] = Math.max(level[e.target], level[e.source] + 1); });
  }
  const columns = {};
  chains.forEach(c => { (columns[level[c.id]] = columns[level[c.id]] || []).push(c); });
  const W = 230, H = 74, GX = 90, GY = 30, pos = {};
  Object.keys(columns).forEach(l => columns[l].forEach((c, i) => { pos[c.id] = { x: 20 + l * (W + GX), y: 20 + i * (H + GY) }; }));
  const width = 40 + (Object.keys(columns).length) * (W + GX), height = 40 + Math.max(...Object.values(columns).map(c => c.length)) * (H + GY);
  const byId = {};
  vertices.forEach(v => { byId[v.id] = v; });
  let svg = '<svg id="graph" width="' + width + '" height="' + height + '" xmlns="http://www.w3.org/2000/svg">';
  edges.forEach(e => {
    const a = pos[e.source], b = pos[e.target];
    if (!a || !b) return;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    svg += '<path class="edge" d="M' + x1 + ',' + y1 + ' C' + (x1 + GX / 2) + ',' + y1 + ' ' + (x2 - GX / 2) + ',' + y2 + ' ' + x2 + ',' + y2 + '"/>';
    svg += '<text class="edge-label" x="' + ((x1 + x2) / 2 - 20) + '" y="' + ((y1 + y2) / 2 - 4) + '">' + esc(e.partitioner) + '</text>';
  });
  chains.forEach(c => {
    const p = pos[c.id], v = byId[c.id] || {}, m = v.metrics || {};
    const level = (pressure[c.id] || 'ok');
    const name = c.name.length > 34 ? c.name.slice(0, 33) + '…' : c.name;
    svg += '<g class="vertex ' + esc(level) + '" data-vertex="' + c.id + '" data-backpressure="' + esc(level) + '">' +
      '<rect x="' + p.x + '" y="' + p.y + '" width="' + W + '" height="' + H + '"><title>' + esc(c.name) + '</title></rect>' +
      '<text x="' + (p.x + 8) + '" y="' + (p.y + 18) + '" font-weight="600">' + esc(name) + '</text>' +
      '<text x="' + (p.x + 8) + '" y="' + (p.y + 36) + '">Parallelism ' + esc(c.parallelism) + ' · ' + esc(level.toUpperCase()) + '</text>' +
      '<text x="' + (p.x + 8) + '" y="' + (p.y + 54) + '">in ' + esc(m['read-records'] || 0) + ' · out ' + esc(m['write-records'] || 0) +
      (m['input-total'] ? '<tspan class="input-read"> · ' + esc(Math.floor(100 * m['input-read'] / m['input-total'])) + ' % read</tspan>' : '') + '</text></g>';
  });
  return svg + '</svg>';
}

async function job(id) {
  const j = await api('/jobs/' + id);
  const plan = j.plan || { chains: [], edges: [] };
  const running = j.state === 'RUNNING';
  const pressure = {}, watermarks = {};
  if (running) {
    await Promise.all((plan.chains || []).map(async c => {
      try {
        pressure[c.id] = (await api('/jobs/' + id + '/vertices/' + c.id + '/backpressure')).backpressureLevel;
        const w = (await api('/jobs/' + id + '/vertices/' + c.id + '/watermarks')).map(x => Number(x.value));
        const low = w.length ? Math.min(...w) : NaN;
        watermarks[c.id] = low > -9e18 ? new Date(low).toISOString() : 'No Watermark';
      } catch (_) { /* the job may have ended meanwhile */ }
    }));
  }
  const [checkpoints, exceptions] = await Promise.all([
    api('/jobs/' + id + '/checkpoints').catch(() => ({ history: [] })),
    api('/jobs/' + id + '/exceptions').catch(() => ({})),
  ]);
  const vertexRows = (j.vertices || []).map(v => {
    const m = v.metrics || {};
    return '<tr class="vertex-row" data-vertex="' + v.id + '"><td>' + esc(v.name) + '</td><td>' + esc(v.parallelism) + '</td><td>' + esc(m['read-records'] || 0) +
      '</td><td>' + esc(m['write-records'] || 0) + '</td><td class="bp">' + esc((pressure[v.id] || '—').toUpperCase()) + '</td><td>' +
      esc(watermarks[v.id] || '—') + '</td><td>' + stateBadge(v.status) + '</td></tr>';
  }).join('');
  const cpRows = (checkpoints.history || []).map(c => '<tr><td>' + esc(c.id) + '</td><td>' + esc(c.status) + '</td><td>' + when(c.latest_ack_timestamp) +
    '</td><td>' + esc(c.end_to_end_duration) + ' ms</td><td>' + esc(c.state_size) + ' B</td><td class="note">' + esc(c.external_path) + '</td></tr>').join('');
  // A job run alone (`--web-ui`) says it cannot be stopped from its page, as Flink's REST API
  // does (`isStoppable`): it is stopped where it runs, and it has no cluster token to ask for.
  const alone = j.isStoppable === false;
  const actions = running && alone ? '<p class="note" id="stopped-where-it-runs">' + esc(j.howToStop || '') + '</p>' : running ? '<div class="actions"><button class="danger" id="cancel">Cancel Job</button>' +
    '<input type="text" id="savepoint-dir" placeholder="savepoint directory (absolute, or s3://…)"><button id="stop">Stop with Savepoint</button></div>' : '';
  return '<h1 id="job-name">' + esc(j.name) + ' ' + stateBadge(j.state) + '</h1><p class="note">' + esc(j.jid) + ' · started ' + when(j['start-time']) +
    ' · ' + duration(j.duration) + '</p>' + actions + '<div id="action-result">' + (actionResults[id] || '') + '</div>' + graph(plan, j.vertices || [], pressure) +
    '<h2>Vertices</h2><table id="vertices"><tr><th>Name</th><th>Parallelism</th><th>Records in</th><th>Records out</th><th>Back pressure</th><th>Low watermark</th><th>Status</th></tr>' + vertexRows + '</table>' +
    '<h2>Checkpoints</h2>' + (cpRows ? '<table id="checkpoints"><tr><th>Id</th><th>Status</th><th>Completed</th><th>Duration</th><th>Size</th><th>Path</th></tr>' + cpRows + '</table>' : '<p class="note">None retained.</p>') +
    '<h2>Exceptions</h2>' + (exceptions['root-exception'] ? '<pre id="exception">' + esc(exceptions['root-exception']) + '</pre>' : '<p class="note">None.</p>') +
    '<h2>Output</h2><p><a href="/jobs/' + esc(id) + '/stdout" target="_blank">stdout</a> · <a href="/jobs/' + esc(id) + '/log" target="_blank">log</a></p>';
}

function wireJob(id) {
  // The answer is kept for the page's next redraws and shown in whichever #action-result is current.
  const answer = html => {
    actionResults[id] = html;
    const result = document.getElementById('action-result');
    if (result) result.innerHTML = html;
  };
  const cancel = document.getElementById('cancel');
  if (cancel) cancel.onclick = async () => {
    try { await api('/jobs/' + id + '?mode=cancel', { method: 'PATCH' }); answer(esc('Cancelling…')); } catch (e) { answer('<p class="error">' + esc(e.message) + '</p>'); }
  };
  const stop = document.getElementById('stop');
  if (stop) stop.onclick = async () => {
    const dir = document.getElementById('savepoint-dir').value.trim();
    try {
      await api('/jobs/' + id + '/stop', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ targetDirectory: dir, drain: false }) });
      answer(esc('Stopping with a savepoint…'));
    } catch (e) { answer('<p class="error">' + esc(e.message) + '</p>'); }
  };
}

async function taskmanagers() {
  const t = await api('/taskmanagers');
  const now = Date.now();
  const rows = t.taskmanagers.map(tm => '<tr class="tm-row"><td>' + esc(tm.name) + '</td><td>' + esc(tm.slotsNumber) + '</td><td>' + esc(tm.freeSlots) +
    '</td><td>' + duration(Math.max(0, now - tm.timeSinceLastHeartbeat)) + ' ago</td><td>' + esc(tm.memory ? (tm.memory / 1048576).toFixed(1) + ' MiB' : '—') +
    '</td><td>' + when(tm.registered) + '</td><td><a href="/taskmanagers/' + esc(tm.id) + '/log" target="_blank">log</a> · <a href="/taskmanagers/' + esc(tm.id) + '/stdout" target="_blank">stdout</a></td></tr>').join('');
  return '<h1>Task Managers</h1><table id="taskmanagers"><tr><th>Name</th><th>Slots</th><th>Free</th><th>Last heartbeat</th><th>Memory (RSS)</th><th>Registered</th><th>Files</th></tr>' + rows + '</table>';
}

function submit() {
  return '<h1>Submit New Job</h1><p class="note">A job binary built with cargo (an ELF executable), run on this cluster.</p>' +
    '<p><input type="file" id="binary"></p><p>Parallelism <input type="text" id="parallelism" value="1" style="width:4rem"></p>' +
    '<p>Job parameters <input type="text" id="args" placeholder="--port 9000"></p><button id="run">Upload and Run</button><div id="submit-result"></div>';
}

function wireSubmit() {
  document.getElementById('run').onclick = async () => {
    const out = document.getElementById('submit-result');
    const file = document.getElementById('binary').files[0];
    if (!file) { out.innerHTML = '<p class="error">Choose a job binary first.</p>'; return; }
    try {
      out.textContent = 'Uploading…';
      const uploaded = await api('/jars/upload?name=' + encodeURIComponent(file.name), { method: 'POST', body: file });
      const args = document.getElementById('args').value.trim();
      const body = { parallelism: Number(document.getElementById('parallelism').value) || 1, programArgsList: args ? args.split(/\s+/) : [] };
      const run = await api('/jars/' + uploaded.filename + '/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      location.hash = '#/jobs/' + run.jobid;
    } catch (e) { out.innerHTML = '<p class="error">' + esc(e.message) + '</p>'; }
  };
}

// Each show() is numbered: one that a newer one overtook while it waited for the server
// draws nothing (else a late answer for the page left behind would redraw over the page
// now shown, and wipe what is typed into it).
let shown = 0;
// The route whose page is on screen.
let drawn = null;

async function show() {
  const mine = ++shown;
  keepToken();
  if (refresh) { clearTimeout(refresh); refresh = null; }
  const route = (location.hash || '#/overview').slice(1).split('/').filter(Boolean);
  document.querySelectorAll('header nav a').forEach(a => a.classList.toggle('active', a.id === 'nav-' + (route[0] || 'overview')));
  const at = location.hash;
  try {
    let html, wire = () => {}, live = true;
    if (route[0] === 'jobs' && route[1]) { html = await job(route[1]); wire = () => wireJob(route[1]); }
    else if (route[0] === 'jobs') html = await jobs();
    else if (route[0] === 'taskmanagers') html = await taskmanagers();
    else if (route[0] === 'submit') { html = submit(); wire = wireSubmit; live = false; }
    else html = await overview();
    if (mine !== shown || at !== location.hash) return;
    // A page that does not refresh itself (the submit form) is drawn once per visit: drawn
    // again (a timer and a hash change both calling show()), it would lose what is typed.
    if (!live && drawn === at) return;
    // Typing into the page is not wiped by a refresh.
    const typing = document.activeElement && document.activeElement.tagName === 'INPUT';
    if (!typing) { page.innerHTML = html; wire(); drawn = at; }
    if (live) refresh = setTimeout(show, 1000);
  } catch (e) {
    if (mine !== shown || at !== location.hash) return;
    drawn = null;
    page.innerHTML = '<p class="error">' + esc(e.message) + '</p>';
    refresh = setTimeout(show, 2000);
  }
}

window.addEventListener('hashchange', show);
show();
