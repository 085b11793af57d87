import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/proxy';

/**
 * The options `npm run proto:gen` passes to proto-loader-gen-types; the generated types are only
 * true when the runtime loader uses the same ones.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot()],
};

/** The folder holding rex/proxy/v1/*.proto, from the sources (protos/) or the build (dist/protos/). */
function protoRoot(): string {
  const candidates = [__dirname, path.resolve(__dirname, '..', '..', 'protos')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'rex', 'proxy', 'v1', 'proxy.proto')));
  if (!found) throw new Error(`rex/proxy/v1/proxy.proto not found under ${candidates.join(' or ')}`);
  return found;
}

let cached: ProtoGrpcType | undefined;

/** The rex.proxy.v1 package, loaded once per process. */
export function loadProxyProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(['rex/proxy/v1/ddl.proto', 'rex/proxy/v1/proxy.proto'], LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
