// REST client for the console. Authentication is entirely by the httpOnly
// access/refresh cookies the server sets (credentials: 'same-origin'); the
// console never stores a token. A 401 on an ordinary call triggers one
// cookie refresh (shared by concurrent callers) and a retry.

import { transientStatus } from "../frame/retry";
/** An agent as GET /rest/v1/agents and /me describe it. */
export interface Agent {
  id: string;
  org_id: string;
  name: string;
  email: string;
  role: "owner" | "admin" | "agent";
  /** Set once the agent is deactivated (offboarded). */
  deactivated_at?: string;
}

/** A conversation's state (REST object and `conversation` frame alike). */
export type { ConversationData as Conversation } from "./inbox_state";

/** A stored message (REST object and `message` frame alike). */
export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  client_id?: string;
  sender_kind: "visitor" | "agent" | "system";
  sender_id?: string;
  text: string;
  created_at: string;
}

/** A visitor with decrypted details. */
export interface Visitor {
  id: string;
  widget_id: string;
  name: string;
  email: string;
  phone: string;
  created_at: string;
  last_seen_at: string;
  deleted: boolean;
}

/** How a widget's pre-chat form asks for a field. */
export type FieldMode = "required" | "optional" | "hidden";

/** A widget's pre-chat fields. */
export interface Prechat {
  name: FieldMode;
  email: FieldMode;
  phone: FieldMode;
}

/** A widget, its allowed origins and its visitor-facing settings. */
export interface Widget {
  id: string;
  name: string;
  publishable_key: string;
  allowed_origins: string[];
  prechat?: Prechat;
  offline_message?: string;
  created_at: string;
}

/** The token response of login and refresh; only expires_in is kept. */
export interface Tokens {
  access_token: string;
  expires_in: number;
}

/** A refused request: the REST error body's stable code and human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const base = "/rest/v1";
let refreshing: Promise<Tokens | null> | null = null;
let onSignedOut: () => void = () => {};
let onRefreshed: (t: Tokens) => void = () => {};

/** Registers what happens when the session is gone and when it is renewed. */
export function onSession(signedOut: () => void, refreshed: (t: Tokens) => void): void {
  onSignedOut = signedOut;
  onRefreshed = refreshed;
}

async function raw(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  return fetch(base + path, init);
}

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await res.json();
  } catch {
    payload = null;
  }
  if (!res.ok) {
    const e = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? "http_" + res.status, e?.message ?? res.statusText);
  }
  return payload as T;
}

/**
 * Whether a 401 says the session is the problem (code unauthorized, or no
 * code): only then is a refresh worth trying. A wrong code or password
 * (invalid_code, invalid_credentials) is the answer itself — retrying it
 * would only count one more failure.
 */
async function sessionRefused(res: Response): Promise<boolean> {
  if (res.status !== 401) return false;
  try {
    const code = ((await res.clone().json()) as { error?: { code?: string } } | null)?.error?.code;
    return !code || code === "unauthorized";
  } catch {
    return true;
  }
}

/**
 * Calls the API; a 401 about the session (see sessionRefused) refreshes it
 * once and retries.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await raw(method, path, body);
  if (await sessionRefused(res)) {
    const t = await refresh();
    if (!t) {
      onSignedOut();
      throw new ApiError(401, "unauthorized", "signed out");
    }
    res = await raw(method, path, body);
  }
  return parse<T>(res);
}

/**
 * Renews the session with the refresh cookie; null when the server refused
 * it (the session is over). A transient failure — the server unreachable or
 * answering 503 "unavailable" (its store is down) — rejects with an
 * ApiError instead: the session is kept and the caller retries later.
 */
