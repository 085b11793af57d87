/**
 * Where MCollective 2.x puts its messages on a STOMP broker, per connector plugin (the Ruby
 * connector/activemq.rb and connector/rabbitmq.rb of 2.12: make_target, headers_for, target_for).
 *
 * RabbitMQ: requests go to exchanges (`/exchange/<collective>_broadcast/<agent>`, and one SEND per
 * node to `/exchange/<collective>_directed/<identity>`); the reply-to `/temp-queue/...` makes
 * RabbitMQ create a private queue for this connection and deliver replies with a `subscription`
 * header naming the temp queue, without any SUBSCRIBE from us.
 * ActiveMQ: broadcasts go to `/topic/<collective>.<agent>.agent`, directed requests to the shared
 * `/queue/<collective>.nodes` with an `mc_identity` header each node selects on, and replies to a
 * queue of our own that we subscribe to.
 */
export type ConnectorFlavour = 'activemq' | 'rabbitmq';

export interface Target {
  destination: string;
  headers: Record<string, string>;
}

export interface ConnectorConventions {
  readonly flavour: ConnectorFlavour;
  broadcast(collective: string, agent: string, ttlSeconds: number, nowMs: number): Target;
  directed(collective: string, agent: string, identity: string, ttlSeconds: number, nowMs: number): Target;
  /** Destination to SUBSCRIBE to for replies of a collective, or undefined when the broker subscribes us. */
  replySubscription(collective: string): string | undefined;
  /** True when a MESSAGE is a reply addressed to us (by its `subscription` or `destination`). */
  isReply(headers: Readonly<Record<string, string>>): boolean;
}

export interface ConventionOptions {
  flavour: ConnectorFlavour;
  /** Our identity: `mc_sender`, and part of the ActiveMQ reply queue name. */
  senderid: string;
  /** Makes the ActiveMQ reply queue ours alone, as Ruby's `<identity>_<pid>` does. */
  instance: string;
}

/** RabbitMQ's temp queues are per connection, so one per agent (as Ruby names them) is private to us. */
const RABBIT_REPLY_PREFIX = '/temp-queue/mcollective_reply_';

export function createConnectorConventions(options: ConventionOptions): ConnectorConventions {
  const sender = options.senderid;
  if (options.flavour === 'rabbitmq') {
    // RabbitMQ drops a message after `expiration` ms; Ruby allows ttl + 10 s for transit.
    const common = (agent: string, ttl: number): Record<string, string> => ({
      'reply-to': `${RABBIT_REPLY_PREFIX}${agent}`,
      expiration: String((ttl + 10) * 1000),
      mc_sender: sender,
    });
    return {
      flavour: 'rabbitmq',
      broadcast: (collective, agent, ttl) => ({ destination: `/exchange/${collective}_broadcast/${agent}`, headers: common(agent, ttl) }),
      directed: (collective, agent, identity, ttl) => ({ destination: `/exchange/${collective}_directed/${identity}`, headers: common(agent, ttl) }),
      replySubscription: () => undefined,
      isReply: (headers) => (headers.subscription ?? '').startsWith(RABBIT_REPLY_PREFIX),
    };
  }
  const replyQueue = (collective: string): string => `/queue/${collective}.reply.${sender}_${options.instance}`;
  const common = (collective: string, ttl: number, nowMs: number): Record<string, string> => {
    const nowSeconds = Math.floor(nowMs / 1000);
    return {
      timestamp: String(nowSeconds * 1000),
      expires: String((nowSeconds + ttl + 10) * 1000),
      'reply-to': replyQueue(collective),
      mc_sender: sender,
    };
  };
  return {
    flavour: 'activemq',
    broadcast: (collective, agent, ttl, nowMs) => ({ destination: `/topic/${collective}.${agent}.agent`, headers: common(collective, ttl, nowMs) }),
    directed: (collective, _agent, identity, ttl, nowMs) => ({
      destination: `/queue/${collective}.nodes`,
      headers: { ...common(collective, ttl, nowMs), mc_identity: identity },
    }),
    replySubscription: replyQueue,
    isReply: (headers) => /^\/queue\/[^/]+\.reply\./.test(headers.destination ?? '') && (headers.destination ?? '').endsWith(`.reply.${sender}_${options.instance}`),
  };
}
