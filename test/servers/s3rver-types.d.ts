// s3rver ships no type declarations; the tests only start it from a plain .mjs file.
declare module 's3rver';
