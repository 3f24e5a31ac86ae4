import test from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient, serveRpc, withTransfer, RpcError, MSG, EVT, serializeError, LatestOnlyQueue, isEvent, isResponse, plain } from '../../www/protocol/protocol.js';

/** Two connected in-memory endpoints, delivering asynchronously like postMessage. */
function channel() {
  const make = () => ({ listeners: new Set(), other: null, sent: [],
    addEventListener(type, fn) { if (type === 'message') this.listeners.add(fn); },
    removeEventListener(type, fn) { this.listeners.delete(fn); },
    postMessage(data, transfer) { this.sent.push({ data, transfer }); const o = this.other; setTimeout(() => o.listeners.forEach((fn) => fn({ data: structuredClone(data) }))); },
  });
  const a = make(); const b = make(); a.other = b; b.other = a;
  return [a, b];
}

test('call resolves with the handler result and ids are distinct', async () => {
  const [main, worker] = channel();
  serveRpc(worker, { add: ({ a, b }) => a + b, later: async ({ v }) => { await new Promise((r) => setTimeout(r, 5)); return v; } });
  const rpc = new RpcClient(main);
  const [x, y, z] = await Promise.all([rpc.call('later', { v: 'slow' }), rpc.call('add', { a: 2, b: 3 }), rpc.call('add', { a: 1, b: 1 })]);
  assert.equal(x, 'slow'); assert.equal(y, 5); assert.equal(z, 2);
  const ids = main.sent.map((m) => m.data.id);
  assert.equal(new Set(ids).size, 3);
  assert.equal(rpc.inFlight, 0);
});

test('errors thrown in handlers reject with RpcError carrying message and kind', async () => {
  const [main, worker] = channel();
  serveRpc(worker, { boom: () => { const e = new Error('IDX: bad magic'); e.kind = 'bad-magic'; throw e; } });
  const rpc = new RpcClient(main);
  await assert.rejects(rpc.call('boom'), (err) => err instanceof RpcError && err.message === 'IDX: bad magic' && err.kind === 'bad-magic' && err.type === 'boom');
  await assert.rejects(rpc.call('nope'), /unknown request type "nope"/);
});

test('events reach subscribers; unsubscribe works', async () => {
  const [main, worker] = channel();
  const server = serveRpc(worker, {});
  const rpc = new RpcClient(main);
  const got = [];
  const off = rpc.on(EVT.TRAIN_PROGRESS, (d) => got.push(d.batch));
  server.emit(EVT.TRAIN_PROGRESS, { batch: 1 });
  server.emit('other', { batch: 99 });
  await new Promise((r) => setTimeout(r, 5));
  off();
  server.emit(EVT.TRAIN_PROGRESS, { batch: 2 });
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(got, [1]);
});

test('withTransfer passes the transfer list to postMessage', async () => {
  const [main, worker] = channel();
  serveRpc(worker, { bytes: () => { const b = new Uint8Array([1, 2, 3]); return withTransfer({ b }, [b.buffer]); } });
  const rpc = new RpcClient(main);
  const r = await rpc.call('bytes');
  assert.deepEqual([...r.b], [1, 2, 3]);
  assert.equal(worker.sent[0].transfer.length, 1);
});

test('failAll rejects pending calls and later calls', async () => {
  const [main] = channel();
  const rpc = new RpcClient(main);
  const p = rpc.call('never');
  rpc.failAll(new RpcError({ message: 'worker crashed' }));
  await assert.rejects(p, /worker crashed/);
  await assert.rejects(rpc.call('x'), /worker crashed/);
});

test('message shape helpers and constants', () => {
  assert.ok(isResponse({ id: 1, ok: true }));
  assert.ok(!isResponse({ id: 1 }));
  assert.ok(isEvent({ event: 'x' }));
  assert.equal(MSG.PREDICT, 'predict');
  assert.deepEqual(serializeError('plain'), { name: 'Error', message: 'plain' });
  assert.deepEqual(serializeError(new TypeError('t')), { name: 'TypeError', message: 't' });
});

test('LatestOnlyQueue keeps one request in flight and runs only the latest queued', async () => {
  const started = [];
  const results = [];
  let release;
  const q = new LatestOnlyQueue(
    (arg) => { started.push(arg); return new Promise((r) => { release = () => r(arg * 10); }); },
    (res) => results.push(res),
  );
  q.push(1); q.push(2); q.push(3);
  assert.deepEqual(started, [1]);
  release(); await new Promise((r) => setTimeout(r));
  assert.deepEqual(started, [1, 3]);
  release(); await new Promise((r) => setTimeout(r));
  assert.deepEqual(results, [10, 30]);
  q.push(4); q.cancelQueued(); release(); await new Promise((r) => setTimeout(r));
  assert.deepEqual(started, [1, 3, 4]);
});

test('plain turns Maps into objects at any depth and keeps typed arrays', () => {
  const predictions = new Uint8Array([3, 1]);
  const v = new Map([['loss', 0.5], ['nested', new Map([['a', [new Map([['b', 2]])]]])], ['predictions', predictions]]);
  const out = plain(v);
  assert.deepEqual(out, { loss: 0.5, nested: { a: [{ b: 2 }] }, predictions });
  assert.equal(out.predictions, predictions);
  assert.equal(plain(null), null);
  assert.equal(plain(7), 7);
});
