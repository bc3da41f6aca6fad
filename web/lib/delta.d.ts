import { type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Delta } from "./gen/tickwire/v1/tickwire_pb.js";
/**
 * DeltaError reports a delta that does not fit the state it is applied to:
 * its patch does not follow the state's schema, names a map entry the state
 * does not have, is truncated or has bytes left over. The state is left
 * untouched; the receiver needs a fresh snapshot.
 */
export declare class DeltaError extends Error {
    name: string;
}
/**
 * applyDelta applies delta to state (a message of schema) in place, with the
 * same semantics as Go's protocol.ApplyDelta. The whole patch is checked
 * against the state before anything changes: on a DeltaError the state is
 * untouched.
 */
export declare function applyDelta<Desc extends DescMessage>(schema: Desc, state: MessageShape<Desc>, delta: Delta): void;