export function refresh(): Promise<Tokens | null> {
  if (!refreshing) {
    refreshing = (async () => {
      let res: Response;
      try {
        res = await raw("POST", "/auth/refresh");
      } catch {
        throw new ApiError(0, "unreachable", "the server is unreachable");
      }
      try {
        if (transientStatus(res.status)) await parse<unknown>(res); // throws its ApiError
        if (!res.ok) return null;
        const t = await parse<Tokens>(res);
        onRefreshed(t);
        return t;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/**
 * Calls a sign-in route (no session needed): no refresh, no retry; a 401
 * is the route's own answer (a wrong code, a used link).
 */
export async function post<T>(path: string, body: unknown): Promise<T> {
  return parse<T>(await raw("POST", path, body));
}

/** The first factor was right and the account needs its second (TOTP or a backup code). */
export interface MfaChallenge {
  mfa_required: true;
  mfa_ticket: string;
  methods: string[];
}

/** What a sign-in route answers: the session's tokens (cookies set) or the second step. */
export type SignInAnswer = Tokens | MfaChallenge;

/** Whether a sign-in answer asks for the second step. */
export function needsMfa(a: SignInAnswer | null | undefined): a is MfaChallenge {
  return !!a && (a as MfaChallenge).mfa_required === true && typeof (a as MfaChallenge).mfa_ticket === "string";
}

/** An organisation a sign-in may choose. */
export interface OrgChoice {
  id: string;
  name: string;
}

/**
 * The sign-in's email and password match agents of several organisations:
 * sign in again naming one of organizations (409 organization_required).
 */
export class OrgRequiredError extends ApiError {
  constructor(
    message: string,
    readonly organizations: OrgChoice[],
  ) {
    super(409, "organization_required", message);
  }
}

/**
 * Signs in; the server sets the cookies. organizationId picks the
 * organisation when the email and password belong to several (otherwise
 * this rejects with an OrgRequiredError listing them).
 */
export async function login(email: string, password: string, rememberMe: boolean, organizationId?: string): Promise<SignInAnswer> {
  const body: Record<string, unknown> = { email, password, remember_me: rememberMe };
  if (organizationId) body.organization_id = organizationId;
  const res = await raw("POST", "/auth/login", body);
  if (res.status === 409) await orgRequired(res);
  return parse<SignInAnswer>(res);
}

/** Throws an OrgRequiredError for an organization_required answer (else returns). */
async function orgRequired(res: Response): Promise<void> {
  let payload: { error?: { code?: string; message?: string }; organizations?: OrgChoice[] } | null = null;
  try {
    payload = await res.clone().json();
  } catch {
    return;
  }
  if (payload?.error?.code !== "organization_required" || !Array.isArray(payload.organizations)) return;
  const orgs = payload.organizations.filter((o) => typeof o?.id === "string" && typeof o?.name === "string");
  throw new OrgRequiredError(payload.error.message ?? "Choose an organisation.", orgs);
}

/** Signs out: the server revokes the session and clears the cookies. */
export async function logout(): Promise<void> {
  const res = await raw("POST", "/auth/logout");
  if (!res.ok && res.status !== 401) await parse<void>(res);
}

/** Describes the signed-in agent, or null when there is no usable session. */
export async function me(): Promise<Agent | null> {
  let res = await raw("GET", "/me");
  if (res.status === 401) {
    if (!(await refresh())) return null;
    res = await raw("GET", "/me");
  }
  if (res.status === 401) return null;
  const m = await parse<Agent & { kind: string }>(res);
  return m.kind === "agent" ? m : null;
}

/** Query string from defined parameters. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? "?" + s : "";
}

/** What POST /ws/check said about this page's live connection. */
export type WsCheck =
  | { kind: "ok" }
  | { kind: "refused"; message: string }
  | { kind: "unknown" } // a server without the check (404, 405) or another answer
  | { kind: "unreachable" };

/** Asks the server whether it would accept this page's WebSocket (its origin check). */
export async function wsCheck(): Promise<WsCheck> {
  let res: Response;
  try {
    res = await raw("POST", "/ws/check");
  } catch {
    return { kind: "unreachable" };
  }
  if (res.ok) return { kind: "ok" };
  if (res.status === 403) {
    try {
      await parse<unknown>(res);
    } catch (e) {
      if (e instanceof ApiError) return { kind: "refused", message: e.message };
    }
  }
  if (res.status >= 502) return { kind: "unreachable" };
  return { kind: "unknown" };
}
