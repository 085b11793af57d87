import { createConnectorConventions } from '@proxy/broker/mcollective/connector';

/** Destinations and headers as MCollective 2.12's connector/rabbitmq.rb and connector/activemq.rb build them. */
describe(createConnectorConventions.name, () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0, 500);

  it('addresses RabbitMQ exchanges and a per-agent temp queue for replies', () => {
    const rabbit = createConnectorConventions({ flavour: 'rabbitmq', senderid: 'rex', instance: '1_a' });
    const headers = { 'reply-to': '/temp-queue/mcollective_reply_rpcutil', expiration: '70000', mc_sender: 'rex' };
    expect(rabbit.broadcast('mcollective', 'rpcutil', 60, now)).toEqual({ destination: '/exchange/mcollective_broadcast/rpcutil', headers });
    expect(rabbit.directed('mcollective', 'rpcutil', 'web-01', 60, now)).toEqual({ destination: '/exchange/mcollective_directed/web-01', headers });
    expect(rabbit.replySubscription('mcollective')).toBeUndefined();
    expect(rabbit.isReply({ subscription: '/temp-queue/mcollective_reply_rpcutil' })).toBe(true);
    expect(rabbit.isReply({ subscription: 'sub-0' })).toBe(false);
  });

  it('addresses ActiveMQ topics, the shared nodes queue with mc_identity, and a reply queue of our own', () => {
    const amq = createConnectorConventions({ flavour: 'activemq', senderid: 'rex', instance: '42_ab' });
    const seconds = Math.floor(now / 1000);
    const common = { timestamp: String(seconds * 1000), expires: String((seconds + 70) * 1000), 'reply-to': '/queue/mcollective.reply.rex_42_ab', mc_sender: 'rex' };
    expect(amq.broadcast('mcollective', 'package', 60, now)).toEqual({ destination: '/topic/mcollective.package.agent', headers: common });
    expect(amq.directed('mcollective', 'package', 'db-01', 60, now)).toEqual({ destination: '/queue/mcollective.nodes', headers: { ...common, mc_identity: 'db-01' } });
    expect(amq.replySubscription('mcollective')).toBe('/queue/mcollective.reply.rex_42_ab');
    expect(amq.isReply({ destination: '/queue/mcollective.reply.rex_42_ab' })).toBe(true);
    expect(amq.isReply({ destination: '/queue/mcollective.reply.other_1_x' })).toBe(false);
  });
});
