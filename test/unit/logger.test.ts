import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

const capture = (secrets: string[] = []) => {
  const lines: string[] = [];
  const logger = createLogger('debug', {}, { secrets, write: (l) => lines.push(l) });
  return { logger, lines, text: () => lines.join('') };
};

describe('logger', () => {
  it('logs a failed query with its SQL and the database’s message, but none of its parameters', () => {
    const { logger, text, lines } = capture();
    const cause = Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });
    const err = new DrizzleQueryError('insert into "commands" ("arguments", "requested_by") values ($1, $2)', ['{"password":"hunter2-very-secret"}', 'ops-alice'], cause);
    logger.error('unexpected error', { err });
    expect(text()).not.toContain('hunter2');
    expect(text()).not.toContain('ops-alice');
    const entry = JSON.parse(lines[0]!);
    expect(entry.err.message).toBe('Failed query: insert into "commands" ("arguments", "requested_by") values ($1, $2) (2 parameters, not logged)');
    expect(entry.err.stack).toMatch(/^DrizzleQueryError: Failed query: .*\n {4}at /);
    expect(entry.err.cause).toMatchObject({ message: 'invalid input syntax for type json', code: '22P02' });
  });

  it('never writes a token, a bearer credential, a password in a URL, or a configured secret', () => {
    const { logger, text } = capture(['my-bootstrap-admin-secret']);
    logger.warn('token touch failed', {
      err: new Error('connect ECONNREFUSED postgres://oc:s3cret-pw@db:5432/oc'),
      token: 'oc_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd',
      session: 'ocs_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210',
      header: 'Bearer some.jwt-ish.value',
      admin: 'my-bootstrap-admin-secret',
    });
    for (const secret of ['s3cret-pw', 'AbCdEfGhIjKlMnOp', 'ZyXwVuTsRqPoNmLk', 'some.jwt-ish.value', 'my-bootstrap-admin-secret']) expect(text()).not.toContain(secret);
    expect(text()).toContain('postgres://oc:[redacted]@db:5432/oc');
    expect(text()).toContain('oc_[redacted]');
  });
});
