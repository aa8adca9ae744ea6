// One subscription through the graphql-ws reference client: prints a JSON line when the
// socket is acknowledged, then one per result, and exits after `count` results (2 on an
// error or a close). Usage: node client.mjs URL TOKEN QUERY VARIABLES_JSON COUNT
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, query, variables, count] = process.argv.slice(2);
const say = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => say({ connected: true }),
    closed: (event) => say({ closed: event?.code ?? null }),
  },
});
let seen = 0;
client.subscribe(
  { query, variables: JSON.parse(variables) },
  {
    next: (value) => {
      say(value);
      seen += 1;
      if (seen >= Number(count)) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      say({ error: String(error?.message ?? error?.reason ?? error) });
      process.exit(2);
    },
    complete: () => process.exit(seen >= Number(count) ? 0 : 2),
  },
);
