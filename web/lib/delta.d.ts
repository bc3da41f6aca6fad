import { type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Delta } from "./gen/tickwire/v1/tickwire_pb.js";
/**
 * DeltaError reports a delta that does not fit the state it is applied to:
 * its patch does not decode as the state's type, or a clear path does not
 * follow the schema. The state is left untouched; the receiver needs a fresh
 * snapshot.
 */
export declare class DeltaError extends Error {
    name: string;
}
/**
 * applyDelta applies delta to state (a message of schema) in place, with the
 * same semantics as Go's protocol.ApplyDelta: first every path in
 * delta.clears is cleared, in order; then delta.patch, a partial state of
 * the same type, is merged field by field (scalars overwrite, repeated
 * fields replace, messages and map entries with message values merge,
 * another oneof member replaces the current one).
 *
 * The patch and every path are checked before anything changes: on a
 * DeltaError the state is untouched.
 */
export declare function applyDelta<Desc extends DescMessage>(schema: Desc, state: MessageShape<Desc>, delta: Delta): void;
