/**
 * The official Choria protocol v1 schemas (copied under ./schemas, see SOURCES.txt), compiled once.
 * Requests are checked with the go-choria embedded copy because that is what Go nodes enforce.
 */
import Ajv, { type ValidateFunction } from 'ajv';

import embeddedRequest from './schemas/go-choria-embedded/request.json';
import reply from './schemas/v1/reply.json';
import request from './schemas/v1/request.json';
import secureReply from './schemas/v1/secure_reply.json';
import secureRequest from './schemas/v1/secure_request.json';
import transport from './schemas/v1/transport.json';

/**
 * The files are draft-04. They only use keywords that mean the same in Ajv's default draft (type,
 * required, properties, enum, min/maxLength, minimum, items), so renaming `id` to `$id` and dropping
 * `$schema` is enough; the SOURCES note records this.
 */
function asCurrentDraft(schema: object): object {
  const { $schema: _draft, id, ...rest } = schema as { $schema?: string; id?: string };
  return id ? { $id: id, ...rest } : rest;
}

export interface ProtocolValidators {
  transport: ValidateFunction;
  secureRequest: ValidateFunction;
  /** go-choria embedded request schema (compound filters as arrays of objects). */
  request: ValidateFunction;
  /** choria-io/schemas request schema, for comparison only. */
  publishedRequest: ValidateFunction;
  secureReply: ValidateFunction;
  reply: ValidateFunction;
}

export function compileProtocolValidators(): ProtocolValidators {
  const ajv = new Ajv({ allErrors: false, strict: false });
  return {
    transport: ajv.compile(asCurrentDraft(transport)),
    secureRequest: ajv.compile(asCurrentDraft(secureRequest)),
    request: ajv.compile(asCurrentDraft(embeddedRequest)),
    publishedRequest: ajv.compile(asCurrentDraft(request)),
    secureReply: ajv.compile(asCurrentDraft(secureReply)),
    reply: ajv.compile(asCurrentDraft(reply)),
  };
}
