// The iframe's side of the loader channel: postMessage to the embedding
// page with its exact origin as the target, and only messages from that
// page's window and origin are accepted.

/** Host talks to the loader in the embedding page. */
export class Host {
  /** The embedding page's origin, or "" when the frame runs standalone. */
  readonly origin: string;

  constructor(onMessage: (type: string, data: Record<string, unknown>) => void) {
    this.origin = parentOrigin();
    if (!this.origin) return;
    addEventListener("message", (ev: MessageEvent) => {
      if (ev.source !== parent || ev.origin !== this.origin) return;
      const d = ev.data as { helpr?: number; type?: string } | null;
      if (d && typeof d === "object" && d.helpr === 1 && typeof d.type === "string") onMessage(d.type, d as Record<string, unknown>);
    });
  }

  /** post sends a message to the loader (nothing when standalone). */
  post(type: string, extra?: Record<string, unknown>): void {
    if (this.origin) parent.postMessage({ helpr: 1, type, ...extra }, this.origin);
  }
}

function parentOrigin(): string {
  if (parent === window) return "";
  const ao = location.ancestorOrigins;
  if (ao && ao.length > 0 && ao[0] !== "null") return ao[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : "";
  } catch {
    return "";
  }
}
