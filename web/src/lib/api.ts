// The browser's API client. The access token lives in memory only; the refresh token is
// the HttpOnly cookie the server sets on /auth, so a page reload signs in again with one
// POST /auth/refresh. A 401 triggers one silent refresh, then the caller is sent to sign in.

export type FieldProblem = { field: string; message: string };

export type Problem = {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  errors?: FieldProblem[];
  reason?: string;
  unlocks_at?: string;
};

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
  }
  get status() {
    return this.problem.status;
  }
  get code() {
    return this.problem.code;
  }
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) {
      const field = e.field.replace(/^\./, '');
      if (!(field in out)) out[field] = e.message;
    }
    return out;
  }
}

export type Tokens = { access_token: string; refresh_token: string; token_type: string; expires_in: number };

const HINT = 'konqer.session';
let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
let leftOnPurpose = false;
const listeners = new Set<() => void>();

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  for (const l of listeners) l();
}

export function hasToken(): boolean {
  return accessToken !== null;
}

/** Whether this browser signed in before (a hint, not a credential). */
export function mightHaveSession(): boolean {
  try {
    return window.localStorage.getItem(HINT) === '1';
  } catch {
    return false;
  }
}

/** True after the user signed out (pages then go to sign-in without a "come back" link). */
export function signedOutOnPurpose(): boolean {
  return leftOnPurpose;
}

export function acceptTokens(tokens: Tokens) {
  accessToken = tokens.access_token;
  leftOnPurpose = false;
  try {
    window.localStorage.setItem(HINT, '1');
  } catch {
    /* private mode: the session still works in this tab */
  }
  notify();
}

export function forgetSession(onPurpose = false) {
  accessToken = null;
  if (onPurpose) leftOnPurpose = true;
  try {
    window.localStorage.removeItem(HINT);
  } catch {
    /* nothing stored */
  }
  notify();
}

async function readProblem(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    return {
      title: body.title ?? response.statusText,
      status: body.status ?? response.status,
      code: body.code ?? 'error',
      detail: body.detail,
      errors: body.errors,
      reason: body.reason,
      unlocks_at: body.unlocks_at,
    };
  } catch {
    return { title: 'Unexpected answer', status: response.status, code: 'error', detail: `The server answered ${response.status}.` };
  }
}

function networkProblem(): ApiError {
  return new ApiError({
    title: 'Network error',
    status: 0,
    code: 'network',
    detail: 'Konqer could not be reached. Check your connection and try again.',
  });
}

/** Trades the refresh cookie for a new access token, once at a time per tab. */
export function refreshSession(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await fetch('/auth/refresh', { method: 'POST', credentials: 'same-origin' });
        if (!response.ok) {
          forgetSession();
          return false;
        }
        acceptTokens((await response.json()) as Tokens);
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export class SignInRequired extends Error {}

type Options = { method?: string; body?: unknown; signal?: AbortSignal; accept?: string; auth?: boolean };

/** Performs a request and returns the raw response (2xx only); problems become ApiError. */
export async function request(path: string, options: Options = {}): Promise<Response> {
  const auth = options.auth ?? true;
  const send = () => {
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
    return fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  };
  if (auth && !accessToken && !(await refreshSession())) throw new SignInRequired();
  let response: Response;
  try {
    response = await send();
    if (auth && response.status === 401) {
      if (!(await refreshSession())) throw new SignInRequired();
      response = await send();
      if (response.status === 401) {
        forgetSession();
        throw new SignInRequired();
      }
    }
  } catch (err) {
    if (err instanceof SignInRequired || (err instanceof DOMException && err.name === 'AbortError')) throw err;
    throw networkProblem();
  }
  if (!response.ok) throw new ApiError(await readProblem(response));
  return response;
}

export async function api<T>(path: string, options: Options = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Calls without a session (sign-in, registration) and accepts the tokens they return. */
export async function signIn(path: '/auth/login' | '/auth/register', body: unknown): Promise<void> {
  const tokens = await api<Tokens>(path, { method: 'POST', body, auth: false });
  acceptTokens(tokens);
}

export async function signOut(): Promise<void> {
  leftOnPurpose = true;
  try {
    await fetch('/auth/logout', {
      method: 'POST',
      credentials: 'same-origin',
      headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
    });
  } finally {
    forgetSession();
  }
}

export type SseEvent = { event: string; data: string };

/** Reads a text/event-stream body event by event. */
export async function* readEvents(response: Response): AsyncGenerator<SseEvent> {
  const reader = response.body?.getReader();
  if (!reader) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) yield { event, data: data.join('\n') };
    }
  }
}
