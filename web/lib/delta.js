// The state-delta codec's receiving half: the exact TypeScript twin of Go's
// protocol.ApplyDelta (protocol/delta.go describes the format).
import { fromBinary, ScalarType } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
/**
 * DeltaError reports a delta that does not fit the state it is applied to:
 * its patch does not decode as the state's type, or a clear path does not
 * follow the schema. The state is left untouched; the receiver needs a fresh
 * snapshot.
 */
export class DeltaError extends Error {
    constructor() {
        super(...arguments);
        this.name = "DeltaError";
    }
}
const int32Kinds = new Set([ScalarType.INT32, ScalarType.SINT32, ScalarType.SFIXED32]);
const int64Kinds = new Set([ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64]);
const uint32Kinds = new Set([ScalarType.UINT32, ScalarType.FIXED32]);
const uint64Kinds = new Set([ScalarType.UINT64, ScalarType.FIXED64]);
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
export function applyDelta(schema, state, delta) {
    let patch;
    if (delta.patch.length > 0) {
        try {
            patch = reflect(schema, fromBinary(schema, delta.patch, { readUnknownFields: false }), false);
        }
        catch (e) {
            throw new DeltaError(`patch is not a ${schema.typeName}: ${String(e)}`);
        }
    }
    delta.clears.forEach((path, i) => {
        const why = checkPath(schema, path);
        if (why !== undefined) {
            throw new DeltaError(`clear ${i}: ${why}`);
        }
    });
    const root = reflect(schema, state, false);
    for (const path of delta.clears) {
        clearPath(root, path);
    }
    if (patch !== undefined) {
        merge(root, patch);
    }
}
/** stepField resolves a path step's field number in desc. */
function stepField(desc, step) {
    return step.field === 0 ? undefined : desc.fields.find((f) => f.number === step.field);
}
/**
 * checkPath reports why path does not follow desc's schema, or undefined
 * when it does: every step names a field, a step with a key names a map
 * whose key type fits, an intermediate step descends into a message.
 */
function checkPath(desc, path) {
    const steps = path.steps;
    if (steps.length === 0) {
        return `step 0 in ${desc.typeName}: empty path`;
    }
    for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        const field = stepField(desc, step);
        const at = `step ${i} in ${desc.typeName}`;
        if (field === undefined) {
            return `${at}: no field ${step.field}`;
        }
        const last = i === steps.length - 1;
        if (step.key.case !== undefined) {
            if (field.fieldKind !== "map") {
                return `${at}: key on ${field.name}, which is not a map`;
            }
            if (pathKey(field, step) === undefined) {
                return `${at}: key does not fit ${field.name}'s key type`;
            }
            if (last) {
                return undefined;
            }
            if (field.mapKind !== "message") {
                return `${at}: cannot descend into ${field.name}'s ${field.mapKind} values`;
            }
            desc = field.message;
            continue;
        }
        if (last) {
            return undefined;
        }
        if (field.fieldKind !== "message") {
            return `${at}: cannot descend into ${field.name} without a key`;
        }
        desc = field.message;
    }
    return undefined;
}
/**
 * pathKey converts a step's key to a key of map field, or undefined when its
 * type or range does not fit the map's key type.
 */
function pathKey(field, step) {
    const k = step.key;
    const t = field.mapKey;
    if (t === ScalarType.BOOL) {
        return k.case === "boolKey" ? k.value : undefined;
    }
    if (t === ScalarType.STRING) {
        return k.case === "stringKey" ? k.value : undefined;
    }
    if (int32Kinds.has(t)) {
        return k.case === "intKey" && k.value >= -0x80000000n && k.value <= 0x7fffffffn ? Number(k.value) : undefined;
    }
    if (int64Kinds.has(t)) {
        return k.case === "intKey" ? k.value : undefined;
    }
    if (uint32Kinds.has(t)) {
        return k.case === "uintKey" && k.value <= 0xffffffffn ? Number(k.value) : undefined;
    }
    if (uint64Kinds.has(t)) {
        return k.case === "uintKey" ? k.value : undefined;
    }
    return undefined;
}
/** clearPath clears path in m; path has passed checkPath. */
function clearPath(m, path) {
    const steps = path.steps;
    for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        const field = stepField(m.desc, step);
        const last = i === steps.length - 1;
        if (step.key.case === undefined) {
            if (last) {
                m.clear(field);
                return;
            }
            if (!m.isSet(field) || field.fieldKind !== "message") {
                return; // nothing to clear inside an absent message
            }
            m = m.get(field);
            continue;
        }
        if (field.fieldKind !== "map" || !m.isSet(field)) {
            return; // an empty map has no entry to delete or descend into
        }
        const map = m.get(field);
        const key = pathKey(field, step);
        if (last) {
            map.delete(key);
            return;
        }
        const entry = map.get(key);
        if (entry === undefined) {
            return;
        }
        m = entry;
    }
}
/**
 * merge merges src, a decoded patch owned by applyDelta, into dst. Values of
 * src move into dst without copying.
 */
function merge(dst, src) {
    for (const field of src.fields) {
        if (!src.isSet(field)) {
            continue;
        }
        switch (field.fieldKind) {
            case "map":
                mergeMap(dst.get(field), field.mapKind === "message", src.get(field));
                break;
            case "message":
                if (dst.isSet(field)) {
                    merge(dst.get(field), src.get(field));
                }
                else {
                    dst.set(field, src.get(field));
                }
                break;
            default:
                // A scalar, an enum, a list (replaced whole), or a oneof member
                // that replaces another one.
                dst.set(field, src.get(field));
        }
    }
}
/** mergeMap merges the entries of src into dst. */
function mergeMap(dst, messages, src) {
    for (const [key, value] of src) {
        if (messages) {
            const cur = dst.get(key);
            if (cur !== undefined) {
                merge(cur, value);
                continue;
            }
        }
        dst.set(key, value);
    }
}
