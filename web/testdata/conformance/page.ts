// The browser half of the conformance test (conformance_test.go): it
// applies every vector of the Go-written corpus with the SDK as served at
// /sdk/tickwire.js and posts the results back for Go to compare. The test
// bundles this file with the SDK's imports left to /sdk/tickwire.js.
import type { DescMessage } from "@bufbuild/protobuf";
import { applyDelta, fromBinary, Replica, toBinary, v1 } from "../../src/index.js";
import * as arena from "../../example/gen/tickwire/arena/v1/arena_pb.js";
import { StateSchema as TestingStateSchema } from "../../src/gen/tickwire/testing/v1/state_pb.js";

interface Corpus {
  vectors: { name: string; schema: string; prev: string; delta: string }[];
  envelopes: { name: string; bytes: string }[];
  replica: { roomId: string; frames: string[] };
}

interface Results {
  vectors: { state?: string; error?: string }[];
  envelopes: { bytes?: string; lastInputSeq?: string; stateFrame?: string; error?: string }[];
  replica: { states: string[]; ticks: number[]; seqs: number[]; error?: string };
}

const schemas: Record<string, DescMessage> = {
  testing: TestingStateSchema,
  arena: arena.StateSchema,
};

function unb64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function b64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
}

function run(corpus: Corpus): Results {
  const vectors = corpus.vectors.map((v) => {
    const schema = schemas[v.schema];
    const state = fromBinary(schema, unb64(v.prev));
    try {
      applyDelta(schema, state, fromBinary(v1.DeltaSchema, unb64(v.delta)));
      return { state: b64(toBinary(schema, state)) };
    } catch (e) {
      // The state must be untouched: the test checks it.
      return { state: b64(toBinary(schema, state)), error: String(e) };
    }
  });
  const envelopes = corpus.envelopes.map((e) => {
    try {
      const env = fromBinary(v1.EnvelopeSchema, unb64(e.bytes));
      const out: Results["envelopes"][number] = { bytes: b64(toBinary(v1.EnvelopeSchema, env)) };
      if (env.msg.case === "state") {
        out.lastInputSeq = env.msg.value.lastInputSeq.toString();
        out.stateFrame = b64(toBinary(v1.StateFrameSchema, env.msg.value));
      }
      return out;
    } catch (err) {
      return { error: String(err) };
    }
  });
  const replica: Results["replica"] = { states: [], ticks: [], seqs: [] };
  const r = new Replica(arena.StateSchema, corpus.replica.roomId);
  try {
    for (const f of corpus.replica.frames) {
      const env = fromBinary(v1.EnvelopeSchema, unb64(f));
      if (env.msg.case !== "state") throw new Error(`frame is a ${env.msg.case}`);
      if (!r.apply(env.msg.value)) throw new Error(`frame of room ${env.msg.value.roomId} not applied`);
      replica.states.push(b64(toBinary(arena.StateSchema, r.state)));
      replica.ticks.push(r.tick);
      replica.seqs.push(r.lastInputSeq);
    }
  } catch (e) {
    replica.error = String(e);
  }
  return { vectors, envelopes, replica };
}

async function main(): Promise<void> {
  const corpus = (await (await fetch("/conformance/corpus.json")).json()) as Corpus;
  const results = run(corpus);
  await fetch("/conformance/results", { method: "POST", body: JSON.stringify(results) });
}

main().catch(async (e) => {
  await fetch("/conformance/results", { method: "POST", body: JSON.stringify({ fatal: String(e) }) });
});
