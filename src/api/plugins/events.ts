import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { can } from '../auth/rbac.js';
import { RequestValidationError } from '../errors.js';
import { type ApiContext, credentialOf, guard } from '../route.js';
import { EventMessage, EventsQuery } from '../schemas.js';

/** A client this far behind is cut off (it reconnects with `since` and loses nothing). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const PING_MS = 25_000;
/** WebSocket close code 1008: the connection no longer meets the server's policy. */
const POLICY_VIOLATION = 1008;

/** Milliseconds until a (verified) session JWT expires; null for API tokens. */
function jwtExpiresIn(credential: string): number | null {
  if (credential.startsWith('pat_')) return null;
  try {
    const { exp } = decodeJwt(credential);
    return typeof exp === 'number' ? Math.max(0, exp * 1000 - Date.now()) : null;
  } catch {
    return null;
  }
}

/** The bus hands the same event object to every watcher: serialise it once, not once per client. */
const serialised = new WeakMap<object, string>();
function encode(event: object): string {
  let text = serialised.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    serialised.set(event, text);
  }
  return text;
}

/**
 * WebSocket `/api/v1/events?run=RUN&since=SEQ`: every event after SEQ from the store, then live ones,
 * in order and without a gap (Orchestrator.watch). Each message is one RunEvent as JSON. Browsers
 * cannot set headers on a WebSocket, so the token may also come as `?token=`.
 */
export async function eventsPlugin(
  app: FastifyInstance,
  ctx: ApiContext,
  options: { recheckMs: number } = { recheckMs: 10_000 },
) {
  ctx.routes.add({
    method: 'GET',
    url: '/api/v1/events',
    summary: 'Live run events over WebSocket; reconnect with since=<last seq> to miss nothing',
    tags: ['events'],
    access: 'runs:read',
    query: EventsQuery,
    response: EventMessage,
    status: 101,
    kind: 'websocket',
  });
  app.get(
    '/api/v1/events',
    {
      websocket: true,
      onRequest: guard(ctx, 'runs:read', true),
      // Validate and check the run before the upgrade, so errors are plain problem+json answers.
      preHandler: async (req) => {
        const parsed = EventsQuery.safeParse(req.query);
        if (!parsed.success) throw new RequestValidationError('query', parsed.error);
        await ctx.runtime.orchestrator.getRun(parsed.data.run);
      },
    },
    async (socket, req) => {
      const { run, since } = EventsQuery.parse(req.query);
      let closed = false;
      let unsubscribe: (() => void) | undefined;
      const ping = setInterval(() => socket.ping(), PING_MS);
      // The credential was checked at the upgrade; the socket lives longer than that check. It is
      // checked again when users or tokens change, every recheckMs, and when the JWT expires.
      const credential = credentialOf(req, true) ?? '';
      const recheck = async () => {
        if (closed) return;
        try {
          const user = await ctx.auth.authenticate(credential);
          if (can(user.role, 'runs:read')) return;
          socket.close(POLICY_VIOLATION, `your role (${user.role}) may no longer read runs`);
        } catch (err) {
          if (closed) return;
          socket.close(POLICY_VIOLATION, err instanceof Error ? err.message.slice(0, 120) : 'unauthorized');
        }
        stop();
      };
      const timer = setInterval(() => void recheck(), options.recheckMs);
      const offChange = ctx.auth.onChange(() => void recheck());
      const expiresIn = jwtExpiresIn(credential);
      const expiry =
        expiresIn === null
          ? undefined
          : setTimeout(() => void recheck(), Math.min(expiresIn + 50, 2 ** 31 - 1));
      const stop = () => {
        closed = true;
        clearInterval(ping);
        clearInterval(timer);
        clearTimeout(expiry);
        offChange();
        unsubscribe?.();
      };
      socket.on('close', stop);
      socket.on('error', stop);
      try {
        const off = await ctx.runtime.orchestrator.watch(run, since, (event) => {
          if (closed) return;
          if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
            socket.close(1013, 'too far behind; reconnect with since');
            return;
          }
          socket.send(encode(event));
        });
        if (closed) off();
        else unsubscribe = off;
      } catch (err) {
        req.log.warn({ run, err: err instanceof Error ? err.message : String(err) }, 'event stream failed');
        socket.close(1011, 'event stream failed');
        stop();
      }
    },
  );
}
