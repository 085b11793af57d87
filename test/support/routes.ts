import type { Express } from 'express';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
  slash?: boolean;
}

/**
 * Every route of an express 5 app as `METHOD /full/path`, walking mounted routers. Mount paths come
 * from the router's layers (`rawPath`, router 2.x); a router mounted with a pattern this helper
 * cannot read makes it throw, rather than silently leave routes out.
 */
export function listRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m] && m !== '_all')) {
          for (const p of paths) out.push(`${method.toUpperCase()} ${prefix}${p}`);
        }
      } else if (layer.handle?.stack) {
        if (layer.slash) {
          walk(layer.handle.stack, prefix);
          continue;
        }
        if (typeof layer.rawPath !== 'string') throw new Error(`router mounted at ${String(layer.rawPath)} under ${prefix || '/'}: listRoutes cannot read that mount path`);
        walk(layer.handle.stack, `${prefix}${layer.rawPath}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Set(out)].sort();
}
