/** Modeled matches, group A (one file per extension, listed here). */
import type { AnyExtension } from '../../extension';
import { addrtype } from './addrtype';
import { connmark } from './connmark';
import { conntrack } from './conntrack';
import { icmp } from './icmp';
import { icmp6 } from './icmp6';
import { iprange } from './iprange';
import { mac } from './mac';
import { mark } from './mark';
import { multiport } from './multiport';
import { physdev } from './physdev';
import { state } from './state';

export const MATCHES_A: readonly AnyExtension[] = [multiport, conntrack, state, addrtype, iprange, mark, connmark, mac, physdev, icmp, icmp6];
