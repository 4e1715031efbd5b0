import Handlebars from "handlebars";

/** Markup that is already safe (built by `html`, or an SVG from the chart renderer). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = SafeHtml | string | number | null | undefined | boolean | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return "";
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map(render).join("");
  return Handlebars.Utils.escapeExpression(String(part));
}

/** A tagged template: every interpolated value is HTML-escaped (by Handlebars) unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new SafeHtml(out);
}

export const raw = (markup: string) => new SafeHtml(markup);
