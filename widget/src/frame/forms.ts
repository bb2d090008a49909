// The visitor's two forms: the pre-chat form, shaped by the widget's
// settings, and the offline form shown when no agent is online. Values are
// read from the frame's own inputs only.
import { VisitorFields, WidgetConfig } from "./api";
import { charCount, counterText, MAX_CHARS, tooLong } from "./format";
import { FormName } from "./presence";
import { $, show, text } from "./ui";

const fields = ["name", "email", "phone"] as const;
const emailRE = /^[^\s@]+@[^\s@]+$/;

/** The default offline text, when the widget's settings cannot be read. */
const defaultOffline = "We are away right now. Leave a message and we will get back to you.";

function value(id: string): string {
  return ((document.getElementById(id) as HTMLInputElement | null)?.value || "").trim();
}

/**
 * applyPrechat shapes the pre-chat form: hidden fields are removed from it,
 * required ones lose their "(optional)" mark.
 */
export function applyPrechat(c: WidgetConfig): void {
  for (const f of fields) {
    const label = document.getElementById("f-" + f);
    if (!label) continue; // removed by an earlier shaping
    const mode = c.prechat[f];
    if (mode === "hidden") {
      label.remove();
      continue;
    }
    const req = mode === "required";
    $<HTMLInputElement>(f).required = req;
    show(label.querySelector(".opt") as HTMLElement, !req);
  }
}

/** applyOfflineMessage shows the widget's offline message (as text). */
export function applyOfflineMessage(c: WidgetConfig): void {
  const el = $("offmsg");
  const want = c.offline_message || defaultOffline;
  if (el.textContent !== want) text(el, want);
}

/** missingField returns what the visitor must still fill in, or "". */
export function missingField(c: WidgetConfig): string {
  for (const f of fields) {
    if (c.prechat[f] === "required" && document.getElementById(f) && !value(f)) return "Please fill in your " + f + ".";
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
  else v.error = tooLong(charCount(v.body));
  return v;
}

/** started reports whether the visitor has typed anything into a form. */
export function started(form: FormName): boolean {
  for (const el of Array.from($(form).querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea"))) {
    if (el.value.trim()) return true;
  }
  return false;
}

// The contact fields of each form, in the same order.
const contact: Record<FormName, string[]> = { prechat: ["name", "email"], offline: ["off-name", "off-email"] };

/** carryContact copies name and email into the other form's empty fields. */
export function carryContact(from: FormName, to: FormName): void {
  contact[to].forEach((id, i) => {
    const dst = document.getElementById(id) as HTMLInputElement | null;
    const v = value(contact[from][i]);
    if (dst && v && !dst.value.trim()) dst.value = v;
  });
}

/** focusFirst focuses the form's first empty field, else its first field. */
export function focusFirst(form: HTMLElement): void {
  const all = Array.from(form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea"));
  (all.find((el) => !el.value) || all[0])?.focus();
}

/**
 * updateCounter shows how long the text in input is once it nears the
 * limit ("3,612 / 4,000"), marked when over; returns the length.
 */
export function updateCounter(input: HTMLTextAreaElement, counter: HTMLElement): number {
  const n = charCount(input.value.trim());
  const s = counterText(n);
  if (counter.textContent !== s) text(counter, s);
  show(counter, !!s);
  counter.classList.toggle("over", n > MAX_CHARS);
  input.setAttribute("aria-invalid", String(n > MAX_CHARS));
  return n;
}
