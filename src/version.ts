// The Lifeboat version, reported by `--version`, in backups' logs and to Home Assistant.
export const VERSION = '0.1.0';
