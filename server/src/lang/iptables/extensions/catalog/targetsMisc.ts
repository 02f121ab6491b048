/**
 * Catalogued targets that act on the side: AUDIT, IDLETIMER, LED, RATEEST,
 * SET, SYNPROXY, TEE, CLUSTERIP (iptables 1.8.9 extensions/libxt_*.c,
 * libipt_CLUSTERIP.c; kernel net/netfilter/xt_*.c).
 */
import { strtod, xtStrtoul } from '../../cnum';
import { defineExtension, type AnyExtension } from '../../extension';
import { anyOf, F, IPPROTO } from './util';

const AUDIT = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'AUDIT',
  summary: 'Records an audit event for the packet (type accept, drop or reject); processing continues.',
  options: [{ name: 'type', id: 0, type: 'string', mand: true, doc: 'accept, drop or reject' }],
  init: () => ({}),
  parse(c) {
    const t = (c.arg ?? '').toLowerCase();
    if (t !== 'accept' && t !== 'drop' && t !== 'reject') c.fail(`Bad action type value "${c.arg}"`);
  },
});

interface Idletimer {
  timeout: number;
  label: string;
}

const IDLETIMER = defineExtension<Idletimer>({
  kind: 'target',
  name: 'IDLETIMER',
  summary: 'Restarts a named timer (in sysfs) each time a packet passes; it fires after the timeout of inactivity.',
  options: [
    { name: 'timeout', id: 0, type: 'uint32', mand: true, doc: 'seconds of inactivity before the timer fires' },
    { name: 'label', id: 1, type: 'string', size: 28, mand: true, doc: 'timer name (27 characters at most)' },
    { name: 'alarm', id: 2, type: 'none', doc: 'use an alarm timer (wakes the system)' },
  ],
  init: () => ({ timeout: 0, label: '' }),
  parse(c) {
    if (c.option.id === 0) c.data.timeout = Number(c.val.u ?? 0n);
    if (c.option.id === 1) c.data.label = c.val.str ?? '';
  },
  kernel: {
    // A label reused with a different --alarm setting is refused too (not checked here).
    check(ctx) {
      const { timeout, label } = ctx.data;
      if (timeout === 0) return 'timeout value is zero';
      if (timeout >= 2147483) return 'timeout value is too big (at most 2147482 seconds)';
      if (label === '') return 'label is empty or not nul-terminated';
      if (label.includes('/') || label === '.' || label === '..') return `label "${label}" cannot be a sysfs file name`;
      return undefined;
    },
  },
});

const LED = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'LED',
  summary: 'Blinks an LED trigger ("netfilter-ID") when packets pass (needs the xt_LED module).',
  options: [
    { name: 'led-trigger-id', id: 0, type: 'string', min: 0, max: 16, mand: true, doc: 'trigger name suffix (16 characters at most)' },
    { name: 'led-delay', id: 1, type: 'string', doc: 'milliseconds the LED stays on, or "inf"' },
    { name: 'led-always-blink', id: 2, type: 'none', doc: 'blink even if the LED is already on' },
  ],
  init: () => ({}),
  parse(c) {
    const arg = c.arg ?? '';
    if (c.option.id === 1 && arg.slice(0, 3).toLowerCase() !== 'inf' && !xtStrtoul(arg, 0, 0xffffffff)) {
      c.fail('Delay value must be within range 0..4294967295');
    }
  },
});

/** RATEEST_get_time(): microseconds, from a number with an optional s/ms/us unit. */
function rateestTime(s: string): number | undefined {
  const r = strtod(s);
  if (!r) return undefined;
  const unit = s.slice(r.end).toLowerCase();
  let t = r.value;
  if (['s', 'sec', 'secs'].includes(unit)) t *= 1e6;
  else if (['ms', 'msec', 'msecs'].includes(unit)) t *= 1e3;
  else if (!['', 'us', 'usec', 'usecs'].includes(unit)) return undefined;
  // Stored in an unsigned int, as x86-64 truncates.
  const i = Math.trunc(t);
  return Number.isFinite(i) && Math.abs(i) < 2 ** 63 ? Number(BigInt(i) & 0xffffffffn) : 0;
}

