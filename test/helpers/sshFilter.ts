/** A small filter table the LSP tests share: INPUT drops by default, SSH goes through a user chain. */
export const SSH_FILTER: readonly string[] = [
  '*filter',
  ':INPUT DROP [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':SSH - [0:0]',
  '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A INPUT -p tcp --dport 22 -j SSH',
  '-A SSH -s 10.0.0.0/8 -j ACCEPT',
  '-A SSH -j DROP',
  'COMMIT',
];
