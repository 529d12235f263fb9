// A whole federation with the real binaries, on 127.0.0.1, in a temporary
// folder: a root, issuers serving their feeds, and one verifier service
// serving the built web pages (--web-root web/dist). Every process started
// here is remembered by pid and stopped by stop(); nothing is killed by name.
//
//   const fed = await startFederation({ issuers: [...] });
//   const a = await fed.issue('FR-75', { family_name: 'DIALLO' });  // {id, text, png}
//   await fed.revoke('FR-75', a.id); await fed.waitVerdict(a.text, 'revoked');
//   await fed.stop();
//
// Run alone (`node tests/web/federation.mjs`) it starts a demo federation,
// prints its URLs and the issued attestations, and waits for Ctrl-C.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.BIN ? path.resolve(ROOT, process.env.BIN) : path.join(ROOT, 'bin');
export const WEB_DIST = path.join(ROOT, 'web', 'dist');
const PASSPHRASE = 'correct-horse-battery';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A date YYYY-MM-DD, `days` from today (local calendar, as `date -d` does). */
export function day(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

// Every process started here, so that none outlives the test process, even
// when a test fails before it could stop them (stopped by pid, on exit).
const everyProcess = new Set();
const everyDir = new Set();
process.on('exit', () => {
  for (const rec of everyProcess) {
    if (!rec.exited) {
      try {
        process.kill(rec.proc.pid, 'SIGTERM');
      } catch {}
    }
  }
  if (!process.env.KEEP_TMP) for (const d of everyDir) fs.rmSync(d, { recursive: true, force: true });
});

export async function startFederation(opts = {}) {
  const issuers = opts.issuers || [
    { id: 'FR-75', name: 'Préfecture de police' },
    { id: 'FR-13', name: 'Préfecture des Bouches-du-Rhône' },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-web.'));
  everyDir.add(dir);
  const env = { ...process.env, API_PASSPHRASE: PASSPHRASE };
  const procs = [];
  const run = (tool, args) =>
    execFileSync(path.join(BIN, tool), args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const start = (name, tool, args) => {
    const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
    const p = spawn(path.join(BIN, tool), args, { cwd: dir, env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const rec = { name, proc: p, exited: false };
    p.on('exit', () => {
      rec.exited = true;
      everyProcess.delete(rec);
    });
    procs.push(rec);
    everyProcess.add(rec);
    return rec;
  };
  const stopProc = async (rec) => {
    if (!rec || rec.exited) return;
    const gone = new Promise((r) => rec.proc.once('exit', r));
    try {
      process.kill(rec.proc.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(rec.proc.pid, 'SIGKILL');
      } catch {}
    }, 5000);
    await gone;
    clearTimeout(t);
  };

  run('api-federation', ['init', '--dir', 'fed', '--kdf', 'interactive']);
  const byId = {};
  for (const [n, is] of issuers.entries()) {
    const port = await freePort();
    const idir = `iss${n + 1}`;
    run('api-issuer', ['init', '--dir', idir, '--id', is.id, '--name', is.name, '--kdf', 'interactive']);
    run('api-federation', ['add-issuer', '--dir', 'fed', '--id', is.id, '--name', is.name,
      '--pub', `${idir}/issuer.pub`, '--feed', `http://127.0.0.1:${port}`]);
    byId[is.id] = { ...is, dir: idir, port, proc: null };
  }
  run('api-federation', ['publish', '--dir', 'fed', '--out', 'tl.cose']);
  const rootKey = fs.readFileSync(path.join(dir, 'fed', 'root.pub'), 'utf8').trim();

  const startIssuer = async (id) => {
    const is = byId[id];
    is.proc = start(`issuer-${id}`, 'api-issuer', ['serve', '--dir', is.dir, '--listen', `127.0.0.1:${is.port}`,
      '--heartbeat', '1']);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${is.port}/feed/v1/${id}/checkpoint`)).ok, 15000,
      `issuer ${id}`);
  };
  for (const is of issuers) if (is.serve !== false) await startIssuer(is.id);

  const vport = await freePort();
  const verifierUrl = `http://127.0.0.1:${vport}`;
  const verifierArgs = ['serve', '--root', 'fed/root.pub', '--data', 'data', '--trust', 'tl.cose',
    '--listen', `127.0.0.1:${vport}`, '--sync-interval', '1', '--web-root', opts.webRoot || WEB_DIST,
    ...(opts.verifierArgs || [])];
  let verifier = start('verifier', 'api-verifier', verifierArgs);
  await waitFor(async () => (await fetch(`${verifierUrl}/trust/v1/trust-list.cose`)).ok, 20000, 'the verifier');

  let seq = 0;
  const fed = {
    dir, rootKey, verifierUrl, issuers: byId,
    /** Issues one attestation; returns {id, text, png}. */
    issue(iss, fields = {}) {
      const is = byId[iss];
      seq += 1;
      const h = {
        family_name: 'DIALLO', given_names: 'Aminata', birth_date: '1990-04-12', nationality: 'SEN',
        foreign_national_number: '7503123456', application: 'first',
        title_requested: 'carte de séjour temporaire salarié', work_authorised: true,
        filed_on: day(-40), valid_from: day(-10), valid_until: day(60), ...fields,
      };
      // Filed before the validity starts, as the issuer requires.
      if (!fields.filed_on && h.filed_on > h.valid_from) {
        const d = new Date(`${h.valid_from}T12:00:00Z`);
        d.setUTCDate(d.getUTCDate() - 30);
        h.filed_on = d.toISOString().slice(0, 10);
      }
      const file = `h${seq}.json`;
      fs.writeFileSync(path.join(dir, file), JSON.stringify(h));
      const out = run('api-issuer', ['issue', '--dir', is.dir, '--json', file, '--out', 'out', '--formats', 'png']);
      const id = out.trim().split(/\s+/)[0];
      return {
        id, iss, holder: h,
        text: fs.readFileSync(path.join(dir, 'out', `${id}.txt`), 'utf8').replace(/\n$/, ''),
        png: path.join(dir, 'out', `${id}.png`),
      };
    },
    revoke: (iss, id) => run('api-issuer', ['revoke', '--dir', byId[iss].dir, '--id', id, '--reason', 'fraud']),
    suspend: (iss, id) => run('api-issuer', ['suspend', '--dir', byId[iss].dir, '--id', id]),
    supersede: (iss, id) => run('api-issuer', ['supersede', '--dir', byId[iss].dir, '--id', id, '--decision', 'issued']),
    extend: (iss, id, until) => run('api-issuer', ['extend', '--dir', byId[iss].dir, '--id', id, '--until', until]),
    /** The verdict of the command-line verifier against the service's replica (read-only). */
    cliVerdict(text) {
      try {
        return JSON.parse(run('api-verifier', ['verify', '--root', 'fed/root.pub', '--data', 'data', '--payload', text,
          '--json']));
      } catch (e) {
        return JSON.parse(e.stdout.toString());
      }
    },
    /** Waits until the service's replica gives `want` for `text`. */
    async waitVerdict(text, want, ms = 20000) {
      await waitFor(() => fed.cliVerdict(text).result === want, ms, `verdict ${want}`);
    },
    /** Waits until the command-line verifier's report for `text` satisfies `pred`. */
    async waitReport(text, pred, what = 'a report', ms = 20000) {
      await waitFor(() => pred(fed.cliVerdict(text)), ms, what);
    },
    startIssuer,
    stopIssuer: async (id) => stopProc(byId[id].proc),
    async stopVerifier() {
      await stopProc(verifier);
    },
    async restartVerifier() {
      await stopProc(verifier);
      verifier = start('verifier', 'api-verifier', verifierArgs);
      await waitFor(async () => (await fetch(`${verifierUrl}/trust/v1/trust-list.cose`)).ok, 20000, 'the verifier');
    },
    log: (name) => {
      try {
        return fs.readFileSync(path.join(dir, `${name}.log`), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      for (const rec of procs.slice().reverse()) await stopProc(rec);
      if (!process.env.KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
      everyDir.delete(dir);
    },
  };
  return fed;
}

/** A y4m video (for Chromium's fake camera) of a QR code PNG on a white page, by ffmpeg. */
export function cameraVideo(png, out, { width = 640, height = 480, qrSize = 360 } = {}) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', png, '-vf',
    `scale=${qrSize}:${qrSize}:flags=neighbor,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p`,
    '-frames:v', '10', '-r', '10', out]);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fed = await startFederation();
  const a = fed.issue('FR-75');
  const b = fed.issue('FR-75', { family_name: 'MARTIN', application: 'renewal', work_authorised: 'previous',
    previous_title: { number: '7501234567', expires_on: day(-5) } });
  const c = fed.issue('FR-13', { family_name: 'NGUYEN', work_authorised: false });
  console.log(JSON.stringify({ dir: fed.dir, url: fed.verifierUrl, root: fed.rootKey,
    attestations: [a, b, c].map((x) => ({ id: x.id, iss: x.iss, text: x.text, png: x.png })) }, null, 1));
  process.on('SIGINT', async () => {
    await fed.stop();
    process.exit(0);
  });
  process.on('SIGTERM', async () => {
    await fed.stop();
    process.exit(0);
  });
  setInterval(() => {}, 1 << 30);
}