interface Rateest {
  name?: string;
  interval: number;
  ewma: number;
  /** The kernel's stored parameters (interval index, ewma log): a second RATEEST of the same name must repeat them. */
  params?: string;
}

const RATEEST = defineExtension<Rateest>({
  kind: 'target',
  name: 'RATEEST',
  summary: 'Feeds packets into a named rate estimator, which the rateest match can test.',
  options: [
    { name: 'rateest-name', id: 0, type: 'string', size: 16, mand: true, doc: 'estimator name' },
    { name: 'rateest-interval', id: 1, type: 'string', mand: true, doc: 'measurement interval, e.g. 250ms (at most 8s)' },
    { name: 'rateest-ewmalog', id: 2, type: 'string', mand: true, doc: 'averaging time constant, e.g. 1s' },
  ],
  init: () => ({ interval: 0, ewma: 0 }),
  parse(c) {
    if (c.option.id === 0) {
      c.data.name = c.val.str ?? c.arg ?? '';
      return;
    }
    const t = rateestTime(c.arg ?? '') ?? c.fail(`RATEEST: bad ${c.option.id === 1 ? 'interval' : 'ewmalog'} value "${c.arg}"`);
    if (c.option.id === 1) c.data.interval = t;
    else c.data.ewma = t;
  },
  finalCheck(c) {
    const { interval, ewma } = c.data;
    let iv = 0;
    while (iv <= 5 && !(interval <= (1 << iv) * 250000)) iv++;
    if (iv > 5) c.fail('RATEEST: interval value is too large');
    let log = 1;
    for (; log < 32; log++) {
      const w = 1.0 - 1.0 / (1 << log);
      if (interval / -Math.log(w) > ewma) break;
    }
    log--;
    if (log === 0 || log >= 31) c.fail('RATEEST: ewmalog value is out of range');
    c.data.params = `${iv - 2}/${log}`;
  },
  // A second RATEEST with the same name must repeat the same parameters: see kernelChecks' shared objects.
});

/* ----------------------------------------------------------------- SET -- */

const S = { ADD: 0x1, DEL: 0x2, EXIST: 0x4, TIMEOUT: 0x8, MAP: 0x10, MARK: 0x20, PRIO: 0x40, QUEUE: 0x80 } as const;

interface SetTarget {
  add: boolean;
  del: boolean;
  map: boolean;
  prioOrQueue: boolean;
}

/** parse_dirs(): up to 6 comma-separated "src"/"dst" (only the first 3 letters count). */
function parseDirs(text: string, fail: (m: string) => never): void {
  const parts = text.split(',');
  parts.slice(0, 6).forEach((p) => {
    if (!p.startsWith('src') && !p.startsWith('dst')) fail("You must spefify (the comma separated list of) 'src' or 'dst'.");
  });
  if (parts.length > 6) fail("Can't be more src/dst options than 6.");
}

