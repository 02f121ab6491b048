/**
 * owner match, revision 1 (kernel net/netfilter/xt_owner.c, owner_mt): the
 * user and groups of the local socket that sent the packet.
 *
 * - No socket (forwarded packets, anything not generated locally): the match
 *   holds only when every option the rule gives is inverted. --suppl-groups
 *   counts as a given, never-inverted option there, so it then never matches.
 * - A kernel socket (ICMP replies and errors, a closed port's reset): it
 *   exists but has no file, so "! --socket-exists" fails and --uid-owner /
 *   --gid-owner hold only inverted; --suppl-groups is then ignored.
 * - A socket: "! --socket-exists" fails; --uid-owner compares the fsuid,
 *   --gid-owner the fsgid (and with --suppl-groups the supplementary groups).
 * Locally generated packets whose owner the emulator does not know, and
 * names the loading host would have resolved, are undecidable.
 */
import type { OwnerIdMatch, OwnerMatch } from '../../lang/iptables/extensions/matches/owner';
import { unknown } from '../context';
import type { MatcherEntry } from '../registry';

const inRange = (id: number, m: OwnerIdMatch): boolean => id >= m.range[0] && id <= m.range[1];

export const owner: MatcherEntry = {
  name: 'owner',
  fn: (d: OwnerMatch, { packet: p }) => {
    if (p.socket === 'kernel') {
      // A kernel socket exists but has no file: uid and gid hold only when inverted, and
      // --suppl-groups is not looked at ((match ^ invert) & (UID | GID)), so
      // "! --gid-owner X --suppl-groups" holds.
      if (d.socketExists?.invert) return false;
      return [d.uid, d.gid].every((o) => o === undefined || o.invert);
    }
    if (!p.localOrigin || p.socket === 'none') {
      // (info->match ^ info->invert) == 0
      const given = [d.uid, d.gid, d.socketExists];
      if (d.gid?.supplGroups) return false;
      return given.every((o) => o === undefined || o.invert);
    }
    const o = p.owner;
    if (!o) return unknown('the local socket that sent this packet, and so its owner, is not known');
    if (d.socketExists?.invert) return false;
    let why: string | undefined;
    if (d.uid) {
      if (d.uid.unresolved) why = `user "${d.uid.name}" is resolved by the loading host`;
      else if (inRange(o.uid, d.uid) === d.uid.invert) return false;
    }
    if (d.gid) {
      if (d.gid.unresolved) why ??= `group "${d.gid.name}" is resolved by the loading host`;
      else {
        const gid = d.gid;
        const hit = inRange(o.gid, gid) || (gid.supplGroups && o.groups.some((g) => inRange(g, gid)));
        if (hit === gid.invert) return false;
      }
    }
    return why ? unknown(why) : true;
  },
};
