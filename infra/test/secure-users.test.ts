import { describe, expect, it } from 'vitest';
import { SECURE_USERS } from '../src/secure/credentials.js';
import { missingUsers } from '../src/secure/stack.js';

describe('the users of a running secure broker', () => {
  it('are those it started with: a principal added to the contract since is named', () => {
    expect(missingUsers(SECURE_USERS)).toEqual([]);
    const [added, ...before] = [...SECURE_USERS].reverse();
    expect(missingUsers(before)).toEqual([added]);
  });
});
