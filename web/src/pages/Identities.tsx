// Identities (read): users, groups and roles with their permissions.
import { api, type Page } from '../api';
import { Alert, Badge, formatTime, useLoad } from '../ui';

interface User {
  id: string;
  username: string;
  displayName: string;
  kind: string;
  department: string | null;
  status: string;
  expiresAt: number | null;
}
interface Group {
  id: string;
  name: string;
  description: string;
}
interface Role {
  id: string;
  name: string;
  description: string;
  permissions: string[];
  idleTimeoutSeconds: number | null;
}

export function IdentitiesPage() {
  const users = useLoad(() => api<Page<User>>('GET', '/api/v1/users?limit=500').then((r) => r.items), []);
  const groups = useLoad(() => api<{ items: Group[] }>('GET', '/api/v1/groups').then((r) => r.items).catch(() => null), []);
  const roles = useLoad(() => api<{ items: Role[] }>('GET', '/api/v1/roles').then((r) => r.items).catch(() => null), []);
  return (
    <>
      <h1>Identities</h1>
      <section aria-labelledby="users-title">
        <h2 id="users-title">People and services</h2>
        <Alert error={users.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Username</th>
              <th scope="col">Kind</th>
              <th scope="col">Department</th>
              <th scope="col">Status</th>
              <th scope="col">Ends</th>
            </tr>
          </thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.id}>
                <td>{u.displayName}</td>
                <td className="mono">{u.username}</td>
                <td>{u.kind === 'vendor' ? <Badge tone="warn">vendor</Badge> : u.kind}</td>
                <td>{u.department ?? '—'}</td>
                <td>
                  <Badge tone={u.status === 'active' ? 'ok' : 'danger'}>{u.status}</Badge>
                </td>
                <td>{formatTime(u.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {groups.data && (
        <section aria-labelledby="groups-title">
          <h2 id="groups-title">Groups</h2>
          <ul className="plain">
            {groups.data.map((g) => (
              <li key={g.id}>
                <strong>{g.name}</strong> <span className="muted">{g.description}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {roles.data && (
        <section aria-labelledby="roles-title">
          <h2 id="roles-title">Roles</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Permissions</th>
                <th scope="col">Idle timeout</th>
              </tr>
            </thead>
            <tbody>
              {roles.data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <strong>{r.name}</strong>
                    <div className="muted">{r.description}</div>
                  </td>
                  <td className="small">{r.permissions.join(', ')}</td>
                  <td>{r.idleTimeoutSeconds ? `${r.idleTimeoutSeconds / 60} min` : 'default'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
