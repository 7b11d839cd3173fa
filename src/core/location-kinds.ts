// The kinds of backup location the application knows, with their settings and credentials as zod
// schemas: what a front end needs to ask for a new location (the command line turns them into
// options) before the application is opened.

export { LOCATION_KINDS, type LocationKind } from '../agents/location-registry.js';
