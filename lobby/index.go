package lobby

import (
	"encoding/binary"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// Typed go-memdb indexers: a function of the row instead of memdb's
// reflection on a field name, so a renamed field fails to compile rather
// than at run time, and indexing costs no reflection on the hot path.

// strIndex indexes a string; an empty string is "missing" (left out of
// the index when the schema allows missing values).
type strIndex[T any] func(row *T) string

var _ memdb.SingleIndexer = strIndex[memRoom](nil)

func (f strIndex[T]) FromObject(obj any) (bool, []byte, error) {
	row, ok := obj.(*T)
	if !ok {
		return false, nil, fmt.Errorf("index: row is %T", obj)
	}
	v := f(row)
	if v == "" {
		return false, nil, nil
	}
	return true, append([]byte(v), 0), nil
}

func (f strIndex[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("index: want one argument, got %d", len(args))
	}
	v, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("index: argument is %T, want string", args[0])
	}
	return append([]byte(v), 0), nil
}

// intIndex indexes an int64 in sort order (big endian, sign bit flipped).
type intIndex[T any] func(row *T) int64

var _ memdb.SingleIndexer = intIndex[memRoom](nil)

func (f intIndex[T]) FromObject(obj any) (bool, []byte, error) {
	row, ok := obj.(*T)
	if !ok {
		return false, nil, fmt.Errorf("index: row is %T", obj)
	}
	return true, encodeInt64(f(row)), nil
}

func (f intIndex[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("index: want one argument, got %d", len(args))
	}
	v, ok := args[0].(int64)
	if !ok {
		return nil, fmt.Errorf("index: argument is %T, want int64", args[0])
	}
	return encodeInt64(v), nil
}

func encodeInt64(v int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(v)^(1<<63))
}

// index builds one index schema; the "id" index is the unique primary key.
func index(name string, missing bool, ix memdb.Indexer) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, Unique: name == "id", AllowMissing: missing, Indexer: ix}
}
