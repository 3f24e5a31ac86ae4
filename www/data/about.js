// What a data set says about itself: an optional dataset.json next to its four IDX files
// ({ name, source, official }), shown by the app and recorded by the benchmark. Absent or
// malformed is fine: the fields are then undefined.

/** The description at `baseUrl`/dataset.json: { name?, source?, official }. */
export async function describeDataset(baseUrl, { fetchImpl = fetch } = {}) {
  try {
    const res = await fetchImpl(new URL('dataset.json', baseUrl), { cache: 'no-cache' });
    if (!res.ok) return { official: false };
    const j = await res.json();
    return {
      name: typeof j.name === 'string' ? j.name : undefined,
      source: typeof j.source === 'string' ? j.source : undefined,
      official: j.official === true,
    };
  } catch {
    return { official: false };
  }
}
