import { AppError } from '@server/errors';
import { emptyTargetingError, isEmptyTargetingError } from '@server/jobs/job-preview';
import { occurrenceRefusal } from '@server/scheduler/occurrence-refusal';

describe(occurrenceRefusal.name, () => {
  it('records an empty targeting as no_hosts, a permission refusal as refused and anything else as failed', () => {
    expect(isEmptyTargetingError(emptyTargetingError({ hostgroup_id: 4 }, 'rpcutil.ping'))).toBe(true);
    expect(occurrenceRefusal(emptyTargetingError({ hostgroup_id: 4 }, 'rpcutil.ping'))).toEqual({ state: 'no_hosts', reason: expect.stringMatching(/^no host to run on: targeting: hostgroup 4 matches no host you may run rpcutil\.ping on/) });
    expect(occurrenceRefusal(new AppError('PERMISSION_DENIED', 'access denied: x')).state).toBe('refused');
    expect(occurrenceRefusal(new AppError('INVALID_ARGUMENT', 'search: broken', { httpStatus: 422, details: { fields: [{ field: 'targeting', rule: 'at most 5 hosts' }] } })).state).toBe('failed');
  });
});
