/**
 * AppError -> gRPC status, the proxy's one direction of the error mapping (STYLE.md §4).
 * Details travel as JSON in the `x-error-details` trailer so the client can name the failing
 * input without parsing the message.
 */
import { Metadata, status as GrpcCode, type ServiceError } from '@grpc/grpc-js';

import { isAppError, type ErrorCode } from '@proxy/errors';

export const ERROR_DETAILS_KEY = 'x-error-details';

const GRPC_CODES: Record<ErrorCode, GrpcCode> = {
  INVALID_ARGUMENT: GrpcCode.INVALID_ARGUMENT,
  FAILED_PRECONDITION: GrpcCode.FAILED_PRECONDITION,
  UNAUTHENTICATED: GrpcCode.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcCode.PERMISSION_DENIED,
  NOT_FOUND: GrpcCode.NOT_FOUND,
  ALREADY_EXISTS: GrpcCode.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: GrpcCode.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: GrpcCode.DEADLINE_EXCEEDED,
  UNAVAILABLE: GrpcCode.UNAVAILABLE,
  INTERNAL: GrpcCode.INTERNAL,
};

export type GrpcStatus = Partial<ServiceError> & { code: GrpcCode; details: string; metadata: Metadata };

/** The status to fail a call with; anything but an AppError is a bug and says only "internal error". */
export function toGrpcStatus(error: unknown, requestId: string): GrpcStatus {
  const metadata = new Metadata();
  if (!isAppError(error) || error.code === 'INTERNAL') {
    return { code: GrpcCode.INTERNAL, details: `internal error (request id ${requestId})`, metadata };
  }
  if (error.details) metadata.set(ERROR_DETAILS_KEY, JSON.stringify(error.details));
  return { code: GRPC_CODES[error.code], details: error.message, metadata };
}
