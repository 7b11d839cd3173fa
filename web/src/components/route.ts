// The pages of the signed-in UI and how they map to the URL hash (#/, #/backups,
// #/backups/<id>, #/backups/<id>/files, #/backups/<id>/restore, #/settings). A restore of chosen
// files carries them in the hash (#/backups/<id>/restore?path=a&path=b), so a reload keeps them.

export type Route =
  | { page: 'overview' }
  | { page: 'backups' }
  | { page: 'details'; backupId: string }
  | { page: 'files'; backupId: string }
  | { page: 'restore'; backupId: string; paths: string[] }
  | { page: 'settings' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'settings') return { page: 'settings' };
  if (parts[0] === 'backups') {
    if (parts[1] && parts[2] === 'restore') return { page: 'restore', backupId: parts[1], paths: new URLSearchParams(query).getAll('path') };
    if (parts[1] && parts[2] === 'files') return { page: 'files', backupId: parts[1] };
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
  files: (id: string) => `#/backups/${encodeURIComponent(id)}/files`,
  restore: (id: string, paths: readonly string[] = []) => {
    const query = new URLSearchParams(paths.map((p) => ['path', p])).toString();
    return `#/backups/${encodeURIComponent(id)}/restore${query ? `?${query}` : ''}`;
  },
};
