import type { RunEvent } from '../../src/contracts/events.js';
import type {
  Approval,
  Artifact,
  AuditRecord,
  Project,
  Run,
  Step,
  StepAttempt,
} from '../../src/contracts/models.js';

/** A thin client for REST /api/v1; the session token lives in sessionStorage (gone with the tab). */

export interface SessionUser {
  id: string;
  username: string;
  role: 'admin' | 'maintainer' | 'reviewer' | 'viewer';
}
export interface Session {
  token: string;
  expiresAt: string;
  user: SessionUser;
  permissions: string[];
}
export interface RunView {
  run: Run;
  project: Project;
  steps: Step[];
  attempts: StepAttempt[];
  approvals: Approval[];
}
export interface Problem {
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}
export interface DeploymentEntry {
  id: string;
  runId: string | null;
  project: string;
  environment: string;
  url: string;
  version: string;
  status: string;
  pid: number | null;
  plugin: string;
  updatedAt: string;
  /** Measured by the server just now: does the URL answer /health with 200. */
  live: boolean | null;
}
export interface Sample {
  at: string;
  requestRate: number | null;
  errorRate: number | null;
  p95Ms: number | null;
  p50Ms: number | null;
  healthy: boolean | null;
}
export interface MonitoringView {
  runId: string;
  environment: string;
  source: string;
  url: string | null;
  version: string | null;
  series: Sample[];
  alerts: Record<string, unknown>[];
  actions: Record<string, unknown>[];
  metrics: Record<string, number>;
}
export interface EngineRow {
  name: string;
  instance: string;
  role: string | null;
  health: string;
  breaker: string;
  inFlight: number;
  queued: number;
  restarts: number;
  lastError: string | null;
}
export type { Artifact, AuditRecord, Project, Run, RunEvent, Step };

const KEY = 'powerauto.session';

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (raw === null) return null;
  try {
    const session = JSON.parse(raw) as Session;
    return Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(session));
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const session = loadSession();
  const headers: Record<string, string> = {};
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 401 && !path.startsWith('/auth/login')) onUnauthorized();
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok) {
    const problem: Problem = type.includes('json')
      ? ((await res.json()) as Problem)
      : { title: res.statusText, status: res.status, detail: await res.text(), code: 'HTTP' };
    throw new ApiProblem(problem);
  }
  return (await res.json()) as T;
}

export async function login(username: string, password: string): Promise<Session> {
  const session = await api<Session>('/auth/login', { method: 'POST', body: { username, password } });
  saveSession(session);
  return session;
}

/** Prometheus text of the orchestrator, for the AdminBoard. */
export async function metricsText(): Promise<string> {
  const session = loadSession();
  const res = await fetch('/metrics', {
    headers: session ? { authorization: `Bearer ${session.token}` } : {},
  });
  return res.ok ? res.text() : '';
}

/**
 * Live events of one run. Reconnects with `since` = the last sequence seen, so nothing is missed;
 * returns the function that stops it.
 */
export function watchRun(
  runId: string,
  onEvent: (event: RunEvent) => void,
  onState?: (live: boolean) => void,
): () => void {
  let since = 0;
  let stopped = false;
  let socket: WebSocket | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    const session = loadSession();
    if (stopped || session === null) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams({ run: runId, since: String(since), token: session.token });
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/events?${params}`);
    socket.onopen = () => onState?.(true);
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as RunEvent;
      if (event.seq <= since) return;
      since = event.seq;
      onEvent(event);
    };
    socket.onclose = () => {
      onState?.(false);
      if (!stopped) retry = setTimeout(connect, 1_000);
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    // Closing while still connecting makes the browser log an error; close once open instead.
    if (socket?.readyState === WebSocket.CONNECTING) socket.onopen = () => socket?.close();
    else socket?.close();
  };
}
