/**
 * Which host's netfilter each trace event belongs to. A trace across an
 * overlay workspace visits several hosts: a packet starts on the host it
 * enters, and each hook (and VXLAN step) names the host it runs on; those between
 * belong to the last one named.
 */
interface HostNaming {
  readonly type: string;
  readonly host?: string;
}

/** The host of every event (by index); '' before any host is named. */
export function eventHosts(events: readonly HostNaming[]): string[] {
  let host = '';
  return events.map((e) => {
    if ((e.type === 'packet' || e.type === 'hook' || e.type === 'encap') && e.host) host = e.host;
    return host;
  });
}
