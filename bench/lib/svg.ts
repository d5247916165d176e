/** Small grouped bar charts as inline SVG: the report must open with no network and no scripts. */

export interface Bar {
  label: string;
  value: number | null;
  color: string;
}

export interface Group {
  label: string;
  bars: Bar[];
  /** A horizontal mark across the group (a ceiling), drawn dashed. */
  marker?: { value: number; label: string };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) ?? 10 * p;
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function barChart(o: { title: string; unit: string; groups: Group[]; width?: number }): string {
  const width = o.width ?? 760;
  const height = 300;
  const m = { top: 36, right: 16, bottom: 58, left: 64 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const values = o.groups.flatMap((g) => [...g.bars.map((b) => b.value ?? 0), g.marker?.value ?? 0]);
  const max = niceMax(Math.max(0, ...values) * 1.08);
  const y = (v: number) => m.top + plotH - (v / max) * plotH;
  const groupW = plotW / Math.max(1, o.groups.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(o.title)}">`,
    `<text x="${m.left}" y="20" font-size="14" font-weight="600">${esc(o.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e3e3"/>`,
      `<text x="${m.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${m.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${m.top + plotH / 2})" text-anchor="middle">${esc(o.unit)}</text>`,
  );
  o.groups.forEach((g, gi) => {
    const gx = m.left + gi * groupW;
    const barW = Math.min(36, (groupW * 0.8) / Math.max(1, g.bars.length));
    const startX = gx + (groupW - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const x = startX + bi * barW;
      if (b.value === null) {
        parts.push(
          `<text x="${x + barW / 2}" y="${y(0) - 4}" font-size="10" text-anchor="middle">n/a</text>`,
        );
        return;
      }
      parts.push(
        `<rect x="${x + 1}" y="${y(b.value)}" width="${barW - 2}" height="${y(0) - y(b.value)}" fill="${b.color}"><title>${esc(`${g.label} · ${b.label}: ${fmt(b.value)} ${o.unit}`)}</title></rect>`,
        `<text x="${x + barW / 2}" y="${y(b.value) - 3}" font-size="9" text-anchor="middle">${fmt(b.value)}</text>`,
      );
    });
    if (g.marker) {
      const my = y(g.marker.value);
      parts.push(
        `<line x1="${gx + 4}" x2="${gx + groupW - 4}" y1="${my}" y2="${my}" stroke="#c0392b" stroke-dasharray="5 3" stroke-width="1.5"><title>${esc(`${g.marker.label}: ${fmt(g.marker.value)}`)}</title></line>`,
        `<text x="${gx + groupW - 6}" y="${my - 4}" font-size="9" fill="#c0392b" text-anchor="end">${esc(g.marker.label)} ${fmt(g.marker.value)}</text>`,
      );
    }
    parts.push(
      `<text x="${gx + groupW / 2}" y="${height - m.bottom + 16}" font-size="11" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  // Legend: one entry per distinct bar label and colour.
  const legend = [
    ...new Map(o.groups.flatMap((g) => g.bars.map((b) => [b.label, b.color] as const))).entries(),
  ];
  legend.forEach(([label, color], i) => {
    const lx = m.left + i * 130;
    parts.push(
      `<rect x="${lx}" y="${height - 20}" width="10" height="10" fill="${color}"/>`,
      `<text x="${lx + 14}" y="${height - 11}" font-size="11">${esc(label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
