// The pages of the signed-in UI and how they map to the URL hash (#/, #/backups,
// #/backups/<id>, #/backups/<id>/restore, #/settings).

export type Route =
  | { page: 'overview' }
  | { page: 'backups' }
  | { page: 'details'; backupId: string }
  | { page: 'restore'; backupId: string }
  | { page: 'settings' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'settings') return { page: 'settings' };
  if (parts[0] === 'backups') {
    if (parts[1] && parts[2] === 'restore') return { page: 'restore', backupId: parts[1] };
    if (parts[1]) return { page: 'details', backupId: parts[1] };
    return { page: 'backups' };
  }
  return { page: 'overview' };
}

export const href = {
  overview: '#/',
  backups: '#/backups',
  settings: '#/settings',
  details: (id: string) => `#/backups/${encodeURIComponent(id)}`,
  restore: (id: string) => `#/backups/${encodeURIComponent(id)}/restore`,
};
