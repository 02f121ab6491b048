/**
 * owner match, revision 1 (extensions/libxt_owner.c; kernel
 * net/netfilter/xt_owner.c): the user/group owning the sending socket.
 * Only locally generated packets have one, so the kernel allows it only in
 * OUTPUT and POSTROUTING.
 */
import { xtStrtoul } from '../../cnum';
import { defineExtension } from '../../extension';

export interface OwnerIdMatch {
  /** Inclusive id range [lo, hi]; a name is resolved when the rules are loaded. */
  range: [number, number];
  invert: boolean;
  /** The user or group name as written, when it was one. */
  name?: string;
  /** A name other than "root": its id is only known on the loading host. */
  unresolved?: boolean;
}

export interface OwnerMatch {
  uid?: OwnerIdMatch;
  gid?: OwnerIdMatch & {
    /** --suppl-groups: the socket owner's supplementary groups count too. */
    supplGroups: boolean;
  };
  /** --socket-exists: the packet has a local socket. */
  socketExists?: { invert: boolean };
}

const O_USER = 0;
const O_GROUP = 1;
const O_SOCK_EXISTS = 2;
const O_SUPPL_GROUPS = 6;

/** Ids are 0..4294967294 ((uid_t)-1 means "no id"). */
const ID_MAX = 0xfffffffe;

/** owner_parse_range(): "N", "N-M" or "N:M". */
function parseRange(s: string): [number, number] | undefined {
  const a = xtStrtoul(s, 0, ID_MAX, false);
  if (!a) return undefined;
  const lo = Number(a.value);
  let hi = lo;
  let end = a.end;
  if (s[end] === '-' || s[end] === ':') {
    const b = xtStrtoul(s, 0, ID_MAX, false, end + 1);
    if (!b) return undefined;
    hi = Number(b.value);
    end = b.end;
  }
  if (end !== s.length) return undefined;
  return [lo, hi];
}

/** Could getpwnam()/getgrnam() find this name on some host? */
const plausibleName = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(s) && s.length <= 32;

export const owner = defineExtension<OwnerMatch>({
  kind: 'match',
  name: 'owner',
  summary: 'Matches the user or group owning the local socket that sent the packet (OUTPUT and POSTROUTING only).',
  options: [
    { name: 'uid-owner', id: O_USER, type: 'string', invert: true, doc: 'user name, uid or uid range a-b' },
    { name: 'gid-owner', id: O_GROUP, type: 'string', invert: true, doc: 'group name, gid or gid range a-b' },
    { name: 'socket-exists', id: O_SOCK_EXISTS, type: 'none', invert: true, doc: 'the packet belongs to a local socket' },
    { name: 'suppl-groups', id: O_SUPPL_GROUPS, type: 'none', doc: "also match the socket owner's supplementary groups (after --gid-owner)" },
  ],
  init: () => ({}),
  parse(c) {
    const d = c.data;
    const arg = c.arg ?? '';
    const fail: (m: string, hint?: string) => never = (m, h) => c.fail(m, h);
    switch (c.option.id) {
      case O_USER:
      case O_GROUP: {
        const user = c.option.id === O_USER;
        const opt = user ? '--uid-owner' : '--gid-owner';
        let id: OwnerIdMatch;
        if (arg === 'root') {
          id = { range: [0, 0], invert: c.invert, name: arg };
        } else {
          const r = parseRange(arg);
          if (r) {
            id = { range: r, invert: c.invert };
          } else if (plausibleName(arg)) {
            c.warn(
              `${user ? 'User' : 'Group'} "${arg}" must exist when the rules are loaded: iptables looks the name up in ${user ? '/etc/passwd' : '/etc/group'} of the loading host (it fails with "owner: Bad value for \\"${opt}\\" option" otherwise) and stores its number.`,
              user ? 'user-must-exist' : 'group-must-exist',
            );
            id = { range: [0, 0], invert: c.invert, name: arg, unresolved: true };
          } else {
            fail(`owner: Bad value for "${opt}" option: "${arg}"`, `Give a ${user ? 'user' : 'group'} name, a number (0-4294967294) or a range such as 1000-1999.`);
          }
        }
        if (user) d.uid = id;
        else d.gid = { ...id, supplGroups: d.gid?.supplGroups ?? false };
        break;
      }
      case O_SOCK_EXISTS:
        d.socketExists = { invert: c.invert };
        break;
      case O_SUPPL_GROUPS:
        if (!d.gid) fail('owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"');
        d.gid.supplGroups = true;
        break;
    }
  },
  finalCheck(c) {
    if (c.xflags === 0) c.fail('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required');
  },
  kernel: {
    hooks: ['OUTPUT', 'POSTROUTING'],
    check(ctx) {
      for (const [what, id] of [['uid', ctx.data.uid], ['gid', ctx.data.gid]] as const) {
        if (id && id.range[1] < id.range[0]) return `the kernel refuses the reversed ${what} range ${id.range[0]}-${id.range[1]}: write the lower id first.`;
      }
      return undefined;
    },
  },
  save(d) {
    const out: string[] = [];
    const range = (r: [number, number]): string => (r[0] === r[1] ? String(r[0]) : `${r[0]}-${r[1]}`);
    const id = (x: OwnerIdMatch): string => (x.unresolved ? x.name ?? '' : range(x.range));
    if (d.socketExists) out.push(`${d.socketExists.invert ? '! ' : ''}--socket-exists`);
    if (d.uid) out.push(`${d.uid.invert ? '! ' : ''}--uid-owner ${id(d.uid)}`);
    if (d.gid) out.push(`${d.gid.invert ? '! ' : ''}--gid-owner ${id(d.gid)}`);
    if (d.gid?.supplGroups) out.push('--suppl-groups');
    return out.join(' ');
  },
  describe(d) {
    const parts: string[] = [];
    const who = (x: OwnerIdMatch, what: string): string => {
      const v = x.name ?? (x.range[0] === x.range[1] ? `${what} ${x.range[0]}` : `${what}s ${x.range[0]}–${x.range[1]}`);
      return `${x.invert ? 'not ' : ''}owned by ${x.name ? `${what === 'uid' ? 'user' : 'group'} ${v}` : v}`;
    };
    if (d.socketExists) parts.push(d.socketExists.invert ? 'without a local socket' : 'with a local socket');
    if (d.uid) parts.push(who(d.uid, 'uid'));
    if (d.gid) parts.push(who(d.gid, 'gid') + (d.gid.supplGroups ? ' (or a supplementary group)' : ''));
    return parts.join(', ');
  },
});
