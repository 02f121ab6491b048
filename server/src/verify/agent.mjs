// Runs inside one network namespace of a kernel lab: answers on the
// listeners it is given and, on request (JSON lines on stdin), opens a TCP
// connection, sends a UDP datagram or pings (from a given source address if
// asked). Replies one JSON line per request.
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { networkInterfaces } from 'node:os';

const config = JSON.parse(process.argv[2] ?? '{}');
const ready = [];
for (const l of config.listen ?? []) {
  if (l.proto === 'tcp') {
    const srv = createServer((s) => {
      s.on('data', (d) => s.end(d));
      s.on('error', () => undefined);
      setTimeout(() => s.destroy(), 2000).unref();
    });
    srv.on('error', (e) => process.stderr.write(`listen tcp/${l.port}: ${e.message}\n`));
    ready.push(new Promise((r) => srv.listen(l.port, '0.0.0.0', r)));
  } else {
    // One socket per local address, as a UDP server that answers from the address it was asked
    // at: a 0.0.0.0 socket would answer from whatever address routing picks, and the client's
    // conntrack entry would not recognise the answer.
    const addrs = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4').map((a) => a.address);
    for (const addr of addrs.length ? addrs : ['0.0.0.0']) {
      const sock = createSocket('udp4');
      // Never answer an answer: NAT can send a reply back into this socket, and echoing it would loop forever.
      sock.on('message', (msg, rinfo) => {
        if (!msg.toString().startsWith('re:')) sock.send(`re:${msg}`, rinfo.port, rinfo.address);
      });
      sock.on('error', (e) => process.stderr.write(`listen udp/${l.port} on ${addr}: ${e.message}\n`));
      ready.push(new Promise((r) => sock.bind(l.port, addr, r)));
    }
  }
}

const reply = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function tcp(req) {
  return new Promise((resolve) => {
    const s = connect({ host: req.dst, port: req.dport, ...(req.src ? { localAddress: req.src } : {}), ...(req.sport ? { localPort: req.sport } : {}) });
    let got = '';
    const t = setTimeout(() => { s.destroy(); resolve({ ok: false, detail: 'timeout' }); }, req.timeoutMs ?? 400);
    // Wait a little before sending: the server's kernel then acknowledges the data from a socket
    // its process has accepted (owned), not from one still in the accept queue (no owner yet).
    s.on('connect', () => setTimeout(() => s.write(req.data ?? 'hello\n'), 30));
    s.on('data', (d) => { got += d; s.end(); });
    s.on('close', () => { clearTimeout(t); resolve({ ok: got.length > 0, detail: got ? 'echoed' : 'closed' }); });
    s.on('error', (e) => { clearTimeout(t); s.destroy(); resolve({ ok: false, detail: e.code ?? e.message }); });
  });
}

function udp(req) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    let done = false;
    const finish = (r) => { if (done) return; done = true; clearTimeout(t); try { s.close(); } catch {} resolve(r); };
    const t = setTimeout(() => finish({ ok: false, detail: 'timeout' }), req.timeoutMs ?? 300);
    s.on('message', () => finish({ ok: true, detail: 'answered' }));
    s.on('error', (e) => finish({ ok: false, detail: e.code ?? e.message }));
    const send = () => {
      s.connect(req.dport, req.dst, (err) => {
        if (err) return finish({ ok: false, detail: err.code });
        s.send(req.data ?? 'ping', (e) => { if (e) finish({ ok: false, detail: e.code }); });
      });
    };
    if (req.src) s.bind(req.sport ?? 0, req.src, send);
    else s.bind(req.sport ?? 0, send);
  });
}

function ping(req) {
  return new Promise((resolve) => {
    const from = req.src ? ['-I', req.src] : [];
    const p = spawn('ping', ['-n', '-q', '-c', '1', '-W', String((req.timeoutMs ?? 400) / 1000), ...from, req.dst], { stdio: 'ignore' });
    p.on('close', (code) => resolve({ ok: code === 0, detail: code === 0 ? 'answered' : 'no answer' }));
    p.on('error', (e) => resolve({ ok: false, detail: e.message }));
  });
}

await Promise.all(ready);
reply({ id: 0, ok: true, detail: 'ready' });
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  const r = req.op === 'tcp' ? await tcp(req) : req.op === 'udp' ? await udp(req) : await ping(req);
  reply({ id: req.id, ...r });
}
process.exit(0);
