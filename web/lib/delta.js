// The state-delta codec's receiving half: the exact TypeScript twin of Go's
// protocol.ApplyDelta (the format is specified on the Delta message in
// proto/tickwire/v1/tickwire.proto).
import { ScalarType } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
/**
 * DeltaError reports a delta that does not fit the state it is applied to:
 * its patch does not follow the state's schema, names a map entry the state
 * does not have, is truncated or has bytes left over. The state is left
 * untouched; the receiver needs a fresh snapshot.
 */
export class DeltaError extends Error {
    constructor() {
        super(...arguments);
        this.name = "DeltaError";
    }
}
/** The nesting limit of message patches, the same as Go's. */
const maxDepth = 100;
/** FeatureSet_FieldPresence.IMPLICIT. */
const implicitPresence = 2;
/**
 * applyDelta applies delta to state (a message of schema) in place, with the
 * same semantics as Go's protocol.ApplyDelta. The whole patch is checked
 * against the state before anything changes: on a DeltaError the state is
 * untouched.
 */
export function applyDelta(schema, state, delta) {
    if (delta.clears.length > 0) {
        throw new DeltaError("clears are not part of the delta format any more; the sender is out of date");
    }
    if (delta.patch.length === 0) {
        return;
    }
    const root = reflect(schema, state, false);
    const check = new Patcher(delta.patch, true, []);
    check.run(root);
    new Patcher(delta.patch, false, check.keys).run(root);
}
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/**
 * Patcher reads a patch against a state: checking only (dry), or applying
 * it. Both passes read the same bytes against the same state, so an apply
 * after a successful check cannot fail. The check keeps the sorted keys of
 * the maps it met for the apply.
 */
