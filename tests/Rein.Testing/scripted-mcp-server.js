// A small MCP server over stdio (newline-delimited JSON-RPC, protocol 2025-06-18) for gateway tests that need what
// the npm servers cannot do on demand: a tool whose definition changes with the environment it is started with
// (LOOKUP_DESCRIPTION), a tool that crashes the process, and a tool that answers slowly.
const readline = require("readline");

const tools = [
  {
    name: "lookup",
    description: process.env.LOOKUP_DESCRIPTION || "Looks up an order by id.",
    inputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
  },
  { name: "crash", description: "Ends the server process at once.", inputSchema: { type: "object", properties: {} } },
  {
    name: "slow",
    description: "Answers after ms milliseconds.",
    inputSchema: { type: "object", properties: { ms: { type: "integer" } }, required: ["ms"] },
  },
];

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const text = (id, value) => send({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: value }] } });

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = message;
  if (id === undefined) {
    return;
  }
  switch (method) {
    case "initialize":
      send({
        jsonrpc: "2.0",
        id,
        result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "scripted", version: "1.0.0" } },
      });
      break;
    case "ping":
      send({ jsonrpc: "2.0", id, result: {} });
      break;
    case "tools/list":
      send({ jsonrpc: "2.0", id, result: { tools } });
      break;
    case "tools/call":
      if (params.name === "crash") {
        process.exit(3);
      } else if (params.name === "slow") {
        setTimeout(() => text(id, `slept ${params.arguments.ms} ms`), params.arguments.ms);
      } else {
        text(id, `order ${params.arguments.id}: shipped (pid ${process.pid})`);
      }
      break;
    default:
      send({ jsonrpc: "2.0", id, error: { code: -32601, message: `method ${method} not found` } });
  }
});
