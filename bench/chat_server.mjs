// The fake chat app (tests/lib/chat-app.mjs) as a process for the benchmark:
// prints {"origin": ...} on stdout, serves until its stdin closes, then prints
// {"messages": N, "requests": N, "statuses": {...}} and exits.
//   node bench/chat_server.mjs [latencyMs] [bearer]
import { startChatApp } from '../tests/lib/chat-app.mjs';

const latencyMs = Number(process.argv[2] ?? 1);
const bearer = process.argv[3] ?? 'bench-token';
const app = await startChatApp({ latencyMs, bearer });
process.stdout.write(JSON.stringify({ origin: app.origin, port: app.port }) + '\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  const statuses = {};
  for (const e of app.log) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
  const out = JSON.stringify({ messages: app.messages.size, requests: app.log.length, statuses, overlaps: app.overlaps.length });
  await app.close();
  process.stdout.write(out + '\n', () => process.exit(0));
});
