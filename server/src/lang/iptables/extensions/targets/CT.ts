/**
 * CT target, revision 2, and NOTRACK, which iptables turns into CT --notrack
 * (extensions/libxt_CT.c; kernel net/netfilter/xt_CT.c: `.table = "raw"`).
 * Chooses how conntrack handles the packet's connection: not at all, with a
 * helper, in a zone, with a timeout policy, or with chosen events.
 *
 * Kernel checks (xt_ct_tg_check), skipped entirely with --notrack:
 * `--helper` needs `-p` (not negated) and a helper registered for that
 * protocol; `--timeout` needs a timeout policy created beforehand with
 * `nfct timeout add`, which no ruleset file can show.
 */
import { defineExtension } from '../../extension';
import type { Family } from '../../inet';
import { xtStrtoul } from '../../cnum';

export type CtEvent = 'new' | 'related' | 'destroy' | 'reply' | 'assured' | 'protoinfo' | 'helper' | 'mark' | 'natseqinfo' | 'secmark';
export type CtExpEvent = 'new';

export interface CtZone {
  /** Zone number, unless taken from the packet mark. */
  id: number;
  fromMark: boolean;
  /**
   * --zone-orig / --zone-reply given (XT_CT_ZONE_DIR_ORIG/_REPL). Neither or
   * both: the zone applies to both directions; see zoneDirection().
   */
  origFlag: boolean;
  replyFlag: boolean;
}

export function zoneDirection(z: CtZone): 'both' | 'original' | 'reply' {
  return z.origFlag === z.replyFlag ? 'both' : z.origFlag ? 'original' : 'reply';
}

export interface CtTarget {
  /** Leave the packet untracked (state UNTRACKED, no NAT). */
  notrack: boolean;
  /** Written as NOTRACK (iptables-save prints it back that way). */
  notrackAlias: boolean;
  /** Conntrack helper name (at most 15 bytes), '' = none. */
  helper: string;
  /** Timeout policy name (at most 31 bytes), '' = none. */
  timeout: string;
  /** Conntrack events to generate (undefined = all, the default). */
  ctEvents?: CtEvent[];
  expEvents?: CtExpEvent[];
  zone?: CtZone;
}

const CT_EVENTS: readonly CtEvent[] = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'];
const EXP_EVENTS: readonly CtExpEvent[] = ['new'];

/**
 * Helpers the mainline kernel registers: name → protocols (6 tcp, 17 udp)
 * and whether they exist for IPv6 too. A helper compiled out of the running
 * kernel, or one added from userspace (nfct helper add), differs per host.
 */
const KERNEL_HELPERS: Readonly<Record<string, { protos: readonly number[]; ipv6: boolean }>> = {
  ftp: { protos: [6], ipv6: true },
  irc: { protos: [6], ipv6: false },
  sip: { protos: [6, 17], ipv6: true },
  tftp: { protos: [17], ipv6: true },
  amanda: { protos: [17], ipv6: true },
  RAS: { protos: [17], ipv6: true },
  'Q.931': { protos: [6], ipv6: true },
  'H.245': { protos: [6, 17], ipv6: true },
  pptp: { protos: [6], ipv6: false },
  sane: { protos: [6], ipv6: true },
  'netbios-ns': { protos: [17], ipv6: false },
  snmp: { protos: [17], ipv6: false },
  snmp_trap: { protos: [17], ipv6: false },
};

const O_NOTRACK = 0;
const O_HELPER = 1;
const O_TIMEOUT = 2;
const O_CTEVENTS = 3;
const O_EXPEVENTS = 4;
const O_ZONE = 5;
const O_ZONE_ORIG = 6;
const O_ZONE_REPLY = 7;

function parseEvents<E extends string>(text: string, table: readonly E[], fail: (m: string) => never): E[] {
  const out: E[] = [];
  for (const t of text.split(',')) {
    const e = table.find((x) => x === t);
    if (!e) fail(`Unknown event type "${t}" — known: ${table.join(', ')}.`);
    if (!out.includes(e)) out.push(e);
  }
  return out;
}

function helperProblem(name: string, protoNum: number, protoInvert: boolean, family: Family): string | undefined {
  if (protoNum === 0 || protoInvert) {
    return `You must specify a L4 protocol and not use inversions on it — "--helper ${name}" needs "-p tcp" or "-p udp" in the rule. The kernel refuses the rule.`;
  }
  const h = KERNEL_HELPERS[name];
  if (!h || !h.protos.includes(protoNum) || (family === 'ipv6' && !h.ipv6)) {
    const known = Object.entries(KERNEL_HELPERS)
      .filter(([, v]) => v.protos.includes(protoNum) && (family === 'ipv4' || v.ipv6))
      .map(([k]) => k);
    return `No such helper "${name}" — the kernel has no conntrack helper of that name for protocol ${protoNum}${known.length ? ` (kernel helpers: ${known.join(', ')})` : ''}, so it refuses the rule. Only a helper added from userspace with "nfct helper add" could make it load.`;
  }
  return undefined;
}

const kernel = {
  table: 'raw',
  check: (ctx: { data: CtTarget; protoNum: number; protoInvert: boolean; family: Family }): string | undefined => {
    const d = ctx.data;
    if (d.notrack) return undefined;
    if (d.helper !== '') return helperProblem(d.helper, ctx.protoNum, ctx.protoInvert, ctx.family);
    return undefined;
  },
};

