import Fastify from 'fastify';

/**
 * The HTTP ceiling: Fastify with no plugins, no logging and no database, answering a lock-shaped
 * request with a small JSON body. Prints `listening <port>` once ready; stops on SIGTERM.
 */
const app = Fastify({ logger: false });

app.post('/api/lock', async (request) => {
  const body = request.body as { eventID: string; seatIDs: string[] };
  return { eventID: body.eventID, seatIDs: body.seatIDs, lockUntil: new Date().toISOString() };
});

const port = Number(process.env.PORT ?? 0);
await app.listen({ port, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
