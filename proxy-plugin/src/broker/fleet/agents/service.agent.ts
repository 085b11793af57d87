import { aborted, ok, type VirtualAgent } from './agent';

export const serviceAgent: VirtualAgent = {
  name: 'service',
  handle(action, data, node) {
    const name = String(data.service ?? '');
    const running = node.services.get(name);
    if (running === undefined) return aborted(`Could not find service ${name}`, { status: 'unknown' });
    switch (action) {
      case 'status':
        return ok({ status: running ? 'running' : 'stopped' });
      case 'start':
        if (running) return aborted(`Service ${name} is already running`, { status: 'running' });
        node.services.set(name, true);
        return ok({ status: 'running' });
      case 'stop':
        if (!running) return aborted(`Service ${name} is already stopped`, { status: 'stopped' });
        node.services.set(name, false);
        return ok({ status: 'stopped' });
      case 'restart':
        node.services.set(name, true);
        return ok({ status: 'running' });
      default:
        return aborted(`Action ${action} is not simulated by the virtual service agent`);
    }
  },
};
