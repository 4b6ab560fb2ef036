// Runs SPARQL queries through Comunica (a client that is not ecomap's) against a SPARQL endpoint, one process for
// them all (Comunica takes a second to start). Reads {"endpoint": URL, "queries": {name: text}} on stdin; writes
// {name: [row, ...]} (a row: {variable: value}), or {name: {"error": message}} where a query fails.
import { QueryEngine } from "@comunica/query-sparql";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { endpoint, queries } = JSON.parse(input);
const engine = new QueryEngine();
const answers = {};
for (const [name, query] of Object.entries(queries)) {
  try {
    const stream = await engine.queryBindings(query, { sources: [{ type: "sparql", value: endpoint }] });
    const bindings = await stream.toArray();
    answers[name] = bindings.map((b) => Object.fromEntries([...b].map(([variable, term]) => [variable.value, term.value])));
  } catch (error) {
    answers[name] = { error: String(error) };
  }
}
process.stdout.write(JSON.stringify(answers));
