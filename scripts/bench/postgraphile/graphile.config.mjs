// PostGraphile 5 as scripts/bench/peers.py runs it: the Amber preset (its defaults: default
// inflection, Relay connections, node IDs), production mode (no GraphiQL, no watch, no
// explain), connected as the API role so row-level security applies, and each request's
// transaction scoped with the same transaction-local settings medgraph sets for the
// signed-in user (peers.py computes them and passes them in MEDGRAPH_PG_SETTINGS).
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const env = process.env;
const settings = JSON.parse(env.MEDGRAPH_PG_SETTINGS ?? "{}");

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      // A Unix socket: PGHOST is its directory. Pool: node-postgres's default (10).
      poolConfig: { host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, database: env.PGDATABASE },
      schemas: ["public"],
      // Applied with set_config(key, value, true) inside a transaction around each request.
      pgSettings: () => settings,
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(env.PORT),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
