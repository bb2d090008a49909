// New-message notifications while the visitor is not looking: an unread
// count for the loader's badge and the page title, and a short beep.
import { Host } from "./host";

/** Notifier counts agent messages that arrive while the panel is not visible. */
export class Notifier {
  private unread = 0;
  private audio: AudioContext | null = null;

  constructor(private readonly host: Host) {
    // The audio context is created on the visitor's first gesture in the
    // frame (browsers refuse it before); until then notifications are silent.
    const unlock = () => this.unlock();
    addEventListener("pointerdown", unlock, { once: true });
    addEventListener("keydown", unlock, { once: true });
  }

  /** clear resets the count once the visitor sees the chat. */
  clear(): void {
    if (this.unread === 0) return;
    this.unread = 0;
    this.host.post("unread", { count: 0 });
  }

  /** bump counts a new message and beeps. */
  bump(): void {
    this.unread++;
    this.host.post("unread", { count: this.unread });
    this.beep();
  }

  private unlock(): void {
    try {
      this.audio ||= new AudioContext();
    } catch {
      /* no sound */
    }
  }

  private beep(): void {
    const audio = this.audio;
    if (!audio || audio.state !== "running") return;
    try {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = 880;
      g.gain.value = 0.05;
      o.connect(g).connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.12);
    } catch {
      /* sound is best effort */
    }
  }
}
