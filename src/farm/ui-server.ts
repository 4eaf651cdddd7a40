/**
 * `deforum queue ui`: a small web page of the farm's jobs, their state, worker, progress and ETA, and the last frame of
 * each render, refreshed every two seconds. Served on 127.0.0.1 only (the page can stop nothing, but it shows file
 * paths and frames). Three routes: the page, `/jobs.json` (what `queue status --json` prints) and
 * `/jobs/<id>/last-frame.png` (only the frame the job's progress names, and only inside its render folder's frames).
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { FarmQueue } from './queue-client.js';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>deforum render farm</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.4em 0.6em; border-bottom: 1px solid #ddd; vertical-align: middle; }
  progress { width: 10em; }
  img { width: 96px; image-rendering: pixelated; border: 1px solid #ccc; }
  .failed { color: #a00; } .completed { color: #070; } .active { color: #04a; }
  #error { color: #a00; }
</style>
</head>
<body>
<h1>deforum render farm</h1>
<p id="summary">loading…</p>
<p id="error"></p>
<table>
  <thead><tr><th>job</th><th>name</th><th>state</th><th>worker</th><th>progress</th><th>ETA</th><th>last frame</th><th>error / video</th></tr></thead>
  <tbody id="jobs"></tbody>
</table>
<script>
const cell = (row, text, className) => { const td = row.insertCell(); td.textContent = text; if (className) td.className = className; return td; };
const eta = (s) => s === null || s === undefined ? '' : s < 90 ? Math.round(s) + ' s' : Math.round(s / 60) + ' min';
async function refresh() {
  try {
    const response = await fetch('/jobs.json', { cache: 'no-store' });
    const jobs = await response.json();
    const body = document.getElementById('jobs');
    body.replaceChildren();
    for (const job of jobs) {
      const row = body.insertRow();
      row.id = 'job-' + job.id;
      row.dataset.state = job.state;
      cell(row, job.id);
      cell(row, job.name);
      cell(row, job.state + (job.cancelRequested && job.state !== 'failed' ? ' (cancel requested)' : ''), job.state);
      cell(row, job.worker || '');
      const p = job.progress;
      const bar = row.insertCell();
      if (p && p.frames > 0) {
        const meter = document.createElement('progress');
        meter.max = p.frames; meter.value = p.frame + 1;
        bar.append(meter, ' ' + (p.frame + 1) + '/' + p.frames + (p.secondsPerFrame ? ' · ' + p.secondsPerFrame.toFixed(2) + ' s/frame' : ''));
      }
      cell(row, job.state === 'active' && p ? eta(p.etaSeconds) : '');
      const frame = row.insertCell();
      if (p && p.lastFrameFile) {
        const img = document.createElement('img');
        img.alt = 'frame ' + p.frame + ' of job ' + job.id;
        img.src = '/jobs/' + encodeURIComponent(job.id) + '/last-frame.png?frame=' + p.frame;
        frame.append(img);
      }
      cell(row, job.error || job.video || '');
    }
    const counts = {};
    for (const job of jobs) counts[job.state] = (counts[job.state] || 0) + 1;
    document.getElementById('summary').textContent = jobs.length + (jobs.length === 1 ? ' job: ' : ' jobs: ') + Object.entries(counts).map(([s, n]) => n + ' ' + s).join(', ');
    document.getElementById('error').textContent = '';
  } catch (error) {
    document.getElementById('error').textContent = 'cannot read the queue: ' + error;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

/** The last frame a job's progress names, if it is a PNG in that job's own frames folder. */
async function lastFrame(queue: FarmQueue, id: string): Promise<string | undefined> {
  const { status } = await queue.job(id).catch(() => ({ status: undefined }));
  const file = status?.progress?.lastFrameFile;
  if (!status || !file) return undefined;
  const frames = path.join(status.outDir, 'frames') + path.sep;
  const resolved = path.resolve(file);
  if (!resolved.startsWith(frames) || path.extname(resolved) !== '.png') return undefined;
  const stats = await fsp.stat(resolved).catch(() => undefined);
  return stats?.isFile() ? resolved : undefined;
}

async function handle(queue: FarmQueue, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method !== 'GET') return send(response, 405, 'text/plain', 'only GET\n');
  if (url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', PAGE);
  if (url.pathname === '/jobs.json') return send(response, 200, 'application/json', JSON.stringify(await queue.status()));
  const frame = /^\/jobs\/([^/]+)\/last-frame\.png$/.exec(url.pathname);
  if (frame) {
    const file = await lastFrame(queue, decodeURIComponent(frame[1]));
    if (!file) return send(response, 404, 'text/plain', 'no frame yet\n');
    response.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
    return;
  }
  send(response, 404, 'text/plain', 'not found\n');
}

/** Serves the page on 127.0.0.1:`port` (0: a free port); resolves with the server once it listens. */
export function serveUi(queue: FarmQueue, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    handle(queue, request, response).catch((error: unknown) => send(response, 503, 'text/plain', `cannot read the queue: ${error instanceof Error ? error.message : String(error)}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
