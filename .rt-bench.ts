// TEMP fan-out check (not committed)
import WebSocket from 'ws';
const url = `${process.env.SUPABASE_URL!.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${process.env.SUPABASE_ANON_KEY}&vsn=2.0.0`;
const N = Number(process.env.N ?? 500), M = Number(process.env.M ?? 200);
const topic = 'realtime:bench-' + Date.now();
let received = 0; let done: () => void; const all = new Promise<void>((r) => (done = r));
const socks: WebSocket[] = [];
await Promise.all(Array.from({ length: N }, () => new Promise<void>((resolve) => {
  const ws = new WebSocket(url); socks.push(ws);
  ws.on('open', () => ws.send(JSON.stringify(['1', '1', topic, 'phx_join', { config: {} }])));
  let joined = false;
  ws.on('message', () => { if (!joined) { joined = true; resolve(); return; } if (++received === N * M) done(); });
})));
const sender = socks[0];
const t0 = performance.now();
// sender is also a member with self=false so N-1 receivers
for (let i = 0; i < M; i++) sender.send(JSON.stringify([ '1', String(i + 2), topic, 'broadcast', { type: 'broadcast', event: 'e', payload: { i, t: Date.now() } } ]));
const expected = (N - 1) * M;
const check = setInterval(() => { if (received >= expected) { clearInterval(check); const s = (performance.now() - t0) / 1000; console.log(`${expected} frames in ${s.toFixed(2)}s = ${Math.round(expected / s)} frames/s`); socks.forEach((w) => w.terminate()); process.exit(0); } }, 5);
setTimeout(() => { console.log('timeout, received', received, 'of', expected); process.exit(1); }, 60000);
