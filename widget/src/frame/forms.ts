// The visitor's two forms: the pre-chat form, shaped by the widget's
// settings, and the offline form shown when no agent is online. Values are
// read from the frame's own inputs only.
import { VisitorFields, WidgetConfig } from "./api";
import { $, show, text } from "./ui";

const fields = ["name", "email", "phone"] as const;
const emailRE = /^[^\s@]+@[^\s@]+$/;

function value(id: string): string {
  return ((document.getElementById(id) as HTMLInputElement | null)?.value || "").trim();
}

/**
 * applyPrechat shapes the pre-chat form: hidden fields are removed from it,
 * required ones lose their "(optional)" mark; and it shows the offline
 * message (as text).
 */
export function applyPrechat(c: WidgetConfig): void {
  for (const f of fields) {
    const label = $("f-" + f);
    const mode = c.prechat[f];
    if (mode === "hidden") {
      label.remove();
      continue;
    }
    const req = mode === "required";
    $<HTMLInputElement>(f).required = req;
    show(label.querySelector(".opt") as HTMLElement, !req);
  }
  text($("offmsg"), c.offline_message || "We are away right now. Leave a message and we will get back to you.");
}

/** missingField returns what the visitor must still fill in, or "". */
export function missingField(c: WidgetConfig): string {
  for (const f of fields) {
    if (c.prechat[f] === "required" && !value(f)) return "Please fill in your " + f + ".";
  }
  const email = value("email");
  if (email && !emailRE.test(email)) return "Please check your email address.";
  return "";
}

/** prechatValues reads the pre-chat form's fields that are present. */
export function prechatValues(): VisitorFields {
  return { name: value("name"), email: value("email"), phone: value("phone") };
}

/** The offline form's values, and what is wrong with them ("" when nothing). */
export interface OfflineValues {
  name: string;
  email: string;
  body: string;
  error: string;
}

/** offlineValues reads and checks the offline form: email and message are required. */
export function offlineValues(): OfflineValues {
  const v = { name: value("off-name"), email: value("off-email"), body: value("off-text"), error: "" };
  if (!emailRE.test(v.email)) v.error = "Please give us your email so we can reply.";
  else if (!v.body) v.error = "Please write your message.";
  return v;
}