function describeCt(d: CtTarget): string {
  if (d.notrack) return 'do not track this packet\'s connection (state UNTRACKED, no NAT), then continue';
  const parts: string[] = [];
  if (d.helper) parts.push(`use conntrack helper "${d.helper}"`);
  if (d.timeout) parts.push(`use timeout policy "${d.timeout}"`);
  if (d.zone) {
    const dir = zoneDirection(d.zone);
    parts.push(`put the connection in zone ${d.zone.fromMark ? 'from the packet mark' : d.zone.id}${dir === 'both' ? '' : ` (${dir} direction)`}`);
  }
  if (d.ctEvents) parts.push(`report only events ${d.ctEvents.join(',')}`);
  if (d.expEvents) parts.push(`report expectation events ${d.expEvents.join(',')}`);
  return parts.length ? `${parts.join('; ')}, then continue` : 'set up conntrack defaults for this connection, then continue';
}

function saveCt(d: CtTarget): string {
  if (d.notrackAlias) return '';
  const out: string[] = [];
  if (d.notrack) out.push('--notrack');
  if (d.helper) out.push(`--helper ${d.helper}`);
  if (d.timeout) out.push(`--timeout ${d.timeout}`);
  if (d.ctEvents) out.push(`--ctevents ${CT_EVENTS.filter((e) => d.ctEvents!.includes(e)).join(',')}`);
  if (d.expEvents) out.push(`--expevents ${d.expEvents.join(',')}`);
  if (d.zone && (d.zone.fromMark || d.zone.id)) {
    const dir = zoneDirection(d.zone);
    const opt = dir === 'original' ? '--zone-orig' : dir === 'reply' ? '--zone-reply' : '--zone';
    out.push(`${opt} ${d.zone.fromMark ? 'mark' : d.zone.id}`);
  }
  return out.join(' ');
}

const blank = (): CtTarget => ({ notrack: false, notrackAlias: false, helper: '', timeout: '' });

export const CT = defineExtension<CtTarget>({
  kind: 'target',
  name: 'CT',
  summary: 'Sets up connection tracking for the packet: no tracking, a helper, a zone, a timeout policy or events (raw table).',
  options: [
    { name: 'notrack', id: O_NOTRACK, type: 'none', doc: 'do not track the connection' },
    { name: 'helper', id: O_HELPER, type: 'string', size: 16, doc: 'conntrack helper (ftp, sip, tftp, ...); needs -p' },
    { name: 'timeout', id: O_TIMEOUT, type: 'string', size: 32, doc: 'timeout policy created with "nfct timeout add"' },
    { name: 'ctevents', id: O_CTEVENTS, type: 'string', doc: `events to report: ${CT_EVENTS.join(',')}` },
    { name: 'expevents', id: O_EXPEVENTS, type: 'string', doc: 'expectation events to report: new' },
    { name: 'zone-orig', id: O_ZONE_ORIG, type: 'string', doc: 'zone (number or "mark") for the original direction' },
    { name: 'zone-reply', id: O_ZONE_REPLY, type: 'string', doc: 'zone (number or "mark") for the reply direction' },
    { name: 'zone', id: O_ZONE, type: 'string', doc: 'conntrack zone, a number 0-65535 or "mark"' },
  ],
  init: blank,
  parse(c) {
    const d = c.data;
    const arg = c.arg ?? '';
    switch (c.option.id) {
      case O_NOTRACK:
        d.notrack = true;
        break;
      case O_HELPER:
        d.helper = c.val.str ?? arg;
        break;
      case O_TIMEOUT:
        d.timeout = c.val.str ?? arg;
        c.warn(`"--timeout ${d.timeout}" only loads if a timeout policy of that name was created beforehand ("nfct timeout add ${d.timeout} ..."); otherwise the kernel refuses the rule.`, 'ct-timeout-policy');
        break;
      case O_CTEVENTS:
        d.ctEvents = parseEvents(arg, CT_EVENTS, (m) => c.fail(m));
        break;
      case O_EXPEVENTS:
        d.expEvents = parseEvents(arg, EXP_EVENTS, (m) => c.fail(m));
        break;
      case O_ZONE:
      case O_ZONE_ORIG:
      case O_ZONE_REPLY: {
        const prev: CtZone = d.zone ?? { id: 0, fromMark: false, origFlag: false, replyFlag: false };
        const zone: CtZone = { ...prev, id: 0, origFlag: prev.origFlag || c.option.id === O_ZONE_ORIG, replyFlag: prev.replyFlag || c.option.id === O_ZONE_REPLY };
        if (arg.toLowerCase() === 'mark') {
          zone.fromMark = true;
        } else {
          const v = xtStrtoul(arg, 0, 0xffff);
          if (!v) return c.fail(`Cannot parse ${arg} as a zone ID — a zone is a number 0-65535 or "mark".`);
          zone.id = Number(v.value);
        }
        d.zone = zone;
        break;
      }
    }
  },
  kernel,
  save: saveCt,
  describe: describeCt,
});

export const NOTRACK = defineExtension<CtTarget>({
  kind: 'target',
  name: 'NOTRACK',
  summary: 'Leaves the packet untracked by conntrack (no state, no NAT); same as CT --notrack (raw table).',
  options: [],
  init: () => ({ ...blank(), notrack: true, notrackAlias: true }),
  kernel,
  save: () => '',
  describe: describeCt,
});
