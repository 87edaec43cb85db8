// The delete button takes two presses: the first arms it (its label asks to
// confirm with the count), the second deletes. It disarms itself after a
// few seconds and whenever the selection is drawn again. No accidental loss.

import type { Translate } from "./render";

const kArmedMs = 4000;

export class ArmedDelete {
  private armed: number | undefined;

  constructor(private readonly button: HTMLButtonElement, private readonly t: Translate) {}

  /// Back to the plain "delete" label, unarmed.
  reset(): void {
    clearTimeout(this.armed);
    this.armed = undefined;
    this.button.textContent = this.t("deleteSelected");
    this.button.classList.remove("armed");
  }

  /// A press for `count` videos: true when the button was armed (delete
  /// now; it is reset), false when this press armed it.
  press(count: number): boolean {
    if (this.armed === undefined) {
      this.button.textContent = this.t("confirmDelete", String(count));
      this.button.classList.add("armed");
      this.armed = window.setTimeout(() => this.reset(), kArmedMs);
      return false;
    }
    this.reset();
    return true;
  }
}
