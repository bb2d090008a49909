// Passkey ceremonies in the browser. The server's begin routes answer
// {"publicKey": {...}} with every binary field (challenge, user.id,
// credential ids) as base64url text; the browser's WebAuthn API wants
// ArrayBuffers, and the finish routes want the credential back as JSON with
// base64url fields. This module converts both ways and nothing else: the
// server checks everything.

/** The JSON form of a PublicKeyCredential that the finish routes read. */
export type CredentialJSON = Record<string, unknown>;

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

/** Decodes base64url (padding optional) to bytes. */
export function fromBase64url(s: string): ArrayBuffer {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

/** Encodes bytes as unpadded base64url. */
export function toBase64url(buf: ArrayBuffer | ArrayBufferView | null | undefined): string {
  if (!buf) return "";
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type Json = Record<string, unknown>;

function withIds(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.map((d: Json) => ({ ...(d as object), id: fromBase64url(String(d.id)) }) as PublicKeyCredentialDescriptor);
}

/** Turns register/begin's publicKey JSON into creation options. */
export function creationOptions(pk: Json): PublicKeyCredentialCreationOptions {
  const user = pk.user as Json;
  const opts = { ...pk, challenge: fromBase64url(String(pk.challenge)), user: { ...user, id: fromBase64url(String(user.id)) } } as Json;
  const exclude = withIds(pk.excludeCredentials);
  if (exclude) opts.excludeCredentials = exclude;
  return opts as unknown as PublicKeyCredentialCreationOptions;
}

/** Turns login/begin's publicKey JSON into request options. */
export function requestOptions(pk: Json): PublicKeyCredentialRequestOptions {
  const opts = { ...pk, challenge: fromBase64url(String(pk.challenge)) } as Json;
  const allow = withIds(pk.allowCredentials);
  if (allow) opts.allowCredentials = allow;
  return opts as unknown as PublicKeyCredentialRequestOptions;
}

function common(c: PublicKeyCredential): Json {
  return {
    id: c.id,
    rawId: toBase64url(c.rawId),
    type: c.type,
    authenticatorAttachment: c.authenticatorAttachment ?? undefined,
    clientExtensionResults: c.getClientExtensionResults(),
  };
}

/** Creates a passkey from register/begin's publicKey; null when the user cancelled. */
export async function createPasskey(pk: Json): Promise<CredentialJSON | null> {
  const c = (await navigator.credentials.create({ publicKey: creationOptions(pk) })) as PublicKeyCredential | null;
  if (!c) return null;
  const r = c.response as AuthenticatorAttestationResponse;
  const transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  return {
    ...common(c),
    response: { clientDataJSON: toBase64url(r.clientDataJSON), attestationObject: toBase64url(r.attestationObject), transports },
  };
}

/** Signs login/begin's challenge with a passkey; null when the user cancelled. */
export async function getPasskey(pk: Json): Promise<CredentialJSON | null> {
  const c = (await navigator.credentials.get({ publicKey: requestOptions(pk) })) as PublicKeyCredential | null;
  if (!c) return null;
  const r = c.response as AuthenticatorAssertionResponse;
  return {
    ...common(c),
    response: {
      clientDataJSON: toBase64url(r.clientDataJSON),
      authenticatorData: toBase64url(r.authenticatorData),
      signature: toBase64url(r.signature),
      userHandle: r.userHandle ? toBase64url(r.userHandle) : undefined,
    },
  };
}

/** Words for a WebAuthn failure (the browser's DOMException names). */
export function passkeyErrorText(e: unknown): string | null {
  const name = e && typeof e === "object" && "name" in e ? String((e as { name: unknown }).name) : "";
  if (name === "NotAllowedError" || name === "AbortError") return "The passkey request was cancelled or timed out.";
  if (name === "InvalidStateError") return "This device already holds a passkey for this account.";
  if (name === "SecurityError") return "Passkeys need the console's own address (its --public-url) over HTTPS or localhost.";
  if (name === "NotSupportedError") return "This browser or device cannot use passkeys.";
  return null;
}
