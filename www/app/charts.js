// Live training charts (Chart.js): loss and accuracy per step (raw + EMA-smoothed), and
// validation / test accuracy per epoch. Updates are batched into one redraw per frame.

import {
  Chart,
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  Legend,
  Tooltip,
  Filler,
} from 'chart.js';
import { Ema, ThinningSeries } from '../shared/metrics.js';

const MAX_POINTS = 800; // per line; older points are thinned out
const REDRAW_MS = 250; // at most four redraws a second

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Filler);

const COLORS = {
  main: '#4f46e5',
  raw: 'rgba(79, 70, 229, 0.18)',
  acc: '#0891b2',
  accRaw: 'rgba(8, 145, 178, 0.18)',
  val: '#7c3aed',
  test: '#059669',
  grid: 'rgba(15, 23, 42, 0.06)',
  text: '#64748b',
};

Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font').trim() || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = COLORS.text;

function baseOptions({ yTitle, yMin, yMax, xTitle = 'step', percent = false }) {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2, usePointStyle: false, padding: 10 } },
      tooltip: {
        callbacks: {
          label: (ctx) => `${ctx.dataset.label}: ${percent ? (ctx.parsed.y * 100).toFixed(2) + ' %' : ctx.parsed.y.toFixed(4)}`,
        },
      },
    },
    scales: {
      x: { type: 'linear', title: { display: true, text: xTitle }, grid: { color: COLORS.grid }, ticks: { maxTicksLimit: 6, precision: 0 } },
      y: {
        min: yMin,
        max: yMax,
        title: { display: !!yTitle, text: yTitle },
        grid: { color: COLORS.grid },
        ticks: { maxTicksLimit: 5, callback: percent ? (v) => `${Math.round(v * 100)}%` : undefined },
      },
    },
    elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0 } },
  };
}

function line(label, color, extra = {}) {
  return { label, data: [], borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2, ...extra };
}

export class TrainingCharts {
  constructor({ loss, accuracy, epochs }, { smoothing = 0.95 } = {}) {
    this.smoothing = smoothing;
    this.loss = new Chart(loss, {
      type: 'line',
      data: { datasets: [line('loss (smoothed)', COLORS.main), line('loss (batch)', COLORS.raw, { borderWidth: 1 })] },
      options: baseOptions({ yTitle: 'loss', yMin: 0 }),
    });
    this.accuracy = new Chart(accuracy, {
      type: 'line',
      data: { datasets: [line('accuracy (smoothed)', COLORS.acc), line('accuracy (batch)', COLORS.accRaw, { borderWidth: 1 })] },
      options: baseOptions({ yTitle: 'accuracy', yMin: 0, yMax: 1, percent: true }),
    });
    const epochOpts = baseOptions({ yTitle: 'accuracy', xTitle: 'epoch', percent: true });
    epochOpts.scales.x.min = 0;
    epochOpts.scales.x.ticks.stepSize = 1;
    this.epochs = new Chart(epochs, {
      type: 'line',
      data: {
        datasets: [
          line('validation', COLORS.val, { pointRadius: 4, pointHoverRadius: 6 }),
          line('test', COLORS.test, { pointRadius: 4, pointHoverRadius: 6, borderDash: [5, 4] }),
        ],
      },
      options: epochOpts,
    });
    this.pending = false;
    this.reset();
  }

  reset() {
    this.lossEma = new Ema(this.smoothing);
    this.accEma = new Ema(this.smoothing);
    this.series = {
      lossS: new ThinningSeries(MAX_POINTS),
      lossR: new ThinningSeries(MAX_POINTS),
      accS: new ThinningSeries(MAX_POINTS),
      accR: new ThinningSeries(MAX_POINTS),
    };
    for (const c of [this.loss, this.accuracy, this.epochs]) {
      for (const d of c.data.datasets) d.data = [];
      c.update('none');
    }
  }

  /** steps: [{ step, loss, accuracy }] */
  addSteps(steps) {
    const s = this.series;
    for (const p of steps) {
      if (Number.isFinite(p.loss)) {
        s.lossR.push(p.step, p.loss);
        s.lossS.push(p.step, this.lossEma.push(p.loss));
      }
      if (Number.isFinite(p.accuracy)) {
        s.accR.push(p.step, p.accuracy);
        s.accS.push(p.step, this.accEma.push(p.accuracy));
      }
    }
    this.dirtySteps = true;
    this.schedule();
  }

  addEpoch({ epoch, validation, test }) {
    const [val, tst] = this.epochs.data.datasets;
    if (validation) val.data.push({ x: epoch, y: validation.accuracy });
    if (test) tst.data.push({ x: epoch, y: test.accuracy });
    const ys = [...val.data, ...tst.data].map((p) => p.y);
    const lo = Math.min(...ys);
    this.epochs.options.scales.y.min = Math.max(0, Math.floor((lo - 0.02) * 20) / 20);
    this.epochs.options.scales.y.max = 1;
    this.epochs.options.scales.x.max = Math.max(1, epoch);
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, REDRAW_MS - (performance.now() - (this.lastDraw || 0)));
    setTimeout(() => requestAnimationFrame(() => this.draw()), wait);
  }

  draw() {
    this.pending = false;
    this.lastDraw = performance.now();
    if (this.dirtySteps) {
      this.dirtySteps = false;
      const s = this.series;
      const [lossS, lossR] = this.loss.data.datasets;
      const [accS, accR] = this.accuracy.data.datasets;
      lossS.data = s.lossS.points.slice();
      lossR.data = s.lossR.points.slice();
      accS.data = s.accS.points.slice();
      accR.data = s.accR.points.slice();
      this.loss.update('none');
      this.accuracy.update('none');
    }
    this.epochs.update('none');
  }
}
