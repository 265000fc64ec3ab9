// The Node.js side of RedisStreamsNodeInteropIT: the calls of docs/redis-streams.md ("From Node.js").
//   node interop.mjs join    <url> <stream> <group>          create the group (at '$') and register it for deleteDurable
//   node interop.mjs read    <url> <stream> <group> <count>  XREADGROUP until <count> entries, print each as JSON, XACK
//   node interop.mjs publish <url> <stream> <count>          XADD <count> messages in Switchboard's entry format
import { createClient } from 'redis';
import { randomUUID } from 'node:crypto';

const [mode, url, stream, arg1, arg2] = process.argv.slice(2);
const client = createClient({ url });
client.on('error', (e) => { console.error('redis client error', e); process.exit(3); });
await client.connect();
try {
  if (mode === 'join') {
    const group = arg1;
    try {
      await client.xGroupCreate(stream, group, '$', { MKSTREAM: true });
      await client.sAdd('sb:durable:' + group, stream);
    } catch (e) {
      if (!String(e.message).startsWith('BUSYGROUP')) throw e;
    }
  } else if (mode === 'read') {
    const group = arg1;
    const want = Number(arg2);
    let got = 0;
    const deadline = Date.now() + 20000;
    while (got < want && Date.now() < deadline) {
      const reply = await client.xReadGroup(group, 'node-1', { key: stream, id: '>' }, { COUNT: 100, BLOCK: 1000 });
      for (const { messages } of reply ?? []) {
        for (const { id, message } of messages) {
          const headers = Object.fromEntries(Object.entries(message)
              .filter(([k]) => k.startsWith('h.')).map(([k, v]) => [k.slice(2), v]));
          console.log(JSON.stringify({ entryId: id, id: message.id ?? id, time: message.time,
            contentType: message['content-type'] ?? 'application/octet-stream', headers, payload: message.payload }));
          await client.xAck(stream, group, id);
          got++;
        }
      }
    }
    if (got < want) { console.error(`read ${got} of ${want} entries within 20 s`); process.exit(4); }
  } else if (mode === 'publish') {
    for (let i = 0; i < Number(arg1); i++) {
      await client.xAdd(stream, '*', {
        id: randomUUID(),
        time: String(Date.now()),
        'content-type': 'application/json',
        'h.source': 'node-checkout',
        'h.Mixed-Case': 'kept',
        payload: JSON.stringify({ order: i }),
      }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 1000000 } });
    }
    // A foreign entry with nothing but a payload.
    await client.xAdd(stream, '*', { payload: 'bare' });
  } else {
    console.error('unknown mode ' + mode);
    process.exit(2);
  }
} finally {
  await client.quit();
}
