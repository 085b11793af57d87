/**
 * A node that is not an mcollectived: it subscribes to the directed exchange of one identity on the
 * fleet's broker and answers every request with a reply it builds itself, for tests of the psk
 * check. `tamper` replaces the body after the hash was taken (what a man in the middle would do);
 * without it the reply is exactly what a daemon with the right psk would send.
 */
import { Client } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';

import { marshalLoad } from '@proxy/broker/mcollective/ruby-marshal';
import { encodeReply, encodeRpcReplyBody, pskHash } from '@proxy/broker/mcollective/protocol';

import type { McollectiveFleet } from './mcollective-fleet';

export interface RogueNode {
  /** Requests received so far. */
  received(): number;
  stop(): Promise<void>;
}

export async function startRogueNode(fleet: McollectiveFleet, options: { identity: string; tamper: boolean; data: Record<string, unknown> }): Promise<RogueNode> {
  let received = 0;
  const client = new Client({
    webSocketFactory: () => new TCPWrapper(fleet.host, fleet.stompPort),
    connectHeaders: { login: fleet.user, passcode: fleet.password, host: fleet.vhost },
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    debug: () => undefined,
  });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => reject(new Error(frame.headers.message));
    client.onWebSocketError = () => reject(new Error('rogue node cannot reach the broker'));
    client.activate();
  });
  await new Promise<void>((resolve) => {
    // The RECEIPT arrives once the queue is bound, so no request can pass before we listen.
    client.watchForReceipt('rogue-subscribed', () => resolve());
    client.subscribe(`/exchange/${fleet.collective}_directed/${options.identity}`, (message) => {
      received++;
      // The request is readable without the psk: psk only authenticates, it does not encrypt.
      const envelope = marshalLoad(message.binaryBody) as Record<string, unknown>;
      const genuine = encodeRpcReplyBody({ statuscode: 0, statusmsg: 'OK', data: options.data });
      const sent = options.tamper ? encodeRpcReplyBody({ statuscode: 0, statusmsg: 'OK', data: { ...options.data, tampered: true } }) : genuine;
      const reply = encodeReply({
        senderid: options.identity,
        requestid: Buffer.from(envelope.requestid as Uint8Array | string).toString('utf8'),
        senderagent: Buffer.from(envelope.agent as Uint8Array | string).toString('utf8'),
        msgtime: Math.floor(Date.now() / 1000),
        body: sent,
        hash: pskHash(genuine, fleet.psk),
      });
      client.publish({ destination: message.headers['reply-to'], binaryBody: reply, headers: { mc_sender: options.identity } });
    }, { receipt: 'rogue-subscribed' });
  });
  return {
    received: () => received,
    stop: () => client.deactivate(),
  };
}
