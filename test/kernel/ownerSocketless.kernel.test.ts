/**
 * -m owner on packets no process of the host sent, against the kernel with
 * the shipped `nflens verify` (server/out/nflens.js, built by npm run build):
 * - the VXLAN datagrams of an overlay trace (examples/overlay): no socket of
 *   the host, so --uid-owner and --socket-exists fail and ! --uid-owner holds;
 * - the host's own replies: a REJECT's TCP reset has no socket; ICMP errors,
 *   echo replies and a closed port's reset come from a kernel socket without
 *   a file, where "! --gid-owner 0 --suppl-groups" holds (xt_owner ignores
 *   --suppl-groups there) and --uid-owner 0 does not.
 * - -m recent --rttl on the host's resets: a REJECT's (no socket) is counted
 *   with one more TTL, as a forwarded packet is; a closed port's is not.
 * Each OUTPUT chain tells the cases apart by which rule accepts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { VerifyReport } from '../../server/src/verify/verifyReport';
import { labAvailable } from '../../server/src/verify/preconditions';

const root = join(__dirname, '..', '..', '..');
const NFLENS = join(root, 'server', 'out', 'nflens.js');
const avail = labAvailable();
const skip = avail.ok ? (existsSync(NFLENS) ? false : `KERNEL OWNER TESTS SKIPPED: ${NFLENS} is not built (npm run build)`) : `KERNEL OWNER TESTS SKIPPED: ${avail.why}`;
if (skip) console.log(`\n!!! ${skip}\n`);

/** Runs nflens verify with --format json; the report, or a failure with what it printed. */
function verify(args: readonly string[]): Promise<{ code: number | null; report: VerifyReport; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NFLENS, 'verify', ...args, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) => {
      let report = {} as VerifyReport;
      try {
        report = JSON.parse(out) as VerifyReport;
      } catch {
        // The assertion on the exit code shows what was printed.
      }
      resolve({ code, report, text: err + out });
    });
  });
}

/** The rule (OUTPUT#i:VERDICT) that decided each packet's filter OUTPUT run, in the report's packet order. */
const outputVerdicts = (comparison: string): string[] => [...comparison.matchAll(/ filter OUTPUT \S+ \| (\S+)/g)].map((m) => m[1]!);

