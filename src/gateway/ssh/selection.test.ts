import { describe, expect, it } from 'vitest';
import { parseSelection } from './selection.js';

describe('target selection in the SSH login name', () => {
  it('reads user+target and user+account@target', () => {
    expect(parseSelection('alice+ehr-db-01')).toEqual({ username: 'alice', target: 'ehr-db-01', account: undefined });
    expect(parseSelection('alice+root@ehr-db-01')).toEqual({ username: 'alice', target: 'ehr-db-01', account: 'root' });
    expect(parseSelection('a.lice+svc_ehr@db.example')).toEqual({ username: 'a.lice', target: 'db.example', account: 'svc_ehr' });
  });

  it.each(['alice', '+ehr', 'alice+', 'alice+root@', 'alice+@ehr', 'alice+ehr/../x', 'alice+ehr db'])('rejects %j', (login) => {
    expect(parseSelection(login)).toBeNull();
  });
});
