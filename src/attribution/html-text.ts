import type { Suspect } from './report.js';

/**
 * Escaping and the one recipient label shared by the HTML report's page (html.ts) and its charts
 * (html-charts.ts).
 * @module
 */

/** `s` as HTML text, safe inside an element or a quoted attribute. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A recipient as the report names it: `PV (Partido Verde)`, or the id alone when it has no other name. */
export function who(s: Suspect): string {
  return s.name && s.name !== s.recipient ? `${s.recipient} (${s.name})` : s.recipient;
}
