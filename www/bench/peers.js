// Peers page (www/bench/peers.html), driven by tools/bench/peers.mjs through `window.peers`: runs one
// peer library's training of Inkling's cnn on this page's main thread (each library keeps its backend
// global, so the driver loads a fresh page per configuration). The libraries load only when asked.

const statusEl = document.getElementById('status');

const PEERS = {
  tfjs: async (params) => (await import('./peers/tfjs.js')).tfjsCnn(params),
  jax: async (params) => (await import('./peers/jax.js')).jaxCnn(params),
};

window.peers = {
  async run(name, params = {}) {
    if (!PEERS[name]) throw new Error(`unknown peer "${name}" (${Object.keys(PEERS).join(', ')})`);
    statusEl.textContent = `running ${name} ${JSON.stringify(params)}`;
    const result = await PEERS[name](params);
    statusEl.textContent = 'done';
    return result;
  },
};
statusEl.textContent = 'idle';
