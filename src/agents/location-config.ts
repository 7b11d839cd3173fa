// A configured backup location as the settings keep it (`locations[]` in settings.json) and as
// the registry builds its agent from: the one type for it. The kind's own settings are checked
// by the kind's schema in the registry; credentials never appear here (they are in the secrets file).

import { z } from 'zod';

export const LocationConfigSchema = z.object({
  /** The agent id, `<kind>.<name-slug>`. */
  id: z.string().regex(/^[a-z0-9_]+\.[A-Za-z0-9_-]+$/),
  kind: z.string(),
  name: z.string().min(1),
  settings: z.record(z.string(), z.unknown()),
  /** Upload/download limit in bytes per second; null for none. */
  bandwidth_limit: z.number().int().positive().nullable().default(null),
  /** Read every upload back and compare its SHA-256 before the copy counts. */
  verify: z.boolean().default(true),
});
export type LocationConfig = z.infer<typeof LocationConfigSchema>;
