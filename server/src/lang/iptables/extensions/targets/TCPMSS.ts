/**
 * TCPMSS target (extensions/libxt_TCPMSS.c; kernel net/netfilter/xt_TCPMSS.c).
 * Lowers the MSS option of TCP SYN packets, to a fixed value or to the path
 * MTU minus the headers. Needs `-p tcp`.
 *
 * Kernel checks (tcpmss_tg4_check/tcpmss_tg6_check):
 * - --clamp-mss-to-pmtu only from FORWARD, OUTPUT and POSTROUTING. The legacy
 *   backend checks every hook the rule is reached from; iptables-nft only the
 *   base chain the rule is in (rules in user chains pass).
 * - iptables-legacy also wants a tcp match that looks at SYN (`--syn`, or
 *   `--tcp-flags` with SYN in the compared flags, not negated);
 *   iptables-nft skips this (the kernel sees no xt matches there).
 */
import { defineExtension, type AnyExtension } from '../../extension';
import type { Family } from '../../inet';
import type { TcpMatch } from '../matches/tcp';

export interface TcpmssTarget {
  /** 'set': lower the MSS to `mss`; 'clamp': to the path MTU minus IP and TCP headers. */
  mode: 'set' | 'clamp';
  mss: number;
}

const O_SET_MSS = 0;
const O_CLAMP_MSS = 1;
const TH_SYN = 0x02;
const CLAMP_HOOKS = ['FORWARD', 'OUTPUT', 'POSTROUTING'];

function tcpmssSpec(family: Family): AnyExtension {
  const hdr = family === 'ipv4' ? 20 : 40;
  return defineExtension<TcpmssTarget>({
    kind: 'target',
    name: 'TCPMSS',
    family,
    summary: 'Lowers the MSS option of TCP SYN packets (fixed, or clamped to the path MTU); needs -p tcp and a SYN match.',
    options: [
      { name: 'set-mss', id: O_SET_MSS, type: 'uint16', min: 0, max: 0xffff - hdr, doc: `MSS value to set (0-${0xffff - hdr})` },
      { name: 'clamp-mss-to-pmtu', id: O_CLAMP_MSS, type: 'none', doc: `clamp to the path MTU minus ${hdr + 20} bytes` },
    ],
    init: () => ({ mode: 'set', mss: 0 }),
    parse(c) {
      // Both options may be given; the later one wins.
      if (c.option.id === O_CLAMP_MSS) c.data.mode = 'clamp';
      else Object.assign(c.data, { mode: 'set', mss: Number(c.val.u ?? 0n) });
    },
    finalCheck(c) {
      if (c.xflags === 0) c.fail('TCPMSS target: At least one parameter is required — give --set-mss VALUE or --clamp-mss-to-pmtu.');
    },
    kernel: {
      proto: 6,
      check(ctx) {
        if (ctx.data.mode === 'clamp' && [...ctx.hooks].some((h) => !CLAMP_HOOKS.includes(h))) {
          return `path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks — this rule is reached from ${[...ctx.hooks].join('/')}. The kernel refuses it.`;
        }
        if (ctx.backend === 'nft') return undefined;
        const syn = ctx.matches.some((m) => {
          if (m.name !== 'tcp') return false;
          const f = (m.data as TcpMatch).flags;
          return !!f && (f.cmp & TH_SYN) !== 0 && !f.invert;
        });
        return syn
          ? undefined
          : 'Only works on TCP SYN packets — iptables-legacy refuses TCPMSS unless the rule matches SYN packets: add "--syn" (or "--tcp-flags SYN,RST SYN").';
      },
    },
    save: (d) => (d.mode === 'clamp' ? '--clamp-mss-to-pmtu' : `--set-mss ${d.mss}`),
    describe: (d) => `lower the TCP MSS of SYN packets to ${d.mode === 'clamp' ? 'the path MTU minus headers' : d.mss}, then continue`,
  });
}

export const TCPMSS4 = tcpmssSpec('ipv4');
export const TCPMSS6 = tcpmssSpec('ipv6');
