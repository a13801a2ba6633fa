// Painting a timeline scene: on a canvas, or as a standalone SVG document, in the colours
// of the page's stylesheet (light or dark).

/** @typedef {import('./scene.js').Scene} Scene */

/** Colours used when the stylesheet does not define them (Node, or before CSS loads). */
const FALLBACK_COLORS = /** @type {Record<string, string>} */ ({
  running: '#0072b2',
  io_wait: '#009e73',
  awaiting: '#f0e442',
  gil_wait: '#e69f00',
  spawn: '#8c8c99',
  ipc: '#cc79a7',
  blocked: '#d55e00',
  bg: '#ffffff',
  stripe: '#f4f5f8',
  track: '#e9ebf0',
  grid: '#dfe2e8',
  text: '#1d2230',
  muted: '#5d6474',
  focus: '#1d2230',
});

/** CSS custom properties of the picture's own colours; a state's is `--state-<name>`. */
const COLOR_VARS = /** @type {Record<string, string>} */ ({
  bg: '--tl-bg',
  stripe: '--tl-stripe',
  track: '--tl-track',
  grid: '--tl-grid',
  text: '--tl-text',
  muted: '--tl-muted',
  focus: '--tl-focus',
});

const FONT_FALLBACK = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * The colours and font from the stylesheet under `root`, so light and dark match the page.
 * @param {Element} root
 * @param {string[]} states
 */
export function theme(root, states) {
  const cs = getComputedStyle(root);
  /** @type {Record<string, string>} */
  const colors = {};
  const vars = { ...COLOR_VARS, ...Object.fromEntries(states.map((s) => [s, `--state-${s.replaceAll('_', '-')}`])) };
  for (const [key, v] of Object.entries(vars)) colors[key] = cs.getPropertyValue(v).trim() || FALLBACK_COLORS[key] || FALLBACK_COLORS.muted;
  return { colors, font: cs.fontFamily || FONT_FALLBACK };
}

/**
 * Paint a scene on a 2D context (already scaled to css px).
 * @param {CanvasRenderingContext2D} ctx
 * @param {Scene} sc
 * @param {Record<string, string>} colors
 * @param {string} font family
 */
export function paint(ctx, sc, colors, font) {
  ctx.lineWidth = 1;
  ctx.textBaseline = 'middle';
  for (const layer of sc.layers()) {
    if ('rects' in layer) {
      const [key, a] = layer.rects;
      ctx.fillStyle = colors[key];
      for (let i = 0; i < a.length; i += 4) ctx.fillRect(a[i], a[i + 1], a[i + 2], a[i + 3]);
    } else if ('lines' in layer) {
      for (const l of layer.lines) {
        ctx.strokeStyle = colors[l.key];
        ctx.beginPath();
        // Half-pixel offsets keep 1 px vertical lines crisp.
        ctx.moveTo(Math.round(l.x1) + 0.5, l.y1);
        ctx.lineTo(Math.round(l.x2) + 0.5, l.y2);
        ctx.stroke();
      }
    } else {
      for (const t of layer.texts) {
        ctx.font = `${t.bold ? '600 ' : ''}${t.size}px ${font}`;
        ctx.fillStyle = colors[t.key];
        ctx.textAlign = t.align;
        ctx.fillText(t.text, t.x, t.y);
      }
    }
  }
}

/** @param {string} s */
function xml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {number} v */
const n2 = (v) => String(Math.round(v * 100) / 100);

/**
 * A scene as a PNG, at twice the CSS resolution for crisp text.
 * @param {Scene} sc @param {Record<string, string>} colors @param {string} font
 * @returns {Promise<Blob>}
 */
export function sceneToPNG(sc, colors, font) {
  const canvas = document.createElement('canvas');
  const scale = 2;
  canvas.width = Math.round(sc.width * scale);
  canvas.height = Math.round(sc.height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.reject(new Error('no 2D canvas context'));
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, sc.width, sc.height);
  paint(ctx, sc, colors, font);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png'),
  );
}

/**
 * A standalone SVG document of a scene.
 * @param {Scene} sc
 * @param {Record<string, string>} colors
 * @param {string} font
 * @param {string} title
 */
export function sceneToSVG(sc, colors, font, title) {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n2(sc.width)}" height="${n2(sc.height)}" viewBox="0 0 ${n2(sc.width)} ${n2(sc.height)}" font-family="${xml(font)}">`,
    `<title>${xml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${xml(colors.bg)}"/>`,
  ];
  const anchor = { left: 'start', right: 'end', center: 'middle' };
  for (const layer of sc.layers()) {
    if ('rects' in layer) {
      const [key, a] = layer.rects;
      out.push(`<g fill="${xml(colors[key])}">`);
      for (let i = 0; i < a.length; i += 4) {
        out.push(`<rect x="${n2(a[i])}" y="${n2(a[i + 1])}" width="${n2(a[i + 2])}" height="${n2(a[i + 3])}"/>`);
      }
      out.push('</g>');
    } else if ('lines' in layer) {
      for (const l of layer.lines) {
        const x1 = Math.round(l.x1) + 0.5;
        const x2 = Math.round(l.x2) + 0.5;
        out.push(`<line x1="${x1}" y1="${n2(l.y1)}" x2="${x2}" y2="${n2(l.y2)}" stroke="${xml(colors[l.key])}" stroke-width="1"/>`);
      }
    } else {
      for (const t of layer.texts) {
        out.push(
          `<text x="${n2(t.x)}" y="${n2(t.y)}" font-size="${t.size}"${t.bold ? ' font-weight="600"' : ''} fill="${xml(colors[t.key])}" text-anchor="${anchor[t.align]}" dominant-baseline="central">${xml(t.text)}</text>`,
        );
      }
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

