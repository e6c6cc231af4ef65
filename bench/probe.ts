import { startModelServer, scenarios } from '../test/support/model-server.js';
import { startTestService } from '../test/support/service.js';
import { BENCH_SCRIPT, runBare, runService } from './task.js';
const model = await startModelServer(scenarios({ bench: BENCH_SCRIPT }));
const svc = await startTestService({ model });
for (let i = 0; i < 4; i++) { console.log('bare', await runBare(model.url)); console.log('svc', await runService(svc)); }
console.log(model.requests.map(r => r.kind + ' ' + r.body.model).join('\n'));
await svc.close(); await model.close();
