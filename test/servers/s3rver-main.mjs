// Runs s3rver (through its Node API) in a process of its own for the tests and the benchmark:
// `node s3rver-main.mjs PORT DIR BUCKET` prints "ready PORT" once it listens.
import S3rver from 's3rver';

const [port, directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
});
const address = await server.run();
process.stdout.write(`ready ${address.port}\n`);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
