// Who may call the API: the app's own top-level page, served from app://renderer. Kept apart from window.ts (which
// needs Electron at run time) so the IPC layer can be tested under plain Node.
import type { WebFrameMain } from 'electron';

export const APP_ORIGIN = 'app://renderer';

/** Only the app's own top-level page may call the API. */
export function isTrustedFrame(frame: Pick<WebFrameMain, 'url' | 'parent'> | null): boolean {
  return frame !== null && frame.parent === null && frame.url.startsWith(`${APP_ORIGIN}/`);
}
