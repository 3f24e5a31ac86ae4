// Text formatting for the UI. Pure (no DOM); unit-tested.

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 55000 -> "55,000" */
export function formatInt(n) {
  return Number.isFinite(n) ? intFormat.format(Math.round(n)) : '—';
}

/** 0.97123 -> "97.12 %" */
export function formatPercent(fraction, digits = 2) {
  if (!Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)} %`;
}

/**
 * Remaining time: "<1 s", "42 s", "3:07", "1:02:03"; "—" when unknown.
 */
export function formatEta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return '<1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (v) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** Samples per second: "1,234 samples/s", "12.5 samples/s". */
export function formatRate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '— samples/s';
  const text = perSecond < 100 ? perSecond.toFixed(1) : formatInt(perSecond);
  return `${text} samples/s`;
}

/** Bytes: "512 B", "9.5 kB", "9.9 MB". */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** Learning rate in a compact form: 0.001 -> "1e-3", 0.0005 -> "5e-4", 0.05 -> "0.05". */
export function formatLearningRate(lr) {
  if (!Number.isFinite(lr)) return '—';
  if (lr >= 0.01) return String(+lr.toPrecision(3));
  const [m, e] = lr.toExponential().split('e');
  return `${+(+m).toPrecision(3)}e${+e}`;
}

/** Parameter count: 1234567 -> "1.23 M", 45678 -> "45.7 k". */
export function formatCount(n) {
  if (!Number.isFinite(n)) return '—';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** The dataset status line, e.g. "MNIST loaded: 55,000 train · 5,000 validation · 10,000 test". */
export function datasetStatusText({ train, validation, test }) {
  return `MNIST loaded: ${formatInt(train)} train · ${formatInt(validation)} validation · ${formatInt(test)} test`;
}