const SET = defineExtension<SetTarget>({
  kind: 'target',
  name: 'SET',
  oldApi: true,
  summary: 'Adds the packet\'s address/port to an ipset, deletes it, or maps packet properties from one (revision 3).',
  options: [
    { name: 'add-set', id: '1'.charCodeAt(0), hasArg: 1, doc: 'SETNAME FLAGS: add src/dst,… to the set' },
    { name: 'del-set', id: '2'.charCodeAt(0), hasArg: 1, doc: 'SETNAME FLAGS: delete src/dst,… from the set' },
    { name: 'exist', id: '3'.charCodeAt(0), hasArg: 0, doc: 'with --add-set: refresh the timeout of existing entries' },
    { name: 'timeout', id: '4'.charCodeAt(0), hasArg: 1, doc: 'with --add-set: timeout of the new entry (seconds)' },
    { name: 'map-set', id: '5'.charCodeAt(0), hasArg: 1, doc: 'SETNAME FLAGS: take mark/priority/queue from the set' },
    { name: 'map-mark', id: '6'.charCodeAt(0), hasArg: 0, doc: 'with --map-set: set the packet mark' },
    { name: 'map-prio', id: '7'.charCodeAt(0), hasArg: 0, doc: 'with --map-set: set the skb priority' },
    { name: 'map-queue', id: '8'.charCodeAt(0), hasArg: 0, doc: 'with --map-set: set the hardware queue' },
  ],
  init: () => ({ add: false, del: false, map: false, prioOrQueue: false }),
  parse(c) {
    const d = c.data;
    const fail = (m: string): never => c.fail(m);
    const setArg = (what: string, given: boolean): void => {
      if (given) fail(`--${what} can be specified only once`);
      const next = c.peekArg();
      if (next === undefined || next[0] === '-' || next[0] === '!') fail(`--${what} requires two args.`);
      const name = c.arg ?? '';
      if (name.length > 31) fail(`setname \`${name}' too long, max 31 characters.`);
      // iptables then asks the kernel for the set: it must exist when the rules are loaded.
      parseDirs(c.takeArg(), fail);
    };
    switch (String.fromCharCode(c.option.id)) {
      case '1':
        setArg('add-set', d.add);
        d.add = true;
        c.xflags |= S.ADD;
        break;
      case '2':
        setArg('del-set', d.del);
        d.del = true;
        c.xflags |= S.DEL;
        break;
      case '3':
        c.xflags |= S.EXIST;
        break;
      case '4':
        if (!xtStrtoul(c.arg ?? '', 0, 0xfffffffe)) fail('Invalid value for option --timeout or out of range 0-4294967294');
        c.xflags |= S.TIMEOUT;
        break;
      case '5':
        setArg('map-set', d.map);
        d.map = true;
        c.xflags |= S.MAP;
        break;
      case '6':
        c.xflags |= S.MARK;
        break;
      case '7':
        d.prioOrQueue = true;
        c.xflags |= S.PRIO;
        break;
      case '8':
        d.prioOrQueue = true;
        c.xflags |= S.QUEUE;
        break;
    }
  },
  finalCheck(c) {
    const f = c.xflags;
    if (!(f & (S.ADD | S.DEL | S.MAP))) c.fail("You must specify either `--add-set' or `--del-set' or `--map-set'");
    if (!(f & S.ADD)) {
      if (f & S.EXIST) c.fail("Flag `--exist' can be used with `--add-set' only");
      if (f & S.TIMEOUT) c.fail("Option `--timeout' can be used with `--add-set' only");
    }
    if (!(f & S.MAP)) {
      if (f & S.MARK) c.fail("Flag `--map-mark' can be used with `--map-set' only");
      if (f & S.PRIO) c.fail("Flag `--map-prio' can be used with `--map-set' only");
      if (f & S.QUEUE) c.fail("Flag `--map-queue' can be used with `--map-set' only");
    }
    if (f & S.MAP && !(f & (S.MARK | S.PRIO | S.QUEUE))) {
      c.fail("You must specify flags `--map-mark' or '--map-prio` or `--map-queue'");
    }
  },
  kernel: {
    check(ctx) {
      if (!ctx.data.map) return undefined;
      if (ctx.table !== 'mangle') return '--map-set only usable from mangle table';
      if (ctx.data.prioOrQueue && anyOf(ctx.hooks, ['PREROUTING', 'INPUT'])) {
        return 'mapping of prio or/and queue is allowed only from OUTPUT/FORWARD/POSTROUTING chains';
      }
      return undefined;
    },
  },
});

