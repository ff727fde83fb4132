/**
 * Run the example: `npm run build && node dist/examples/fastify/server.js [file] [port]`.
 * SIGINT/SIGTERM close the server, which closes the database (see app.ts's onClose hook).
 */
import { buildApp } from './app';

async function main(): Promise<void> {
  const path = process.argv[2] ?? 'books.modelvault';
  const port = Number(process.argv[3] ?? 3000);
  const app = await buildApp({ path, logger: true });
  const stop = (): void => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ port, host: '127.0.0.1' });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
