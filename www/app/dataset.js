// The data panel: loads MNIST into the engine (from ?data=URL or the app's own data/mnist/),
// shows the download's progress, and offers a retry when it fails.

import { EVT, MSG } from '../protocol/protocol.js';
import { resolveDataBase } from '../data/data.js';
import { datasetStatusText, formatBytes } from './format.js';
import { dom, refreshControls, rpc, state } from './store.js';
import { $, setProgress } from './ui.js';

function dataBaseUrl() {
  const param = new URLSearchParams(location.search).get('data');
  return resolveDataBase(location.href, param);
}

rpc.on(EVT.DATA_PROGRESS, (p) => {
  const f = p.total ? p.loaded / p.total : 0;
  setProgress(dom.dataBar, f);
  if (!state.dataset) {
    dom.datasetStatus.textContent = p.fromCache
      ? 'Loading MNIST from the browser cache…'
      : `Downloading MNIST… ${Math.round(f * 100)} % (${formatBytes(p.loaded)} of ${formatBytes(p.total)})`;
  }
});

/** The running load, or a settled promise: what a model change waits for (the engine runs one job). */
let loading = Promise.resolve();

/** Resolves once no data set is loading. */
export const dataSettled = () => loading;

/** Load the data set into the engine; failures are shown in the panel, never thrown. */
export function loadData() {
  if (state.dataLoading || state.engine !== 'ready') return loading;
  state.dataLoading = true;
  loading = load();
  return loading;
}

async function load() {
  dom.dataError.hidden = true;
  dom.datasetStatus.dataset.ready = 'false';
  dom.datasetStatus.textContent = 'Loading MNIST…';
  setProgress(dom.dataBar, 0);
  try {
    const base = dataBaseUrl();
    const summary = await rpc.call(MSG.LOAD_DATA, { baseUrl: base });
    state.dataset = summary;
    dom.datasetStatus.textContent = datasetStatusText(summary);
    dom.datasetStatus.dataset.ready = 'true';
    setProgress(dom.dataBar, 1, { state: 'done' });
    const rel = base.startsWith(location.origin) ? base.slice(location.origin.length) : base;
    dom.dataSource.textContent = `${summary.name || 'IDX files'} from ${rel} · ${summary.fromCache ? 'cached in this browser' : `loaded ${formatBytes(summary.bytes)}`}`;
    dom.dataSource.title = summary.source || '';
  } catch (err) {
    dom.datasetStatus.textContent = 'MNIST could not be loaded.';
    dom.dataErrorText.textContent = err.message;
    dom.dataError.hidden = false;
    setProgress(dom.dataBar, 0);
  } finally {
    state.dataLoading = false;
    refreshControls();
  }
}

$('data-retry').addEventListener('click', () => loadData());
