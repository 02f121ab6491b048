/**
 * The steps of Trace Packet…: protocol, source, destination, port (tcp and
 * udp, unless the destination chosen carries one), arrival interface (for
 * an address from outside). Back goes one step back; every step starts
 * from the answer given before (or remembered, or from a rule's example).
 */
import type { HostInfo } from '../../../server/src/protocol';
import { pickStep, type StepResult } from './pickStep';
import { destinationItems, ifaceItems, isIpv4, portItems, protocolItems, sourceItems, typedDestination, type Destination } from './suggestions';
import { hasPorts, type SourceAnswer, type TraceAnswers, type TraceProto } from './traceAnswers';

type StepName = 'proto' | 'source' | 'dest' | 'port' | 'iface';

interface Draft {
  proto: TraceProto;
  source: SourceAnswer;
  dst: string;
  dport?: number;
  /** The destination picked carried the port: no port step. */
  portFromDest: boolean;
  iface?: string;
  sport?: number;
  guess?: TraceAnswers['guess'];
}

const IFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

function stepsFor(d: Draft): StepName[] {
  return ['proto', 'source', 'dest', ...(hasPorts(d.proto) && !d.portFromDest ? (['port'] as const) : []), ...(d.source.kind === 'address' ? (['iface'] as const) : [])];
}

function sameSource(a: SourceAnswer, b: SourceAnswer): boolean {
  return a.kind === b.kind && (a.kind !== 'address' || a.address === (b as typeof a).address) && (a.kind !== 'peer' || a.name === (b as typeof a).name);
}

export async function askTrace(info: HostInfo | undefined, start: TraceAnswers | undefined, title: string): Promise<TraceAnswers | undefined> {
  const d: Draft = {
    proto: start?.proto ?? 'tcp',
    source: start?.source ?? { kind: 'address', address: '' },
    dst: start?.dst ?? '',
    portFromDest: false,
    ...(start?.dport !== undefined ? { dport: start.dport } : {}),
    ...(start?.iface ? { iface: start.iface } : info?.uplink ? { iface: info.uplink } : {}),
    ...(start?.sport !== undefined ? { sport: start.sport } : {}),
    ...(start?.guess ? { guess: start.guess } : {}),
  };
  let i = 0;
  for (;;) {
    const steps = stepsFor(d);
    if (i >= steps.length) break;
    const common = { title, step: i + 1, totalSteps: steps.length };
    let r: StepResult<unknown>;
    switch (steps[i]!) {
      case 'proto': {
        const x = await pickStep<TraceProto>({ ...common, placeholder: 'Protocol of the conversation', items: protocolItems(), current: { value: d.proto, text: d.proto }, same: (a, b) => a === b });
        if (x?.kind === 'value') d.proto = x.value;
        r = x;
        break;
      }
      case 'source': {
        const x = await pickStep<SourceAnswer>({
          ...common, placeholder: 'Who sends the first packet? Pick one, or type an IPv4 address from outside', items: sourceItems(info),
          current: { value: d.source, text: d.source.kind === 'address' ? d.source.address : '' }, same: sameSource,
          typed: (t) => (isIpv4(t.trim()) ? { kind: 'address', address: t.trim() } : { invalid: 'type an IPv4 address, or pick a name from the list' }), typedLabel: 'an address outside this host',
        });
        if (x?.kind === 'value') {
          if (!sameSource(x.value, d.source)) delete d.sport;
          d.source = x.value;
        }
        r = x;
        break;
      }
      case 'dest': {
        const current = { value: { dst: d.dst, ...(d.dport !== undefined ? { dport: d.dport } : {}) }, text: d.dst ? `${d.dst}${d.portFromDest && d.dport !== undefined ? `:${d.dport}` : ''}` : '' };
        const x = await pickStep<Destination>({
          ...common, placeholder: `Where to? Pick one, or type an address or a name${hasPorts(d.proto) ? ' (with :PORT if you like)' : ''}`,
          items: destinationItems(info, d.proto, d.source), current, same: (a, b) => a.dst === b.dst && (a.dport === undefined || a.dport === b.dport),
          typed: (t) => {
            const v = typedDestination(t, info);
            return typeof v === 'string' ? { invalid: v } : v;
          },
          typedLabel: 'destination as typed',
        });
        if (x?.kind === 'value') {
          d.dst = x.value.dst;
          d.portFromDest = x.value.dport !== undefined;
          if (x.value.dport !== undefined) d.dport = x.value.dport;
        }
        r = x;
        break;
      }
      case 'port': {
        const x = await pickStep<number>({
          ...common, placeholder: `Destination port on ${d.dst}: pick one or type a number`, items: portItems(info, d.proto, d.dst),
          ...(d.dport !== undefined ? { current: { value: d.dport, text: String(d.dport) } } : {}), same: (a, b) => a === b,
          typed: (t) => (/^\d+$/.test(t.trim()) && Number(t) <= 65535 ? Number(t) : { invalid: 'a port is a number from 0 to 65535' }), typedLabel: 'port',
        });
        if (x?.kind === 'value') d.dport = x.value;
        r = x;
        break;
      }
      case 'iface': {
        const x = await pickStep<string>({
          ...common, placeholder: `Which interface of ${info?.name ?? 'the host'} does ${d.source.kind === 'address' ? d.source.address : 'it'} arrive on?`, items: ifaceItems(info),
          ...(d.iface ? { current: { value: d.iface, text: d.iface } } : {}), same: (a, b) => a === b,
          typed: (t) => (IFACE.test(t.trim()) ? t.trim() : { invalid: 'an interface name (at most 15 characters)' }), typedLabel: 'interface',
        });
        if (x?.kind === 'value') d.iface = x.value;
        r = x;
        break;
      }
    }
    if (!r) return undefined;
    i = r.kind === 'back' ? Math.max(0, i - 1) : i + 1;
  }
  return {
    proto: d.proto, source: d.source, dst: d.dst,
    ...(hasPorts(d.proto) && d.dport !== undefined ? { dport: d.dport } : {}),
    ...(d.source.kind === 'address' && d.iface ? { iface: d.iface } : {}),
    ...(d.sport !== undefined ? { sport: d.sport } : {}),
    ...(d.guess ? { guess: d.guess } : {}),
  };
}