const SYNPROXY = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'SYNPROXY',
  summary: 'Answers TCP SYNs with SYN cookies and hands validated connections on (INPUT/FORWARD, -p tcp).',
  options: [
    { name: 'sack-perm', id: 0, type: 'none', doc: 'pass the SACK-permitted option on' },
    { name: 'timestamp', id: 1, type: 'none', doc: 'pass the timestamp option on' },
    { name: 'wscale', id: 2, type: 'uint32', doc: 'window scale to announce' },
    { name: 'mss', id: 3, type: 'uint32', doc: 'MSS to announce' },
    { name: 'ecn', id: 4, type: 'none', doc: 'pass ECN on' },
  ],
  init: () => ({}),
  kernel: { proto: IPPROTO.TCP, hooks: ['INPUT', 'FORWARD'] },
});

interface Tee {
  zero: boolean;
}

const TEE = defineExtension<Tee>({
  kind: 'target',
  name: 'TEE',
  summary: 'Sends a copy of the packet to another gateway; the original continues.',
  options: [
    { name: 'gateway', id: 0, type: 'host', mand: true, doc: 'address of the gateway to send the copy to' },
    { name: 'oif', id: 1, type: 'string', size: 16, doc: 'output interface for the copy' },
  ],
  init: () => ({ zero: false }),
  parse(c) {
    const h = c.val.host;
    if (c.option.id === 0 && h) c.data.zero = h.hostname === undefined && (h.v4 === 0 || (h.v6 !== undefined && h.v6.every((g) => g === 0)));
  },
  kernel: { check: (ctx) => (ctx.data.zero ? 'the gateway cannot be the all-zero address' : undefined) },
});

/* ----------------------------------------------------------- CLUSTERIP -- */

const C = { NEW: 0, HASHMODE: 1, CLUSTERMAC: 2, TOTAL: 3, LOCAL: 4, HASHINIT: 5 } as const;
const C_FULL = F(C.NEW) | F(C.HASHMODE) | F(C.CLUSTERMAC) | F(C.TOTAL) | F(C.LOCAL);

const CLUSTERIP = defineExtension<Record<string, never>>({
  kind: 'target',
  name: 'CLUSTERIP',
  family: 'ipv4',
  summary: 'Shares one IP address between cluster nodes by multicast MAC and hashing (removed in Linux 6.3).',
  options: [
    { name: 'new', id: C.NEW, type: 'none', doc: 'create a new cluster IP' },
    { name: 'hashmode', id: C.HASHMODE, type: 'string', doc: 'sourceip, sourceip-sourceport or sourceip-sourceport-destport' },
    { name: 'clustermac', id: C.CLUSTERMAC, type: 'ethermac', doc: 'multicast MAC address of the cluster' },
    { name: 'total-nodes', id: C.TOTAL, type: 'uint16', max: 16, doc: 'number of nodes (at most 16)' },
    { name: 'local-node', id: C.LOCAL, type: 'uint16', max: 16, doc: 'this node\'s number' },
    { name: 'hash-init', id: C.HASHINIT, type: 'uint32', max: 0xffffffff, doc: 'hash seed' },
  ],
  init: () => ({}),
  parse(c) {
    if (c.option.id === C.HASHMODE) {
      const m = c.arg ?? '';
      if (!['sourceip', 'sourceip-sourceport', 'sourceip-sourceport-destport'].includes(m)) c.fail(`Unknown hashmode "${m}"`);
    }
    if (c.option.id === C.CLUSTERMAC && !((c.val.mac?.[0] ?? 0) & 1)) c.fail('MAC has to be a multicast ethernet address');
  },
  finalCheck(c) {
    if (c.xflags !== 0 && (c.xflags & C_FULL) !== C_FULL) c.fail('CLUSTERIP target: Invalid parameter combination');
    c.warn('The CLUSTERIP target was removed from Linux 6.3: newer kernels refuse the rule.', 'removed-extension');
  },
});

export const TARGETS_MISC: readonly AnyExtension[] = [AUDIT, IDLETIMER, LED, RATEEST, SET, SYNPROXY, TEE, CLUSTERIP];
