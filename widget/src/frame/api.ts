// REST calls of the visitor iframe. Every request goes to the hub's own
// origin with credentials, so the HttpOnly visitor cookie authenticates it;
// no token is ever read or kept by script.

/** A conversation as the REST API and the `conversation` frame describe it. */
export interface Conversation {
  id: string;
  status: "open" | "closed";
  visitor_id?: string;
  assignee_id?: string | null;
  last_seq: number;
  visitor_read_seq?: number;
  agent_read_seq?: number;
}

/** The pre-chat form's fields; empty strings are left out. */
export interface VisitorFields {
  name?: string;
  email?: string;
  phone?: string;
}

/** An API error with its HTTP status and REST error code. */
export class APIError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "include", headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const res = await fetch("/rest/v1" + path, init);
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    /* empty body */
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new APIError(res.status, err?.code || "http_" + res.status, err?.message || "request failed");
  }
  return data as T;
}

/** me returns the cookie's visitor id, or "" when there is no visitor session. */
export async function me(): Promise<string> {
  try {
    const m = await call<{ visitor: { id: string } | null }>("GET", "/visitor/session");
    return m.visitor ? m.visitor.id : "";
  } catch {
    return "";
  }
}

/**
 * startSession creates the visitor session, or resumes the cookie's visitor
 * (updating the given fields); the server sets the cookie. With token (an
 * identified user's chat JWT, sent in the body only) the session is the
 * customer user's visitor's. Returns the visitor id.
 */
export async function startSession(key: string, f: VisitorFields, token?: string): Promise<string> {
  const body: Record<string, string> = { publishable_key: key };
  if (token) body.token = token;
  for (const k of ["name", "email", "phone"] as const) {
    const v = (f[k] || "").trim();
    if (v) body[k] = v;
  }
  const res = await call<{ visitor: { id: string } }>(
    "POST", "/visitor/sessions?publishable_key=" + encodeURIComponent(key), body);
  return res.visitor.id;
}

/** openConversation returns the visitor's most recent open conversation, if any. */
export async function openConversation(visitorID: string): Promise<Conversation | null> {
  const res = await call<{ conversations: Conversation[] }>("GET", "/conversations?status=open&limit=20");
  return res.conversations.find((c) => c.visitor_id === visitorID) || null;
}

/** An agent as the widget may know it: never more than id and name. */
export interface AgentRef {
  id: string;
  name: string;
}

const convPath = (id: string): string => "/conversations/" + encodeURIComponent(id);

/** assignee returns the conversation's agent (404 while unassigned). */
export function assignee(conversationID: string): Promise<AgentRef> {
  return call<AgentRef>("GET", convPath(conversationID) + "/assignee");
}

/** agent returns an agent of the conversation's organisation by id (404 when unknown). */
export function agent(conversationID: string, agentID: string): Promise<AgentRef> {
  return call<AgentRef>("GET", convPath(conversationID) + "/agents/" + encodeURIComponent(agentID));
}

/** getConversation returns one of the visitor's conversations. */
export function getConversation(id: string): Promise<Conversation> {
  return call<Conversation>("GET", convPath(id));
}

/** How the pre-chat form asks for a field. */
export type FieldMode = "required" | "optional" | "hidden";

/** The widget's public settings: GET /rest/v1/widget/config. */
export interface WidgetConfig {
  prechat: { name: FieldMode; email: FieldMode; phone: FieldMode };
  offline_message: string;
  agents_online: boolean;
}

/** defaultConfig is used when the settings cannot be read: the classic form, online. */
export const defaultConfig: WidgetConfig = {
  prechat: { name: "required", email: "optional", phone: "optional" },
  offline_message: "",
  agents_online: true,
};

/**
 * widgetConfig reads the widget's settings, or null when they cannot be
 * read (the caller keeps what it knew, or defaultConfig).
 */
export async function widgetConfig(key: string): Promise<WidgetConfig | null> {
  try {
    const c = await call<Partial<WidgetConfig>>("GET", "/widget/config?key=" + encodeURIComponent(key));
    return {
      prechat: { ...defaultConfig.prechat, ...(c.prechat || {}) },
      offline_message: c.offline_message || "",
      agents_online: c.agents_online !== false,
    };
  } catch {
    return null;
  }
}
