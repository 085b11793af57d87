import fs from 'node:fs';
import net from 'node:net';

/** Linux's default when /proc cannot be read. */
const DEFAULT_EPHEMERAL_LOW = 32768;
const LOWEST = 10000;

function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Ports this process handed out: each is free when picked but bound only later, so the next pick must
 * not take it again. A RabbitMQ fleet picks its STOMP port, then its epmd and distribution ports before
 * the broker binds any of them: once its epmd got the STOMP port, and the broker died at boot
 * (eaddrinuse) while the harness waited for STOMP on epmd's socket until the hook timed out.
 */
const handedOut = new Set<number>();

/**
 * A loopback port for a server another process binds LATER (a JVM or a broker that takes seconds to
 * start). A port from `listen(0)` lies in the ephemeral range, where any outgoing connection of the
 * busy machine may take it as its source port meanwhile ("Address already in use"); below that
 * range only another listener could, so the port is picked there, at random, and checked free.
 */
export async function portForLaterListen(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${high}`);
}