class Patcher {
    constructor(b, dry, keys) {
        this.b = b;
        this.dry = dry;
        this.keys = keys;
        this.i = 0;
        this.nkeys = 0;
        this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    run(root) {
        this.message(root.desc, root, 1);
        if (this.i !== this.b.length) {
            this.fail(`${this.b.length - this.i} bytes left over after the patch`);
        }
    }
    fail(why) {
        throw new DeltaError(`patch at byte ${this.i}: ${why}`);
    }
    /** message reads a message patch into m (undefined: absent, in a check). */
    message(desc, m, depth) {
        if (depth > maxDepth) {
            this.fail(`patches nested deeper than ${maxDepth}`);
        }
        const fields = desc.fields;
        const maxBytes = Math.max(1, Math.floor((fields.length + 6) / 7));
        const start = this.i;
        for (;;) {
            const b = this.byte();
            if (this.i - start > maxBytes) {
                this.fail(`field mask of ${desc.typeName} longer than ${maxBytes} bytes`);
            }
            if (b < 0x80) {
                break;
            }
        }
        const end = this.i;
        const oneofs = [];
        for (let j = start; j < end; j++) {
            const b = this.b[j];
            for (let bit = 0; bit < 7; bit++) {
                if (((b >> bit) & 1) === 0) {
                    continue;
                }
                const idx = (j - start) * 7 + bit;
                if (idx >= fields.length) {
                    this.fail(`field mask of ${desc.typeName} names field ${idx} of ${fields.length}`);
                }
                const field = fields[idx];
                if (field.oneof !== undefined) {
                    if (oneofs.includes(field.oneof)) {
                        this.fail(`two members of oneof ${field.oneof.name} changed`);
                    }
                    oneofs.push(field.oneof);
                }
                this.field(field, m, depth);
            }
        }
    }
    /** field reads the change of one field of m. */
    field(field, m, depth) {
        switch (field.fieldKind) {
            case "list":
                this.list(field, m, depth);
                return;
            case "map":
                this.map(field, m, depth);
                return;
            case "scalar":
            case "enum": {
                const t = field.fieldKind === "enum" ? undefined : field.scalar;
                if (field.oneof === undefined && field.presence === implicitPresence) {
                    const v = this.scalar(t);
                    if (!this.dry)
                        m.set(field, v);
                    return;
                }
                if (this.op(field) === 0) {
                    if (!this.dry)
                        m.clear(field);
                    return;
                }
                const v = this.scalar(t);
                if (!this.dry)
                    m.set(field, v);
                return;
            }
            case "message": {
                if (this.op(field) === 0) {
                    if (!this.dry)
                        m.clear(field);
                    return;
                }
                // Merge into the message, created when absent (a oneof member that
                // is not the one set counts as absent, and replaces it).
                const has = m !== undefined && m.isSet(field);
                if (this.dry) {
                    this.message(field.message, has ? m.get(field) : undefined, depth + 1);
                    return;
                }
                const sub = has ? m.get(field) : reflect(field.message, undefined, false);
                this.message(field.message, sub, depth + 1);
                m.set(field, sub);
                return;
            }
        }
    }
    /** op reads the op byte of a field with presence: 0 clears, 1 sets. */
    op(field) {
        const op = this.byte();
        if (op > 1) {
            this.fail(`field ${field.name}: op ${op}`);
        }
        return op;
    }
    /** list reads a whole list that replaces the field's. */
    list(field, m, depth) {
        const n = this.count();
        if (!this.dry)
            m.clear(field);
        if (n === 0) {
            return;
        }
        const l = this.dry ? undefined : m.get(field);
        for (let k = 0; k < n; k++) {
            if (field.listKind === "message") {
                const e = this.dry ? undefined : reflect(field.message, undefined, false);
                this.message(field.message, e, depth + 1);
                if (e !== undefined)
                    l.add(e);
                continue;
            }
            const v = this.scalar(field.listKind === "enum" ? undefined : field.scalar);
            if (!this.dry)
                l.add(v);
        }
    }
    /** map reads the change of a map field (see closeMap in protocol/delta_map.go). */
    map(field, m, depth) {
        const h = this.count();
        if (h === 0) {
            if (!this.dry)
                m.clear(field);
            return;
        }
        let mp;
        if (!this.dry || (m !== undefined && m.isSet(field))) {
            mp = m.get(field);
        }
        const size = mp === undefined ? 0 : mp.size;
        let keys;
        const sorted = () => {
            if (keys === undefined) {
                if (this.dry) {
                    const ks = mp === undefined ? [] : [...mp.keys()];
                    ks.sort(compareKeys(field.mapKey));
                    this.keys.push(ks);
                    keys = ks;
                }
                else {
                    keys = this.keys[this.nkeys];
                }
                this.nkeys++;
            }
            return keys;
        };
        let rank = -1;
        const next = () => {
            const gap = this.number();
            if (rank + 1 + gap >= size) {
                this.fail(`map ${field.name}: rank past its ${size} entries`);
            }
            rank += 1 + gap;
            return sorted()[rank];
        };
        const dels = [];
        const ndel = h - 1;
        if (ndel > this.b.length - this.i) {
            this.fail("truncated");
        }
        for (let k = 0; k < ndel; k++) {
            dels.push(next());
        }
        const nchg = this.count();
        rank = -1;
        for (let k = 0; k < nchg; k++) {
            const key = next();
            if (field.mapKind !== "message") {
                const v = this.scalar(field.mapKind === "enum" ? undefined : field.scalar);
                if (!this.dry)
                    mp.set(key, v);
                continue;
            }
            const e = mp?.get(key);
            this.message(field.message, e, depth + 1);
            if (!this.dry)
                mp.set(key, e);
        }
        if (!this.dry) {
            for (const key of dels)
                mp.delete(key);
        }
        const nadd = this.count();
        for (let k = 0; k < nadd; k++) {
            const key = this.scalar(field.mapKey);
            if (field.mapKind !== "message") {
                const v = this.scalar(field.mapKind === "enum" ? undefined : field.scalar);
                if (!this.dry)
                    mp.set(key, v);
                continue;
            }
            const e = this.dry ? undefined : reflect(field.message, undefined, false);
            this.message(field.message, e, depth + 1);
            if (!this.dry)
                mp.set(key, e);
        }
    }
    byte() {
        if (this.i >= this.b.length) {
            this.fail("truncated");
        }
        return this.b[this.i++];
    }
    /** varint reads a varint of up to 64 bits (at most 10 bytes, the last one 0 or 1). */
    varint() {
        const [lo, hi] = this.varint64();
        return (BigInt(hi) << 32n) | BigInt(lo);
    }
    /**
     * number reads a varint of up to 64 bits as a number: exact below 2^53,
     * which is all a count, length or rank gap that fits the patch can be.
     */
    number() {
        const b = this.b[this.i];
        if (b < 0x80) {
            this.i++;
            return b;
        }
        const [lo, hi] = this.varint64();
        return hi * 0x100000000 + lo;
    }
    /** varint64 reads a varint of up to 64 bits as its low and high 32 bits. */
    varint64() {
        let lo = 0;
        let hi = 0;
        for (let j = 0; j < 10; j++) {
            const b = this.byte();
            if (j === 9 && b > 1) {
                this.fail("bad varint");
            }
            const bits = b & 0x7f;
            const shift = 7 * j;
            if (shift < 28) {
                lo |= bits << shift;
            }
            else if (shift === 28) {
                lo |= (bits & 0x0f) << 28;
                hi |= bits >>> 4;
            }
            else {
                hi |= bits << (shift - 32);
            }
            if (b < 0x80) {
                return [lo >>> 0, hi >>> 0];
            }
        }
        this.fail("bad varint");
    }
    /** varint32 reads a varint of up to 32 bits (at most 5 bytes, the last one below 16). */
    varint32() {
        let v = 0;
        for (let j = 0; j < 5; j++) {
            const b = this.byte();
            if (j === 4 && b > 0x0f) {
                this.fail("bad varint");
            }
            v |= (b & 0x7f) << (7 * j);
            if (b < 0x80) {
                return v >>> 0;
            }
        }
        this.fail("bad varint");
    }
    /** count reads a number of things of at least one byte each. */
    count() {
        const n = this.number();
        if (n > this.b.length - this.i) {
            this.fail("truncated");
        }
        return n;
    }
    take(n) {
        if (this.b.length - this.i < n) {
            this.fail("truncated");
        }
        const at = this.i;
        this.i += n;
        return at;
    }
    /** scalar reads one value of scalar type t (undefined: an enum). */
    scalar(t) {
        switch (t) {
            case undefined:
            case ScalarType.INT32:
            case ScalarType.SINT32: {
                const v = this.varint32();
                return (v >>> 1) ^ -(v & 1);
            }
            case ScalarType.BOOL: {
                const b = this.byte();
                if (b > 1) {
                    this.fail(`bool byte ${b}`);
                }
                return b === 1;
            }
            case ScalarType.INT64:
            case ScalarType.SINT64: {
                const v = this.varint();
                return (v >> 1n) ^ -(v & 1n);
            }
            case ScalarType.UINT32:
                return this.varint32();
            case ScalarType.UINT64:
                return this.varint();
            case ScalarType.FIXED32:
                return this.view.getUint32(this.take(4), true);
            case ScalarType.SFIXED32:
                return this.view.getInt32(this.take(4), true);
            case ScalarType.FLOAT:
                return this.view.getFloat32(this.take(4), true);
            case ScalarType.FIXED64:
                return this.view.getBigUint64(this.take(8), true);
            case ScalarType.SFIXED64:
                return this.view.getBigInt64(this.take(8), true);
            case ScalarType.DOUBLE:
                return this.view.getFloat64(this.take(8), true);
            case ScalarType.STRING: {
                const n = this.count();
                const at = this.take(n);
                try {
                    return utf8.decode(this.b.subarray(at, at + n));
                }
                catch {
                    this.fail("string: invalid UTF-8");
                }
            }
            case ScalarType.BYTES: {
                const n = this.count();
                const at = this.take(n);
                return this.b.slice(at, at + n);
            }
        }
    }
}
/**
 * compareKeys orders the keys of a map with key type t as Go does: false
 * before true, numbers by value, strings by their UTF-8 bytes (that is, by
 * code point, which JavaScript's UTF-16 order is not).
 */
function compareKeys(t) {
    if (t === ScalarType.STRING) {
        return (a, b) => compareCodePoints(a, b);
    }
    if (t === ScalarType.BOOL) {
        return (a, b) => Number(a) - Number(b);
    }
    return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}
function compareCodePoints(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
        let x = a.charCodeAt(i);
        let y = b.charCodeAt(i);
        if (x !== y) {
            // Surrogates (U+D800–DFFF, code points above U+FFFF) sort after
            // U+E000–FFFF by code point.
            if (x >= 0xd800 && y >= 0xd800) {
                x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
                y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
            }
            return x - y;
        }
    }
    return a.length - b.length;
}
