// Server-side templates without a template engine: `html` escapes every interpolated value unless
// it is itself the result of `html` (or `raw`), so markup composes and data never becomes markup.

class SafeHtml {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render(v) {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escape(v);
}

/** Tagged template: `html\`<p>${text}</p>\``. */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Trusted markup, e.g. a page rendered elsewhere. */
export const raw = (s) => new SafeHtml(s);
