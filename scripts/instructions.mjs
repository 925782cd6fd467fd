// Drives a Palaver server for `scripts/instructions.sh`: signs up one user, opens SOCKETS
// sockets of theirs in one conversation, switches callgrind's instrumentation on, sends
// MESSAGES messages one at a time (each waited for on every socket), switches it off, and
// prints what was delivered. Usage: node instructions.mjs <port> <valgrind pid> <sockets> <messages>
// With PALAVER_COUNT_BASELINE set, the server is the load bench's raw broadcast baseline: no
// account, its `auth` frame names the room, and everything else has Palaver's shape.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const WebSocket = require('ws');
const [port, pid, sockets, messages] = process.argv.slice(2).map(Number);
const base = `http://127.0.0.1:${port}`;
let cookie = '';

async function call(name, form) {
  for (;;) {
    const res = await fetch(`${base}/api/${name}`, {
      method: 'POST',
      headers: { origin: base, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0];
    const text = await res.text();
    if (res.status === 503 || res.status === 429) {
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    if (res.status >= 300) throw new Error(`${name} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

const baseline = Boolean(process.env.PALAVER_COUNT_BASELINE);
let room = 1;
let token = '';
if (!baseline) {
  await call('sign_up', { username: 'counted', password: 'correct-horse-battery-9' });
  room = (await call('create_conversation', { title: 'Counted' })).id;
  ({ token } = await call('ws_token', {}));
}
const open = [];
const waiting = new Map();
let delivered = 0;
for (let i = 0; i < sockets; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { cookie, origin: base } });
  await new Promise((ok, fail) => { ws.once('open', ok); ws.once('error', fail); });
  const ready = new Promise((ok) => ws.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type === 'ready') ok();
    if (frame.type !== 'message') return;
    delivered++;
    const w = waiting.get(frame.message.client_id);
    if (w && --w.left === 0) w.done();
  }));
  ws.send(JSON.stringify(baseline ? { type: 'auth', token, room } : { type: 'auth', token }));
  await ready;
  open.push(ws);
}
execFileSync('callgrind_control', ['-i', 'on', String(pid)], { stdio: 'ignore' });
for (let m = 0; m < messages; m++) {
  const client_id = `m${m}`;
  const all = new Promise((done) => waiting.set(client_id, { left: sockets, done }));
  open[0].send(JSON.stringify({ type: 'send', conversation_id: room, client_id, body: `message ${m}` }));
  await all;
}
execFileSync('callgrind_control', ['-i', 'off', String(pid)], { stdio: 'ignore' });
console.log(`${delivered} deliveries (${messages} messages x ${sockets} sockets)`);
for (const ws of open) ws.close();
await new Promise((r) => setTimeout(r, 500));