describe('kernel: -m owner and -m recent on packets without a process\'s socket', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nflens-owner-kernel-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('examples/overlay: the VXLAN datagrams have no socket on either host; the overlay trace agrees with the kernel', async () => {
    const overlay = join(root, 'examples', 'overlay');
    const ws = join(dir, 'overlay');
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, 'nflens-workspace.json'), readFileSync(join(overlay, 'nflens-workspace.json'), 'utf8'));
    const owner = '-A OUTPUT -p udp -m udp --dport 4789 -m owner --uid-owner 0 -j DROP\n'
      + '-A OUTPUT -p udp -m udp --dport 4789 -m owner --socket-exists -j DROP\n'
      + '-A OUTPUT -p udp -m udp --dport 4789 -m owner ! --uid-owner 0 -j ACCEPT\n';
    for (const h of ['hostA', 'hostB']) {
      const rules = readFileSync(join(overlay, `${h}.rules`), 'utf8').replace(/\*filter\n((?::[^\n]*\n)*)/, (m) => m + owner);
      assert.notEqual(rules, readFileSync(join(overlay, `${h}.rules`), 'utf8'));
      writeFileSync(join(ws, `${h}.rules`), rules);
    }
    const r = await verify(['--workspace', join(ws, 'nflens-workspace.json'), '--proto', 'icmp', '--src', 'net1c1', '--dst', 'net1c2']);
    assert.equal(r.code, 0, r.text);
    const j = r.report;
    assert.equal(j.verdict, 'agree', j.comparison);
    assert.equal(j.kernelOutcome.ok, true, 'the ping is answered in the kernel');
    assert.equal(j.emulatorOutcome.completed, true, j.emulatorOutcome.summary);
    // The request leaving hostA and the reply leaving hostB: neither owner rule holds, the inverted one accepts.
    assert.deepEqual(outputVerdicts(j.comparison), ['OUTPUT#2:ACCEPT', 'OUTPUT#2:ACCEPT'], j.comparison);
  });

  const SOCKETS = [
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -p tcp -m tcp --dport 81 -j REJECT --reject-with tcp-reset',
    '-A INPUT -p tcp -m tcp --dport 82 -j REJECT --reject-with icmp-port-unreachable',
    '-A OUTPUT -m owner --uid-owner 0 -j DROP',
    '-A OUTPUT -m owner ! --socket-exists -j ACCEPT',
    '-A OUTPUT -m owner ! --gid-owner 0 --suppl-groups -j ACCEPT',
    '-A OUTPUT -m owner --socket-exists -j ACCEPT',
    'COMMIT', '',
  ].join('\n');
  const cases: { what: string; proto: string; dst: string; took: string }[] = [
    { what: 'the echo reply (the kernel\'s ICMP socket)', proto: 'icmp', dst: '10.0.0.1', took: 'OUTPUT#2:ACCEPT' },
    { what: 'a REJECT\'s TCP reset (no socket)', proto: 'tcp', dst: '10.0.0.1:81', took: 'OUTPUT#1:ACCEPT' },
    { what: 'a REJECT\'s ICMP error (the kernel\'s ICMP socket)', proto: 'tcp', dst: '10.0.0.1:82', took: 'OUTPUT#2:ACCEPT' },
    { what: 'a closed TCP port\'s reset (the kernel\'s TCP control socket)', proto: 'tcp', dst: '10.0.0.1:83', took: 'OUTPUT#2:ACCEPT' },
    { what: 'a closed UDP port\'s ICMP port unreachable', proto: 'udp', dst: '10.0.0.1:83', took: 'OUTPUT#2:ACCEPT' },
  ];
  for (const c of cases) {
    it(`the host's own replies: ${c.what} agrees with the kernel`, async () => {
      const file = join(dir, 'sockets.rules');
      writeFileSync(file, SOCKETS);
      const r = await verify([file, '--proto', c.proto, '--src', '198.51.100.7', '--in', 'eth0', '--dst', c.dst]);
      assert.equal(r.code, 0, r.text);
      const j = r.report;
      assert.equal(j.verdict, 'agree', j.comparison);
      assert.deepEqual(outputVerdicts(j.comparison), [c.took], j.comparison);
      // The emulator's own conversation ends as the kernel's did (the echo reply is not assumed to be uid 0's).
      assert.equal(j.emulatorOutcome.completed, j.kernelOutcome.ok, `${j.emulatorOutcome.summary} / ${j.kernelOutcome.detail}`);
    });
  }

  // xt_recent counts a packet's TTL as before forwarding (+1) in OUTPUT when it has no socket of the namespace.
  const RECENT = [
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -p tcp -m recent --name seen --set',
    '-A INPUT -p tcp -m tcp --dport 81 -j REJECT --reject-with tcp-reset',
    '-A OUTPUT -p tcp -m recent --name seen --rdest --rcheck --rttl -j ACCEPT',
    '-A OUTPUT -p tcp -m recent --name seen --rdest --rcheck -j ACCEPT',
    'COMMIT', '',
  ].join('\n');
  for (const c of [{ what: 'a REJECT\'s reset (no socket: TTL 64 counted as 65)', dst: '10.0.0.1:81', took: 'OUTPUT#1:ACCEPT' }, { what: 'a closed port\'s reset (a kernel socket: TTL 64 as is)', dst: '10.0.0.1:83', took: 'OUTPUT#0:ACCEPT' }]) {
    it(`-m recent --rttl on the host's reply: ${c.what} agrees with the kernel`, async () => {
      const file = join(dir, 'recent.rules');
      writeFileSync(file, RECENT);
      const r = await verify([file, '--proto', 'tcp', '--src', '198.51.100.7', '--in', 'eth0', '--dst', c.dst]);
      assert.equal(r.code, 0, r.text);
      assert.equal(r.report.verdict, 'agree', r.report.comparison);
      assert.deepEqual(outputVerdicts(r.report.comparison), [c.took], r.report.comparison);
    });
  }
});
