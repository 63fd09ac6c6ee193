// Process 1 of the benchmark: the mock EmpowerID, alone on its own core as far as possible.
import { startMockEmpowerID } from 'empowerid-express/testing';

const idp = await startMockEmpowerID({ accessTokenTTL: 3600 });
process.on('message', async (msg) => {
  if (msg.type === 'mint') {
    const tokens = [];
    for (let i = 0; i < msg.count; i += 1) tokens.push(await idp.issueAccessToken({ username: 'alice', scope: 'openid orders' }));
    process.send({ type: 'minted', id: msg.id, tokens });
  } else if (msg.type === 'counts') {
    process.send({ type: 'counts', id: msg.id, counts: { ...idp.counts } });
  } else if (msg.type === 'reset') {
    idp.resetCounts();
    process.send({ type: 'reset', id: msg.id });
  } else if (msg.type === 'cpu') {
    process.send({ type: 'cpu', id: msg.id, cpu: process.cpuUsage() });
  } else if (msg.type === 'stop') {
    await idp.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', url: idp.url });
