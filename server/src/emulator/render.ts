/**
 * The trace as a story a person can follow (the CLI's text output and the
 * hover's summary): one block per packet, one line per step that matters.
 */
import { ip4, packetText, type Packet } from './packet';
import type { RuleRef, TraceEvent } from './trace';

export interface RenderOptions {
  /** Source line text, to quote rules. */
  readonly lineText?: (line: number) => string | undefined;
  /** Also list rules that did not match (long for big rulesets). */
  readonly verbose?: boolean;
}

function ruleName(r: RuleRef, o: RenderOptions): string {
  const text = r.line >= 0 ? o.lineText?.(r.line)?.trim() : undefined;
  return `line ${r.line + 1}${text ? ` \`${text}\`` : ''}`;
}

function changed(a: Packet, b: Packet): string {
  const parts: string[] = [];
  if (a.src !== b.src || a.sport !== b.sport) parts.push(`source ${ip4(a.src)}${a.sport ? `:${a.sport}` : ''} → ${ip4(b.src)}${b.sport ? `:${b.sport}` : ''}`);
  if (a.dst !== b.dst || a.dport !== b.dport) parts.push(`destination ${ip4(a.dst)}${a.dport ? `:${a.dport}` : ''} → ${ip4(b.dst)}${b.dport ? `:${b.dport}` : ''}`);
  if (a.mark !== b.mark) parts.push(`mark 0x${a.mark.toString(16)} → 0x${b.mark.toString(16)}`);
  if (a.tos !== b.tos) parts.push(`TOS ${a.tos} → ${b.tos}`);
  if (a.ttl !== b.ttl) parts.push(`TTL ${a.ttl} → ${b.ttl}`);
  return parts.join(', ');
}

export function renderStory(events: readonly TraceEvent[], o: RenderOptions = {}): string {
  const out: string[] = [];
  let skipped = 0;
  const flushSkipped = (): void => {
    if (skipped > 0 && !o.verbose) out.push(`      (${skipped} rule${skipped > 1 ? 's' : ''} did not match)`);
    skipped = 0;
  };
  for (const e of events) {
    if (e.type !== 'rule' || e.matched) flushSkipped();
    switch (e.type) {
      case 'conversation':
        out.push(`Conversation ${e.id}: ${e.title}${e.linkedTo ? ` (opened by conversation ${e.linkedTo}${e.why ? `: ${e.why}` : ''})` : ''}`);
        break;
      case 'packet':
        out.push('', `Packet ${e.n} (${e.label}, ${e.dir}): ${packetText(e.packet)}`, `  enters ${e.host} ${'local' in e.from ? (e.packet.socket ? 'from its own kernel (no process sends it)' : 'from a local process') : `on ${e.from.iface}`}`);
        break;
      case 'hook':
        out.push(`  ${e.hook}${e.iif ? ` in=${e.iif}` : ''}${e.oif ? ` out=${e.oif}` : ''}`);
        break;
      case 'table':
        out.push(`    ${e.table}`);
        break;
      case 'chain':
        out.push(`      → ${e.goto ? 'goto' : 'jump to'} ${e.chain}`);
        break;
      case 'rule':
        if (!e.matched) {
          if (o.verbose) out.push(`      ✗ ${ruleName(e.rule, o)}: ${e.failed ?? ''}`);
          else skipped++;
          if (e.assumed) for (const a of e.assumed) out.push(`      ? ${a}`);
        } else {
          out.push(`      ✓ ${ruleName(e.rule, o)}`);
          if (e.assumed) for (const a of e.assumed) out.push(`      ? ${a}`);
        }
        break;
      case 'verdict':
        if (e.verdict === 'POLICY') out.push(`      end of ${e.chain}: policy ${e.detail}`);
        else if (e.verdict !== 'CONTINUE' && e.verdict !== 'JUMP' && e.verdict !== 'GOTO') out.push(`      ⇒ ${e.verdict}${e.detail && e.verdict !== 'NAT' ? ` (${e.detail})` : ''}`);
        break;
      case 'skip':
        out.push(`    nat: not consulted — ${e.reason}`);
        break;
      case 'rewrite':
        out.push(`      ✎ ${e.what}: ${changed(e.before, e.after)}${e.note ? ` (${e.note})` : ''}`);
        break;
      case 'conntrack':
        out.push(`    conntrack: ${e.event === 'confirmed' ? 'entry confirmed' : `${e.state} (${e.dir.toLowerCase()})`}${e.zone ? ` in zone ${e.zone}` : ''}${e.note ? ` — ${e.note}` : ''}`);
        break;
      case 'route':
        out.push(`  routing: ${e.reason}`);
        break;
      case 'log':
        out.push(`      ✉ ${e.text}`);
        break;
      case 'assume':
        out.push(`  assumed: ${e.what}`);
        break;
      case 'fate':
        out.push(`  ⇒ ${e.detail}`);
        break;
      case 'note':
        out.push(`  ${e.text}`);
        break;
      case 'encap':
        out.push(e.action === 'encapsulate'
          ? `  VXLAN on ${e.host}: ${packetText(e.inner)} of overlay network ${e.network} goes into ${packetText(e.outer)} (VNI ${e.vni})`
          : `  VXLAN on ${e.host}: VNI ${e.vni} → overlay network ${e.network}; inside: ${packetText(e.inner)}`);
        break;
    }
  }
  flushSkipped();
  return out.join('\n');
}
