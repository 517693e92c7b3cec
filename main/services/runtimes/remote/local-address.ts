// The address of this machine that packets to a given host leave from: where the TLS listener binds for a tcp+TLS engine.
import dgram from 'node:dgram';
import net from 'node:net';

/**
 * The local IPv4 or IPv6 address the kernel's routing picks for `host` (a UDP socket "connected" to it:
 * no packet is sent). The TLS listener binds there, not on every interface, for a tcp+TLS engine.
 * @param host an IP address (resolve a name first).
 * @throws Error when `host` is not an IP address or there is no route to it (ENETUNREACH).
 */
export function localAddressTowards(host: string): Promise<string> {
  const family = net.isIP(host);
  if (family === 0) return Promise.reject(new Error(`"${host}" is not an IP address`));
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.connect(9, host, () => {
      const { address } = s.address();
      s.close();
      resolve(address);
    });
  });
}
